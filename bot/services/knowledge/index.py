"""An inverted index per language, scoring by how much of the question an article covers.

The score is the share of the question's information (its tokens weighted by how well
they single out a topic) that the article contains, counting a match in the title,
aliases or tags fully and a match only in the summary or body partly. Being a share, it
reads the same for any knowledge base size and can be compared with one threshold: below
it the bot says it does not know. Tokens the knowledge base has never seen count against
the article, so "pizza in Rome" or "fishing licence" are not answered by the first
article that shares a word.

Postings are stored as flat arrays (CSR): 5 bytes per (token, article) pair, so 10,000
articles in six languages fit in memory comfortably.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

STRONG = 1.0
WEAK = 0.4
_STRONG_BIT = 0x80
_TF_MASK = 0x7F
_HIRAGANA = re.compile(r"^[\u3040-\u309f]+$")
_LATIN = re.compile(r"^[0-9a-z_']+$")


def is_kana_bigram(token: str) -> bool:
    """Hiragana only: mostly grammar (です, ます, した), little topic."""
    return bool(_HIRAGANA.match(token))


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
    if is_kana_bigram(token):
        return 0.3, 0.1
    return 1.0, 0.35


@dataclass(frozen=True)
class IndexedDoc:
    strong: list[str]
    weak: list[str]


class LanguageIndex:
    def __init__(self, docs: Iterable[IndexedDoc], size: int, unknown_weight: float = 0.5
                 ) -> None:
        """`docs` may be a generator: each document's tokens are dropped once counted."""
        self.size = size
        self.unknown_weight = unknown_weight
        vocabulary: dict[str, int] = {}
        token_ids, doc_ids, packed = array("i"), array("i"), array("B")
        lengths = np.zeros(max(1, self.size), dtype=np.float32)
        for number, doc in enumerate(docs):
            counts = Counter(doc.weak)
            strong = set(doc.strong)
            counts.update(doc.strong * 3)
            lengths[number] = sum(counts.values())
            for token, count in counts.items():
                token_ids.append(vocabulary.setdefault(token, len(vocabulary)))
                doc_ids.append(number)
                packed.append(min(count, _TF_MASK) | (_STRONG_BIT if token in strong else 0))
        tokens = np.frombuffer(token_ids, dtype=np.int32)
        order = np.argsort(tokens, kind="stable")
        doc_type = np.uint16 if self.size < 2**16 else np.int32
        self._docs = np.frombuffer(doc_ids, dtype=np.int32)[order].astype(doc_type)
        self._packed = np.frombuffer(packed, dtype=np.uint8)[order].copy()
        self._offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(tokens, minlength=len(vocabulary)), out=self._offsets[1:])
        self._vocabulary = vocabulary
        self._average_length = float(lengths.mean()) if self.size else 1.0
        self._lengths = lengths
        self._weights = self._topic_weights()
        self.max_idf = self.idf(0)

    def _topic_weights(self) -> npt.NDArray[np.float32]:
        """A word that is a topic marker (title, alias) of few articles is informative
        even when many bodies mention it in passing ("drone rules apply here too")."""
        df = np.diff(self._offsets)
        strong = (self._packed & _STRONG_BIT) > 0
        token_of_entry = np.repeat(np.arange(len(df)), df)
        strong_df = np.bincount(token_of_entry[strong], minlength=len(df))
        idf_all = self._idf_array(df)
        idf_strong = np.where(strong_df > 0, self._idf_array(strong_df), 0.0)
        return np.maximum(idf_all, idf_strong).astype(np.float32)

    def _idf_array(self, df: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def knows(self, token: str) -> bool:
        return token in self._vocabulary

    def _posting(self, token: str) -> tuple[npt.NDArray[Any], npt.NDArray[np.uint8],
                                            float] | None:
        token_id = self._vocabulary.get(token)
        if token_id is None:
            return None
        start, end = self._offsets[token_id], self._offsets[token_id + 1]
        return self._docs[start:end], self._packed[start:end], float(self._weights[token_id])

    def score(self, tokens: list[str], unmatchable: frozenset[str] = frozenset()
              ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(coverage in [0, 1], BM25-like tie-breaker) for every document.

        `unmatchable` tokens weigh in the question's total but count for no document.
        """
        coverage = np.zeros(self.size, dtype=np.float64)
        bm25 = np.zeros(self.size, dtype=np.float64)
        total = 0.0
        for token in set(tokens):
            known_weight, unknown_share = token_class(token)
            posting = self._posting(token)
            if posting is None:
                total += self.max_idf * self.unknown_weight * unknown_share
                continue
            ids, packed, weight = posting
            weight *= known_weight
            total += weight
            if token in unmatchable:
                continue
            coverage[ids] += weight * np.where(packed & _STRONG_BIT, STRONG, WEAK)
            # BM25 term saturation, used only to order articles that cover the same share.
            tf = (packed & _TF_MASK).astype(np.float64)
            norm = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * self._lengths[ids] /
                                           self._average_length))
            bm25[ids] += weight * norm
        if total > 0:
            coverage /= total
        return coverage, bm25

    def token_weight(self, token: str) -> float:
        """What the token adds to the denominator of `score`."""
        known_weight, unknown_share = token_class(token)
        posting = self._posting(token)
        if posting is None:
            return self.max_idf * self.unknown_weight * unknown_share
        return posting[2] * known_weight

    def memory_bytes(self) -> int:
        return int(self._docs.nbytes + self._packed.nbytes + self._offsets.nbytes
                   + self._weights.nbytes + self._lengths.nbytes)
