"""Fuzzy matching of place and vendor names ("Halong", "Hoian", "Phu Quok", "Sapa")."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import chain

from rapidfuzz.distance import Indel

from bot.services.knowledge.text import fold, tokenize

MIN_RATIO = 0.84
KEYS_KEPT = 1 << 15


def squash(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isalnum())


def _trigrams(word: str) -> set[str]:
    return {word[i : i + 3] for i in range(len(word) - 2)}


class NameMatcher:
    """Latin-script names compared without spaces or diacritics, typos forgiven; names in
    other scripts (하롱베이, 下龙湾, フエ) found exactly, wherever they stand in the text."""

    def __init__(self) -> None:
        self._names: dict[str, set[int]] = defaultdict(set)
        self._by_trigram: dict[str, set[str]] = defaultdict(set)
        self._other_script: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        # Crews' words recur ("permit", "drone", "hanoi"): each is compared with the
        # names once (up to KEYS_KEPT).
        self._seen: dict[str, tuple[str, float] | None] = {}

    def add(self, name: str, doc: int) -> None:
        key = squash(name)
        if key and not key.isascii():
            if len(key) >= 2:
                self._other_script[key[:2]][key].add(doc)
            return
        if len(key) < 4:
            return
        self._names[key].add(doc)
        for gram in _trigrams(key):
            self._by_trigram[gram].add(key)

    def _match_other_script(self, text: str) -> list[tuple[list[str], int, float]]:
        squashed = squash(text)
        found: list[tuple[list[str], int, float]] = []
        for start in range(len(squashed) - 1):
            for name, docs in self._other_script.get(squashed[start : start + 2], {}).items():
                if squashed.startswith(name, start):
                    span = tokenize(name)
                    found.extend((span, doc, 1.0) for doc in docs)
        return found

    def match(self, text: str) -> list[tuple[list[str], int, float]]:
        """(question tokens covered, document, similarity) for each name found."""
        words = [w for w in tokenize(text) if "_" not in w and w.isascii()]
        found = self._match_other_script(text) if not text.isascii() else []
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                span = words[start : start + size]
                key = "".join(span)
                if len(key) < 4:
                    continue
                best = self._best(key)
                if best is None:
                    continue
                name, ratio = best
                found.extend((span, doc, ratio) for doc in self._names[name])
        return found

    def _best(self, key: str) -> tuple[str, float] | None:
        if key in self._names:
            return key, 1.0
        if key in self._seen:
            return self._seen[key]
        found = self._closest(key)
        if len(self._seen) < KEYS_KEPT:
            self._seen[key] = found
        return found

    def _closest(self, key: str) -> tuple[str, float] | None:
        grams = _trigrams(key)
        if not grams:
            return None
        # Names sharing at least half the key's trigrams, counted at C speed.
        need = (len(grams) + 1) // 2
        votes = Counter(chain.from_iterable(self._by_trigram.get(gram, ()) for gram in grams))
        best: tuple[str, float] | None = None
        for name, shared in votes.items():
            if shared < need:
                continue
            ratio = Indel.normalized_similarity(key, name)  # rapidfuzz: C++, not difflib
            if ratio >= MIN_RATIO and (best is None or ratio > best[1]):
                best = (name, ratio)
        return best
