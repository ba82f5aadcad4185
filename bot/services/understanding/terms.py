"""Finding listed words and phrases in text of any script.

Latin-script terms are matched folded (no case, no diacritics: "cảm ơn" = "cam on") as
whole words, a plural -s allowed; terms in Hangul, kana or Han are matched anywhere, as
those scripts attach particles to words or write no spaces ("드론을", "無人機で").

A term written with marks is matched with its marks in a text that has marks: folded,
the Vietnamese "mùa bão" (storm season) is "mua bảo(hiểm)" (buy insurance), "hải quan"
(customs) is "hải quân" (navy), "đèn" (lights) is "đến" (to come). A text typed without
any marks is matched folded throughout, as its writer could not tell them apart either.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.services.knowledge.text import fold

T = TypeVar("T")


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
    """Terms, each standing for a value (a topic, a place).

    `marks_matter`: a term's marks must match in a marked text (topic words); place
    names are matched folded, as "Hô Chi Minh" and "Hồ Chí Minh" are one city.
    `overlapping`: matches of different values may overlap ("xin phép bay": asking leave,
    and a flight permit); otherwise the longest match at a place wins.
    """

    def __init__(self, entries: Iterable[tuple[str, T]], marks_matter: bool = False,
                 overlapping: bool = False) -> None:
        self._marks_matter = marks_matter
        self._overlapping = overlapping
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
                continue
            if written != key and marks_matter:
                marked.setdefault(written, value)
            latin.setdefault(key, value)
        unmarked = {k: v for k, v in latin.items() if k not in {fold(m) for m in marked}}
        self._values = {**latin, **other}
        self._marked_values = marked
        self._unmarked_values = unmarked
        self._latin = self._compile(latin, latin_words=True)
        self._unmarked = self._compile(unmarked, latin_words=True)
        self._marked = self._compile(marked, latin_words=True)
        self._other = self._compile(other, latin_words=False)

    def _compile(self, terms: dict[str, T], latin_words: bool) -> re.Pattern[str] | None:
        """One pattern for all terms, the longest first; the match is group 1. When
        matches may overlap, it is a lookahead, so that every position is tried."""
        if not terms:
            return None
        body = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
        if latin_words:
            # Latin letters around, not any letter: "MV" in "拍MV" is a word.
            letter = r"a-z0-9\u00c0-\u024f\u1e00-\u1eff"
            before, word = rf"(?<![{letter}])", rf"((?:{body})(?:e?s)?)(?![{letter}])"
        else:
            # A katakana term is not part of a longer katakana word (バー in ドライバー).
            before, word = r"(?<![\u30a0-\u30ff])", rf"({body})"
        return re.compile(f"{before}(?={word})" if self._overlapping else f"{before}{word}")

    def find(self, text: str) -> list[Found[T]]:
        """Matches in `text`, left to right, never overlapping; positions are the same
        in the text as written and folded (one character for one)."""
        found: list[Found[T]] = []
        folded = fold(text)
        written = _written(text)
        passes: tuple[tuple[re.Pattern[str] | None, dict[str, T], str], ...]
        if written == folded or not self._marks_matter:  # typed without marks: all folded
            passes = ((self._latin, self._values, folded),)
        else:
            passes = ((self._unmarked, self._unmarked_values, folded),
                      (self._marked, self._marked_values, written))
        for pattern, values, within in (*passes, (self._other, self._values, folded)):
            if pattern is None:
                continue
            for match in pattern.finditer(within):
                term = match.group(1)
                value = values.get(term)
                if value is None:  # the plural ending was taken along
                    value = values.get(term[:-1]) or values.get(term[:-2])
                if value is not None:
                    found.append(Found(value, term, match.start(1), match.end(1)))
        found.sort(key=lambda f: (f.start, -(f.end - f.start)))
        kept: list[Found[T]] = []
        for item in found:
            if not kept or item.start >= kept[-1].end or (
                    self._overlapping and all(k.value != item.value for k in kept)):
                kept.append(item)
        return kept
