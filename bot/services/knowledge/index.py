"""An inverted index per language, scoring by how much of the question an article covers.

The score is the share of the question's information (its tokens weighted by how well
they single out a topic) that the article contains, counting a match in the title,
aliases or tags fully and a match only in the summary or body partly. Being a share, it
reads the same for any knowledge base size and can be compared with one threshold: below
it the bot says it does not know. Tokens the knowledge base has never seen count against
the article, so "pizza in Rome" or "fishing licence" are not answered by the first
article that shares a word.

Postings are stored as flat arrays (CSR): 3 bytes per (token, article) pair (5 beyond
65,535 articles), about 55 MB for 10,000 articles in six languages.
"""

from __future__ import annotations

import ctypes
import functools
import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

STRONG = 1.0
WEAK = 0.4
_STRONG_BIT = 0x80
_ASKED_BIT = 0x40
_TF_MASK = 0x3F
# What `matches` reports for each document: where the token appears.
IN_BODY, IN_QUESTIONS, IN_TITLE = 0, 1, 2
_HIRAGANA = re.compile(r"^[\u3040-\u309f]+$")
_LATIN = re.compile(r"^[0-9a-z_']+$")
T = TypeVar("T")
K = TypeVar("K")
_M_MMAP_THRESHOLD = -3  # mallopt parameter, glibc's malloc.h
_threshold_pinned = False


def is_kana_bigram(token: str) -> bool:
    """Hiragana only: mostly grammar (です, ます, した), little topic."""
    return bool(_HIRAGANA.match(token))


@functools.lru_cache(maxsize=1 << 16)  # a question's tokens are weighed several times
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
    """An article's tokens by where they stand: title and aliases (strong), the questions
    crews ask that it answers (asked), summary and body (weak)."""

    strong: list[str]
    weak: list[str]
    asked: list[str] = field(default_factory=list)


def pin_mmap_threshold() -> None:
    """Keep glibc serving every allocation of 128 KiB or more from its own mmap.

    By default glibc raises that threshold each time such a block is freed, after which
    the arrays an index build grows and replaces come from the heap and leave holes
    the next, larger one does not fit: about 60 MB more peak memory at 10,000 articles
    (measured). Pinned, freed arrays go back to the system. Once per process; nothing
    on other C libraries.
    """
    global _threshold_pinned
    if _threshold_pinned:
        return
    _threshold_pinned = True
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt(_M_MMAP_THRESHOLD, 128 * 1024)


class IndexBuilder:
    """Builds one language's postings (CSR by token) document by document.

    Postings wait in growing arrays for a block of BLOCK documents, then the block is
    sorted by token and merged into the CSR arrays. Memory so stays near the three
    bytes per (token, document) pair the index keeps, instead of the 20 or so of growing
    arrays for every pair plus a sort order over all of them (with `pin_mmap_threshold`,
    the arrays each merge replaces go back to the system). Documents must come in
    order, each once.
    """

    BLOCK = 1024

    def __init__(self, size: int) -> None:
        self.size = size
        self.vocabulary: dict[str, int] = {}
        self.lengths = np.zeros(max(1, size), dtype=np.float32)
        self._doc_type = np.uint16 if size < 2**16 else np.int32
        self._offsets = np.zeros(1, dtype=np.int64)
        self._docs = np.zeros(0, dtype=self._doc_type)
        self._packed = np.zeros(0, dtype=np.uint8)
        self._added = 0
        self._block_start = 0
        self._tokens = array("i")
        self._block_packed = array("B")
        self._per_doc = array("i")

    def add(self, doc: IndexedDoc) -> None:
        counts = Counter(doc.weak)
        counts.update(doc.asked)
        strong = set(doc.strong)
        asked = set(doc.asked)
        counts.update(doc.strong * 3)
        self.lengths[self._added] = sum(counts.values())
        vocabulary = self.vocabulary
        self._tokens.extend([vocabulary.setdefault(token, len(vocabulary)) for token in counts])
        self._block_packed.extend([
            min(count, _TF_MASK) | (_STRONG_BIT if token in strong
                                    else _ASKED_BIT if token in asked else 0)
            for token, count in counts.items()])
        self._per_doc.append(len(counts))
        self._added += 1
        if self._added - self._block_start == self.BLOCK:
            self._merge_block()

    def _merge_block(self) -> None:
        """Sort the block by token (stable: documents stay ascending) and insert each
        token's entries after that token's earlier ones."""
        tokens = np.frombuffer(self._tokens, dtype=np.int32)
        order = np.argsort(tokens, kind="stable")
        per_token = np.bincount(tokens, minlength=len(self.vocabulary))
        del tokens
        docs = np.repeat(np.arange(self._block_start, self._added, dtype=self._doc_type),
                         np.frombuffer(self._per_doc, dtype=np.int32))[order]
        packed = np.frombuffer(self._block_packed, dtype=np.uint8)[order]
        del order
        self._tokens, self._block_packed, self._per_doc = array("i"), array("B"), array("i")
        self._block_start = self._added
        known = len(self._offsets) - 1
        # Where each token's run ends now: new entries go there (new tokens at the end).
        ends = np.full(len(per_token), len(self._docs), dtype=np.int64)
        ends[:known] = self._offsets[1:]
        where = np.repeat(ends, per_token)
        where += np.arange(len(where), dtype=np.int64)  # shifted by entries inserted before
        old = np.ones(len(self._docs) + len(where), dtype=bool)
        old[where] = False
        merged_docs = np.empty(len(old), dtype=self._doc_type)
        merged_docs[where] = docs
        merged_docs[old] = self._docs
        self._docs = merged_docs
        merged_packed = np.empty(len(old), dtype=np.uint8)
        merged_packed[where] = packed
        merged_packed[old] = self._packed
        self._packed = merged_packed
        df = per_token
        df[:known] += np.diff(self._offsets)
        self._offsets = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=self._offsets[1:])

    def build(self, unknown_weight: float = 0.5) -> LanguageIndex:
        return LanguageIndex.from_arrays(self.size, unknown_weight, *self.arrays())

    def arrays(self) -> tuple[dict[str, int], npt.NDArray[np.int64], npt.NDArray[Any],
                              npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
        """(vocabulary, offsets, documents, packed, lengths): CSR by token with each
        token's documents ascending."""
        if self._added > self._block_start:
            self._merge_block()
        return self.vocabulary, self._offsets, self._docs, self._packed, self.lengths


def build_indexes(items: Iterable[T], size: int, fields: Callable[[T, str], IndexedDoc],
                  languages: Sequence[str], unknown_weight: float = 0.5
                  ) -> dict[str, LanguageIndex]:
    """One index per language from one pass over `items`, so each article's file is read
    once, not once per language."""
    pin_mmap_threshold()
    builders = {language: IndexBuilder(size) for language in languages}
    for item in items:
        for language, builder in builders.items():
            builder.add(fields(item, language))
    return {language: builder.build(unknown_weight) for language, builder in builders.items()}


@dataclass(frozen=True)
class QuestionSet:
    """An article's crew questions as an index reads them: which questions hold each
    token, and each question's own weight, so that matching a question touches only the
    questions sharing one of its tokens."""

    postings: dict[str, tuple[int, ...]]
    own: tuple[float, ...]


@dataclass(frozen=True)
class TokenEvidence:
    """What one known token says of the articles it stands in, as `service._explained`
    weighs it: the same for every question, so worked out once per token."""

    topic: float
    docs: npt.NDArray[Any]
    credit: npt.NDArray[np.float64]  # when the token is a word of the question
    name_credit: npt.NDArray[np.float64]  # when it spells a name the question gives


# An index of at most this many (token, article) pairs (the shipped base has about 20,000
# per language) works out every pair's BM25 term, and the service every pair's evidence,
# when it is built or loaded, in a few vectorised steps: a token's first use then slices
# them instead of computing them. At 10,000 articles (millions of pairs) the arrays would
# take hundreds of megabytes, so large indexes compute each token's on first use.
FLAT_POSTINGS = 250_000
# A bound on the arrays kept by `LanguageIndex.evidence` and the BM25 terms (elements,
# about 8 bytes each, so a few MB at most): a question's tokens repeat, every typo is a
# new one, and at 10,000 articles a common word's posting is thousands long.
EVIDENCE_KEPT = 1 << 19


class SizedMemo(Generic[K, T]):
    """Values worked out once per key, while the arrays they hold come to at most
    `budget` elements in all; past it the memo starts again (a bound, not an LRU)."""

    def __init__(self, budget: int) -> None:
        self._values: dict[K, T] = {}
        self._used = 0
        self._budget = budget

    def get(self, key: K) -> T | None:
        return self._values.get(key)

    def put(self, key: K, value: T, size: int) -> T:
        if self._used + size > self._budget:
            self._values.clear()
            self._used = 0
        self._values[key] = value
        self._used += size
        return value


class LanguageIndex:
    size: int
    unknown_weight: float
    max_idf: float
    _vocabulary: dict[str, int]
    _offsets: npt.NDArray[np.int64]
    _docs: npt.NDArray[Any]
    _packed: npt.NDArray[np.uint8]
    _lengths: npt.NDArray[np.float32]
    _weights: npt.NDArray[np.float32]
    _average_length: float

    def __init__(self, docs: Iterable[IndexedDoc], size: int, unknown_weight: float = 0.5
                 ) -> None:
        """`docs` may be a generator: each document's tokens are dropped once counted."""
        builder = IndexBuilder(size)
        for doc in docs:
            builder.add(doc)
        self._set(size, unknown_weight, *builder.arrays())

    @classmethod
    def from_arrays(cls, size: int, unknown_weight: float, vocabulary: dict[str, int],
                    offsets: npt.NDArray[np.int64], docs: npt.NDArray[Any],
                    packed: npt.NDArray[np.uint8], lengths: npt.NDArray[np.float32]
                    ) -> LanguageIndex:
        """An index from its arrays, as `IndexBuilder` makes them or a cache kept them."""
        index = cls.__new__(cls)
        index._set(size, unknown_weight, vocabulary, offsets, docs, packed, lengths)
        return index

    def arrays(self) -> tuple[dict[str, int], npt.NDArray[np.int64], npt.NDArray[Any],
                              npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
        """What `from_arrays` needs besides size and unknown weight; the rest is derived."""
        return self._vocabulary, self._offsets, self._docs, self._packed, self._lengths

    def _set(self, size: int, unknown_weight: float, vocabulary: dict[str, int],
             offsets: npt.NDArray[np.int64], docs: npt.NDArray[Any],
             packed: npt.NDArray[np.uint8], lengths: npt.NDArray[np.float32]) -> None:
        # A crew question's tokens and their weight here, worked out once per question.
        self.profiles: dict[str, tuple[frozenset[str], float]] = {}
        # An article's crew questions as this index reads them, for the articles ranked
        # more than once (`service.question_match`).
        self.question_sets: dict[object, QuestionSet] = {}
        self.questions_seen: set[object] = set()
        # What each token says of the articles (`service._explained`) and adds to their
        # BM25 scores, worked out once.
        self.evidence: SizedMemo[str, TokenEvidence] = SizedMemo(EVIDENCE_KEPT)
        self._bm25_terms: SizedMemo[
            str, tuple[npt.NDArray[Any], npt.NDArray[np.float64]]] = SizedMemo(EVIDENCE_KEPT)
        self.size = size
        self.unknown_weight = unknown_weight
        self._vocabulary = vocabulary
        self._offsets = offsets
        self._docs = docs
        self._packed = packed
        self._lengths = lengths
        self._average_length = float(lengths.mean()) if size else 1.0
        self._weights = self._topic_weights()
        self.max_idf = self.idf(0)
        self.small = len(docs) <= FLAT_POSTINGS
        self._known_weights: npt.NDArray[np.float64] | None = None
        self._flat_bm25 = self._all_bm25_terms() if self.small else None
        # (topic weight by token id, credit, name credit by pair), set by the service
        # for a small index (`service.flat_evidence`).
        self.flat_evidence: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                                  npt.NDArray[np.float64]] | None = None

    def known_weights(self) -> npt.NDArray[np.float64]:
        """`token_class(token)[0]` of every token, by id (worked out once: the BM25 terms
        and the service's evidence both weigh by it)."""
        if self._known_weights is None:
            weights = np.empty(len(self._vocabulary))
            classify = token_class.__wrapped__  # (all tokens once: none kept in its memo)
            for token, token_id in self._vocabulary.items():
                weights[token_id] = classify(token)[0]
            self._known_weights = weights
        return self._known_weights

    def weight_array(self) -> npt.NDArray[np.float64]:
        """Each token's topic weight (`_topic_weights`), by id."""
        return self._weights.astype(np.float64)

    def counts(self) -> npt.NDArray[np.int64]:
        """How many articles each token stands in, by id."""
        return np.diff(self._offsets)

    def pair_tokens(self) -> npt.NDArray[np.int64]:
        """The token id of every (token, article) pair, in the postings' order."""
        return np.repeat(np.arange(len(self._vocabulary), dtype=np.int64), self.counts())

    def pair_places(self) -> npt.NDArray[np.uint8]:
        """Where the token of every pair stands (IN_TITLE, IN_QUESTIONS or IN_BODY)."""
        return self._packed >> np.uint8(6)

    def locate(self, token: str) -> tuple[int, int, int] | None:
        """(token id, first pair, end): where the token's pairs lie in the postings."""
        token_id = self._vocabulary.get(token)
        if token_id is None:
            return None
        return token_id, int(self._offsets[token_id]), int(self._offsets[token_id + 1])

    def docs_between(self, start: int, end: int) -> npt.NDArray[Any]:
        return self._docs[start:end]

    def _all_bm25_terms(self) -> npt.NDArray[np.float64]:
        """What `_bm25_term` works out for each pair, for all pairs at once (the same
        operations, element by element)."""
        tf = (self._packed & _TF_MASK).astype(np.float64)
        norm = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * self._lengths[self._docs] /
                                       self._average_length))
        weights = self.weight_array() * self.known_weights()
        terms: npt.NDArray[np.float64] = weights[self.pair_tokens()] * norm
        return terms

    def _topic_weights(self) -> npt.NDArray[np.float32]:
        """A word that is a topic marker (title, alias) of few articles is informative
        even when many bodies mention it in passing ("drone rules apply here too")."""
        df = np.diff(self._offsets)
        strong_df = np.zeros(len(df), dtype=np.int64)
        if len(df):  # every token has at least one entry, so reduceat's starts are distinct
            np.add.reduceat(self._packed >> 7, self._offsets[:-1], dtype=np.int64,
                            out=strong_df)
        idf_all = self._idf_array(df)
        idf_strong = np.where(strong_df > 0, self._idf_array(strong_df), 0.0)
        return np.maximum(idf_all, idf_strong).astype(np.float32)

    def _idf_array(self, df: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def knows(self, token: str) -> bool:
        return token in self._vocabulary

    def matches(self, token: str) -> tuple[npt.NDArray[Any], npt.NDArray[np.uint8]] | None:
        """(documents, where the token stands in each: IN_TITLE, IN_QUESTIONS or IN_BODY)
        for one token, or None if unseen: for callers that weigh each token's matches
        themselves, in time proportional to the token's documents rather than to the
        index."""
        posting = self._posting(token)
        if posting is None:
            return None
        return posting[0], posting[1] >> np.uint8(6)

    def _posting(self, token: str) -> tuple[npt.NDArray[Any], npt.NDArray[np.uint8],
                                            float] | None:
        token_id = self._vocabulary.get(token)
        if token_id is None:
            return None
        start, end = self._offsets[token_id], self._offsets[token_id + 1]
        return self._docs[start:end], self._packed[start:end], float(self._weights[token_id])

    def bm25(self, tokens: list[str], unmatchable: frozenset[str] = frozenset()
             ) -> npt.NDArray[np.float64]:
        """A BM25-like score for every document: it only orders articles that explain the
        same share of a question (`service._explained` works out the share itself).
        `unmatchable` tokens count for no document."""
        ids: list[npt.NDArray[Any]] = []
        scores: list[npt.NDArray[np.float64]] = []
        for token in set(tokens):
            if token in unmatchable:
                continue
            term = self._bm25_terms.get(token)
            if term is None:
                term = self._bm25_term(token)
                if term is None:
                    continue
            ids.append(term[0])
            scores.append(term[1])
        if not ids:
            return np.zeros(self.size, dtype=np.float64)
        # Summed in one call, not one per token: numpy's cost is per call.
        summed: npt.NDArray[np.float64] = np.bincount(  # type: ignore[assignment]
            np.concatenate(ids), weights=np.concatenate(scores), minlength=self.size)
        return summed

    def _bm25_term(self, token: str
                   ) -> tuple[npt.NDArray[Any], npt.NDArray[np.float64]] | None:
        if self._flat_bm25 is not None:
            found = self.locate(token)
            if found is None:
                return None
            _, start, end = found
            return self._bm25_terms.put(
                token, (self._docs[start:end], self._flat_bm25[start:end]), end - start)
        posting = self._posting(token)
        if posting is None:
            return None
        ids, packed, weight = posting
        weight *= token_class(token)[0]
        # BM25 term saturation.
        tf = (packed & _TF_MASK).astype(np.float64)
        norm = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * self._lengths[ids] /
                                       self._average_length))
        return self._bm25_terms.put(token, (ids, weight * norm), len(ids))

    def token_weight(self, token: str) -> float:
        """What the token adds to the share of a question it stands in (the denominator
        of `service._explained`)."""
        known_weight, unknown_share = token_class(token)
        token_id = self._vocabulary.get(token)  # (its weight alone: no posting sliced)
        if token_id is None:
            return self.max_idf * self.unknown_weight * unknown_share
        return float(self._weights[token_id]) * known_weight

    def memory_bytes(self) -> int:
        """The index's arrays, a small index's per-pair tables included."""
        tables = [*(self.flat_evidence or ()), *(() if self._flat_bm25 is None
                                                 else (self._flat_bm25,))]
        return int(self._docs.nbytes + self._packed.nbytes + self._offsets.nbytes
                   + self._weights.nbytes + self._lengths.nbytes
                   + sum(table.nbytes for table in tables))
