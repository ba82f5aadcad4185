"""The features both learned readings share: letter n-grams of each word.

Letter n-grams read all six languages alike, typos and missing marks included, and a
message costs a few hundred dictionary lookups; the models trained on them
(`scope_model`, `article_model`) are plain weights the bot reads without scikit-learn.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable
from itertools import chain

from bot.services.knowledge.text import fold

SMALLEST, LARGEST = 2, 4  # n-gram lengths
_SPACES = re.compile(r"\s+")


def ngrams(text: str) -> Counter[str]:
    """Letter n-grams of each word, padded with a space on both sides (as scikit-learn's
    `char_wb` analyzer does), of the folded text: "Hội An" and "hoi an" read alike."""
    return Counter(chain.from_iterable(
        _word_ngrams(word) for word in _SPACES.split(fold(text)) if word))


@functools.lru_cache(maxsize=1 << 16)
def _word_ngrams(word: str) -> tuple[str, ...]:
    # Crews' words repeat from message to message: each is cut once.
    padded = f" {word} "
    return tuple(padded[start:start + size] for size in range(SMALLEST, LARGEST + 1)
                 for start in range(len(padded) - size + 1))


def features(text: str, idf: dict[str, float],
             grams: Callable[[str], Counter[str]] = ngrams) -> dict[str, float]:
    """Sublinear tf-idf of the known n-grams, normalised to unit length."""
    weights = {gram: (1.0 + math.log(count)) * idf[gram]
               for gram, count in grams(text).items() if gram in idf}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {gram: w / norm for gram, w in weights.items()}


def sigmoid(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))
