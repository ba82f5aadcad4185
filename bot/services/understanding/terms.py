"""Finding listed words and phrases in text of any script.

Latin-script terms are matched folded (no case, no diacritics: "cảm ơn" = "cam on") as
whole words, a plural -s allowed; terms in Hangul, kana or Han are matched anywhere, as
those scripts attach particles to words or write no spaces ("드론을", "無人機で").

A short marked word is matched only as written: folded, the Vietnamese "bão" (storm) is
"bao" (how, in "bao nhiêu", and in "bảo hiểm", insurance), "đèn" (lights) is "đến" (to
come) and "chùa" (pagoda) is "chưa" (not yet).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.services.knowledge.text import fold

T = TypeVar("T")
# A marked Latin word this short (folded) is matched only with its marks.
SHORT_MARKED_WORD = 4


def _written(text: str) -> str:
    """Lower case, compatibility forms unified, marks kept: as long as `fold(text)`."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    term: str
    start: int
    end: int


def is_latin(term: str) -> bool:
    return all(ord(ch) < 0x2000 for ch in term)


class Terms(Generic[T]):
    """Terms, each standing for a value (a topic, a place); the longest match wins."""

    def __init__(self, entries: Iterable[tuple[str, T]]) -> None:
        latin: dict[str, T] = {}
        marked: dict[str, T] = {}
        other: dict[str, T] = {}
        for term, value in entries:
            written = _written(term).strip()
            key = fold(term).strip()
            if not key:
                continue
            if not is_latin(key):
                other.setdefault(key, value)
            elif written != key and " " not in key and len(key) <= SHORT_MARKED_WORD:
                marked.setdefault(written, value)
            else:
                latin.setdefault(key, value)
        self._values = {**latin, **other}
        self._marked_values = marked
        self._latin = self._compile(sorted(latin, key=len, reverse=True), latin_words=True)
        self._marked = self._compile(sorted(marked, key=len, reverse=True), latin_words=True)
        self._other = self._compile(sorted(other, key=len, reverse=True), latin_words=False)

    @staticmethod
    def _compile(terms: list[str], latin_words: bool) -> re.Pattern[str] | None:
        if not terms:
            return None
        body = "|".join(re.escape(term) for term in terms)
        if latin_words:
            return re.compile(rf"(?<![\w'])(?:{body})(?:e?s)?(?!\w)")
        # A katakana term is not part of a longer katakana word (バー in ドライバー).
        return re.compile(rf"(?<![\u30a0-\u30ff])(?:{body})")

    def find(self, text: str) -> list[Found[T]]:
        """Matches in `text`, left to right, never overlapping; positions are the same
        in the text as written and folded (one character for one)."""
        found: list[Found[T]] = []
        folded = fold(text)
        written = _written(text) if self._marked is not None else folded
        for pattern, values, within in ((self._latin, self._values, folded),
                                        (self._marked, self._marked_values, written),
                                        (self._other, self._values, folded)):
            if pattern is None:
                continue
            for match in pattern.finditer(within):
                term = match.group()
                value = values.get(term)
                if value is None:  # the plural ending was taken along
                    value = values.get(term[:-1]) or values.get(term[:-2])
                if value is not None:
                    found.append(Found(value, term, match.start(), match.end()))
        found.sort(key=lambda f: (f.start, -(f.end - f.start)))
        kept: list[Found[T]] = []
        for item in found:
            if not kept or item.start >= kept[-1].end:
                kept.append(item)
        return kept
