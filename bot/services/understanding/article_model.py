"""A learned second opinion on which articles a long message asks for.

A crew's long message names many things around its questions: "our documentary team",
"the old town is a heritage site", "we'll bring our own drone operator". The reader's
rules take each named topic a question leans on, and on long messages they often answer
one article more than was asked, which a producer then reads as a requirement. This is
one logistic regression per article over letter n-grams (`letter_ngrams`), trained by
`benchmarks/train_articles.py` on crews' labelled messages and the knowledge base's own
crew questions, and shipped as `article-model.json` beside the knowledge. It only ever
takes an article away from a reading that answers several, when it is sure the message
does not ask for that one; it never adds one (that measured worse) nor empties a reading.

The weights are stored as one signed byte per n-gram and article with a scale per
article: 39 articles and 15,000 n-grams are 600 KB loaded, against 40 MB as floats.
"""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services.understanding.letter_ngrams import features, sigmoid


@dataclass(frozen=True)
class ArticleModel:
    idf: dict[str, float]
    column: dict[str, int]  # n-gram -> its place in each article's weights
    weights: dict[str, tuple[array[int], float, float]]  # article: bytes, scale, intercept
    threshold: float  # below it, sure the message does not ask for the article

    @classmethod
    def load(cls, path: Path) -> ArticleModel | None:
        if not path.exists():
            return None
        return cls.load_data(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def load_data(cls, data: dict[str, Any]) -> ArticleModel:
        grams = data["ngrams"]
        weights = {}
        for article, packed, scale, intercept in zip(
                data["articles"], data["coef"], data["scales"], data["intercepts"],
                strict=True):
            row = array("b", base64.b64decode(packed))
            if len(row) != len(grams):
                raise ValueError(f"article-model.json: {article} has {len(row)} weights "
                                 f"for {len(grams)} n-grams")
            weights[article] = (row, float(scale), float(intercept))
        return cls({g: float(i) for g, i in zip(grams, data["idf"], strict=True)},
                   {g: i for i, g in enumerate(grams)}, weights, float(data["threshold"]))

    def chances(self, text: str, articles: Sequence[str]) -> dict[str, float]:
        """The probability that `text` asks for each of `articles` (1.0 for an article the
        model was not trained on: it has no say there)."""
        found = [(self.column[g], w) for g, w in features(text, self.idf).items()]
        chances: dict[str, float] = {}
        for article in articles:
            if article not in self.weights:
                chances[article] = 1.0
                continue
            row, scale, intercept = self.weights[article]
            chances[article] = sigmoid(intercept + scale * sum(row[i] * w for i, w in found))
        return chances

    def unasked(self, text: str, articles: Sequence[str]) -> set[str]:
        """Those of `articles` the model is sure `text` does not ask for."""
        return {article for article, chance in self.chances(text, articles).items()
                if chance < self.threshold}
