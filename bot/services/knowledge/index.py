"""An inverted index per language, scoring by how much of the question an article covers.

The score is the share of the question's information (its tokens weighted by rarity,
idf) that the article contains, counting a match in the title, aliases or tags fully
and a match only in the summary or body partly. Being a share, it reads the same for
any knowledge base size and can be compared with one threshold: below it the bot says it
does not know. Tokens the knowledge base has never seen count against the article, so
"pizza in Rome" or "fishing licence" are not answered by the first article that shares
a place name.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

STRONG = 1.0
WEAK = 0.4
_HIRAGANA = re.compile(r"^[\u3040-\u309f]+$")
_LATIN = re.compile(r"^[0-9a-z_']+$")


def token_class(token: str) -> tuple[float, float]:
    """(weight when known, share of the unseen-token penalty when unknown).

    Word pairs ("giay_phep") confirm what their words already say: they add evidence but
    an unseen pair is no sign of an off-topic question. Hiragana-only bigrams are mostly
    grammar (です, ます, した). Unseen CJK and Hangul bigrams are often just the seam
    between two words, so they count less than an unseen Latin word.
    """
    if "_" in token:
        return 0.5, 0.0
    if _LATIN.match(token):
        return 1.0, 1.0
    if _HIRAGANA.match(token):
        return 0.3, 0.1
    return 1.0, 0.35


@dataclass(frozen=True)
class IndexedDoc:
    strong: list[str]
    weak: list[str]


class LanguageIndex:
    def __init__(self, docs: list[IndexedDoc], unknown_weight: float = 0.5) -> None:
        self.size = len(docs)
        self.unknown_weight = unknown_weight
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        tf: dict[str, dict[int, int]] = defaultdict(dict)
        lengths = np.zeros(max(1, self.size), dtype=np.float64)
        for number, doc in enumerate(docs):
            counts = Counter(doc.weak)
            counts.update(doc.strong * 3)
            lengths[number] = sum(counts.values())
            for token in set(doc.weak):
                postings[token][number] = WEAK
            for token in set(doc.strong):
                postings[token][number] = STRONG
            for token, count in counts.items():
                tf[token][number] = count
        self._weight: dict[str, float] = {}
        self._postings: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64],
                                        npt.NDArray[np.float64]]] = {}
        average = float(lengths.mean()) if self.size else 1.0
        for token, entries in postings.items():
            ids = np.fromiter(entries.keys(), dtype=np.int64, count=len(entries))
            weights = np.fromiter(entries.values(), dtype=np.float64, count=len(entries))
            strong_df = int((weights == STRONG).sum())
            # A word that is a topic marker (title, alias) of few articles is informative
            # even when many bodies mention it in passing ("drone rules apply here too").
            self._weight[token] = max(self.idf(len(ids)),
                                      self.idf(strong_df) if strong_df else 0.0)
            freqs = np.array([tf[token][i] for i in ids], dtype=np.float64)
            # BM25 term saturation, used only to order articles that cover the same share.
            norm = freqs * 2.2 / (freqs + 1.2 * (0.25 + 0.75 * lengths[ids] / average))
            self._postings[token] = (ids, weights, norm)
        self.max_idf = self.idf(0)

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def knows(self, token: str) -> bool:
        return token in self._postings

    def score(self, tokens: list[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(coverage in [0, 1], BM25-like tie-breaker) for every document."""
        coverage = np.zeros(self.size, dtype=np.float64)
        bm25 = np.zeros(self.size, dtype=np.float64)
        total = 0.0
        for token in set(tokens):
            known_weight, unknown_share = token_class(token)
            posting = self._postings.get(token)
            if posting is None:
                total += self.max_idf * self.unknown_weight * unknown_share
                continue
            ids, weights, norm = posting
            idf = self._weight[token] * known_weight
            total += idf
            coverage[ids] += idf * weights
            bm25[ids] += idf * norm
        if total > 0:
            coverage /= total
        return coverage, bm25

    def token_weight(self, token: str) -> float:
        """What the token adds to the denominator of `score`."""
        known_weight, unknown_share = token_class(token)
        posting = self._postings.get(token)
        if posting is None:
            return self.max_idf * self.unknown_weight * unknown_share
        return self._weight[token] * known_weight
