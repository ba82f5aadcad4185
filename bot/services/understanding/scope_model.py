"""A learned second opinion on whether a message is ours at all.

The reader's scope words (`scope.yaml`) catch what they list; near misses of new kinds
("a tailor in Hoi An for our costumes", "the box office of a Vietnamese film") keep
arriving in wording no list foresees. This is a logistic regression over letter n-grams
(`letter_ngrams`), trained by `benchmarks/train_scope.py` on crews' labelled messages (in
scope or not) and the knowledge base's own crew questions, and shipped as
`scope-model.json` beside the knowledge. It only ever takes an answer away: when it is
sure a message is not ours, an answer the reader found is declined instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services.understanding.letter_ngrams import features, sigmoid


@dataclass(frozen=True)
class ScopeModel:
    idf: dict[str, float]
    coef: dict[str, float]
    intercept: float
    threshold: float  # above it, sure the message is not ours

    @classmethod
    def load(cls, path: Path) -> ScopeModel | None:
        if not path.exists():
            return None
        return cls.load_data(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def load_data(cls, data: dict[str, Any]) -> ScopeModel:
        grams = data["ngrams"]
        return cls({g: float(i) for g, i in zip(grams, data["idf"], strict=True)},
                   {g: float(c) for g, c in zip(grams, data["coef"], strict=True)},
                   float(data["intercept"]), float(data["threshold"]))

    def off_scope(self, text: str) -> float:
        """The probability that nothing of ours answers `text`."""
        score = self.intercept + sum(self.coef[g] * w
                                     for g, w in features(text, self.idf).items())
        return sigmoid(score)

    def declines(self, text: str) -> bool:
        return self.off_scope(text) > self.threshold
