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

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.services.knowledge.phrases import Phrases, is_latin, unmarked_forms
from bot.services.knowledge.text import VI_ONLY_LETTERS, fold, script_counts

T = TypeVar("T")


def _written(text: str) -> str:
    """Lower case, compatibility forms unified, marks kept: as long as `fold(text)`."""
    return unicodedata.normalize("NFKC", text).lower()


def _capital(text: str, start: int) -> bool:
    return start < len(text) and text[start].isupper()


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    term: str
    start: int
    end: int


class Terms(Generic[T]):
    """Terms, each standing for a value (a topic, a place).

    `marks_matter`: a term's marks must match in a marked text (topic words, and place
    names since session 20: "mang đèn", to bring lights, is no Măng Đen); otherwise terms
    are matched folded.
    `overlapping`: matches of different values may overlap ("xin phép bay": asking leave,
    and a flight permit); otherwise the longest match at a place wins. `proper`: the terms
    are names, which writers capitalise: of two overlapping matches, one written with a
    capital wins over one that starts in lower case.
    """

    def __init__(self, entries: Iterable[tuple[str, T]], marks_matter: bool = False,
                 overlapping: bool = False, proper: bool = False) -> None:
        self._overlapping = overlapping
        self._proper = proper
        # Korean spacing is loose: "손둥 동굴" is as often written "손둥동굴", "촬영 허가"
        # "촬영허가"; a Hangul term with spaces also stands without them.
        entries_list = [pair for term, value in entries for pair in (
            ((term, value), (term.replace(" ", ""), value))
            if " " in term and script_counts(term)["hangul"] else ((term, value),))]
        folded: list[tuple[str, T]] = []
        plain: list[tuple[str, T]] = []  # written without marks, or not Latin at all
        marked: list[tuple[str, T]] = []
        for term, value in entries_list:
            key = fold(term).strip()
            if not key:
                continue
            written = _written(term).strip()
            folded.append((key, value))
            if marks_matter and is_latin(key) and written != key:
                marked.append((written, value))
            else:
                plain.append((key, value))
        # In a text typed without marks, a short marked word folds into too many others
        # ("bão", storm, is the "bao" of "bảo tồn", "bao nhiêu"): it is left out there,
        # unless some language lists it unmarked (the English "Tet").
        self._all: Phrases[T] = Phrases(unmarked_forms(entries_list) if marks_matter
                                        else folded)
        # In a marked text: terms listed without marks folded, marked ones as written.
        self._unmarked: Phrases[T] = Phrases(plain)
        self._marked: Phrases[T] = Phrases(marked)

    def find(self, text: str) -> list[Found[T]]:
        """Matches in `text`, left to right; positions are the same in the text as
        written and folded (one character for one)."""
        folded = fold(text)
        written = _written(text)
        if written == folded or not self._marked:  # typed without marks: all folded
            matches = self._all.find(folded)
        else:
            # A word written with Vietnamese marks is no unmarked term: "văn" (text) is
            # not the English "van", "bán" (to sell) no "ban".
            matches = [m for m in self._unmarked.find(folded)
                       if not VI_ONLY_LETTERS.intersection(written[m.start:m.end])
                       ] + self._marked.find(written)
            matches.sort(key=lambda m: (m.start, -(m.end - m.start)))
        kept: list[Found[T]] = []
        for m in matches:
            if not kept or m.start >= kept[-1].end or (
                    self._overlapping and all(k.value != m.value for k in kept)):
                kept.append(Found(m.value, m.phrase, m.start, m.end))
            elif (self._proper and not _capital(text, kept[-1].start)
                  and _capital(text, m.start) and m.end - m.start >= kept[-1].end
                  - kept[-1].start):
                # Names are capitalised: in "ban quản lý Sơn Trà" (the Son Tra board) the
                # name is "Sơn Trà", not the "lý Sơn" (Ly Son island) that starts first.
                kept[-1] = Found(m.value, m.phrase, m.start, m.end)
        return kept
