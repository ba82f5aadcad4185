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

import numpy as np
import numpy.typing as npt

from bot.services.knowledge.text import fold

SMALLEST, LARGEST = 2, 4  # n-gram lengths
_SPACES = re.compile(r"\s+")


def ngrams(text: str) -> Counter[str]:
    """Letter n-grams of each word, padded with a space on both sides (as scikit-learn's
    `char_wb` analyzer does), of the folded text: "Hội An" and "hoi an" read alike."""
    return Counter(chain.from_iterable(word_ngrams(word) for word in words(text)))


def words(text: str) -> list[str]:
    """The folded words whose n-grams `ngrams` counts."""
    return [word for word in _SPACES.split(fold(text)) if word]


@functools.lru_cache(maxsize=1 << 16)
def word_ngrams(word: str) -> tuple[str, ...]:
    # Crews' words repeat from message to message: each is cut once.
    padded = f" {word} "
    return tuple([padded[start:start + size] for size in range(SMALLEST, LARGEST + 1)
                  for start in range(len(padded) - size + 1)])


def tfidf(counts: npt.NDArray[np.float64], idfs: npt.NDArray[np.float64]
          ) -> npt.NDArray[np.float64]:
    """Sublinear tf-idf of n-grams counted `counts` times, normalised to unit length: in
    numpy, as a long message has a thousand n-grams."""
    weights = (1.0 + np.log(counts)) * idfs
    norm: float = math.sqrt(float(weights @ weights)) or 1.0
    return weights / norm


def features(text: str, idf: dict[str, float],
             grams: Callable[[str], Counter[str]] = ngrams) -> dict[str, float]:
    """`tfidf` of the known n-grams, by n-gram."""
    known = [(gram, count) for gram, count in grams(text).items() if gram in idf]
    values = tfidf(np.array([count for _, count in known], dtype=np.float64),
                   np.array([idf[gram] for gram, _ in known], dtype=np.float64))
    return dict(zip((gram for gram, _ in known), values.tolist(), strict=True))


def sigmoid(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))
