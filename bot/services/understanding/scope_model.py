"""A learned second opinion on whether a message is ours at all.

The reader's scope words (`scope.yaml`) catch what they list; near misses of new kinds
("a tailor in Hoi An for our costumes", "the box office of a Vietnamese film") keep
arriving in wording no list foresees. This is a logistic regression over letter n-grams,
trained by `benchmarks/train_scope.py` on crews' labelled messages (in scope or not) and
the knowledge base's own crew questions, and shipped as `scope-model.json` beside the
knowledge. Letter n-grams read all six languages alike, typos and missing marks included,
and a message costs a few hundred dictionary lookups. It only ever takes an answer away:
when it is sure a message is not ours, an answer the reader found is declined instead.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services.knowledge.text import fold

SMALLEST, LARGEST = 2, 4  # n-gram lengths
_SPACES = re.compile(r"\s+")


def ngrams(text: str) -> Counter[str]:
    """Letter n-grams of each word, padded with a space on both sides (as scikit-learn's
    `char_wb` analyzer does), of the folded text: "Hội An" and "hoi an" read alike."""
    counts: Counter[str] = Counter()
    for word in _SPACES.split(fold(text)):
        if not word:
            continue
        padded = f" {word} "
        for size in range(SMALLEST, LARGEST + 1):
            if size > len(padded):
                break
            for start in range(len(padded) - size + 1):
                counts[padded[start:start + size]] += 1
    return counts


def features(text: str, idf: dict[str, float]) -> dict[str, float]:
    """Sublinear tf-idf of the known n-grams, normalised to unit length."""
    weights = {gram: (1.0 + math.log(count)) * idf[gram]
               for gram, count in ngrams(text).items() if gram in idf}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {gram: w / norm for gram, w in weights.items()}


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
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def declines(self, text: str) -> bool:
        return self.off_scope(text) > self.threshold
