"""Finding many listed phrases in a short text at once.

A regular expression with a thousand alternatives tries each one at every position;
here a Latin-script text is cut into words once and its runs of one to a few words are
looked up in a dictionary, and a Hangul, kana or Han text is scanned only where a listed
phrase's first character stands. Matches may overlap; callers choose among them.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Generic, TypeVar

from bot.services.knowledge.text import fold

T = TypeVar("T")
# Letters and digits of Latin script, accented ones included (the text may be folded or
# as written); anything else separates words, so "d'accord" is the words d, accord.
_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u1e00-\u1eff]+")
KATAKANA = ("\u30a0", "\u30ff")


_ES_PLURAL = ("ses", "xes", "zes", "ches", "shes")


def _singular(word: str) -> tuple[str, ...]:
    """The English or French singulars a plural may stand for ("drones", "taxes",
    "houses": "house", not "hous"); none when the word is no plural. "singes" is not
    "sing"."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return ()
    if len(word) > 4 and word.endswith(_ES_PLURAL):
        return word[:-2], word[:-1]
    return (word[:-1],)


@dataclass(frozen=True)
class _Words:
    spans: list[tuple[int, int]]
    words: list[str]
    singulars: list[tuple[str, ...]]
    # Each word and each singular it may stand for, with where it stands: a list of
    # phrases meets the few that start one of its phrases by one set intersection.
    forms: dict[str, list[int]]


@functools.lru_cache(maxsize=256)
def _words_of(text: str) -> _Words:
    # A message is searched for a dozen lists of phrases: it is cut into words once.
    matches = list(_WORD.finditer(text))
    words = [m.group() for m in matches]
    singulars = [_singular(word) for word in words]
    forms: dict[str, list[int]] = {}
    for at, word in enumerate(words):
        forms.setdefault(word, []).append(at)
        for singular in singulars[at]:
            forms.setdefault(singular, []).append(at)
    return _Words([m.span() for m in matches], words, singulars, forms)


@dataclass(frozen=True)
class _Pairs:
    # Where each pair of characters, and each character, stands in a text: a list of
    # Han, kana or Hangul phrases is tried only where one of its phrases can start.
    two: dict[str, list[int]]
    one: dict[str, list[int]]


@functools.lru_cache(maxsize=256)
def _pairs_of(text: str) -> _Pairs:
    two: dict[str, list[int]] = {}
    one: dict[str, list[int]] = {}
    for at, ch in enumerate(text):
        one.setdefault(ch, []).append(at)
        two.setdefault(text[at:at + 2], []).append(at)
    return _Pairs(two, one)


def unmarked_forms(terms: Iterable[tuple[str, T]], short: int = 4) -> list[tuple[str, T]]:
    """The terms as a text typed without marks meets them: folded, less the short marked
    words that fold into too many others ("bão", storm, is the "bao" of "bảo hiểm" and
    "bao nhiêu"; "trận", a match, is "Tran Quoc pagoda") unless some term is written so."""
    pairs = [(fold(term).strip(), term, value) for term, value in terms]
    plain = {key for key, term, _ in pairs if key == term.strip().lower()}
    ambiguous = {key for key, term, _ in pairs
                 if key != term.strip().lower() and " " not in key and len(key) <= short}
    return [(key, value) for key, _, value in pairs if key and key not in ambiguous - plain]


def is_latin(phrase: str) -> bool:
    return not phrase or max(phrase) < "\u2000"  # (max: C speed, at every start)


def _katakana(ch: str) -> bool:
    # (the middle dot "・" separates katakana words: "・ホイアン旧市街で" starts one)
    return KATAKANA[0] <= ch <= KATAKANA[1] and ch != "・"


@dataclass(frozen=True)
class Match(Generic[T]):
    value: T
    phrase: str
    start: int
    end: int


class Phrases(Generic[T]):
    """Phrases (already lower-cased, folded or not, as the texts they will meet), each
    standing for a value.

    Latin phrases match whole words, the last one also with a plural -s or -es. Other
    phrases match anywhere, except a phrase that starts or ends with katakana inside a
    longer katakana word (バー in ドライバー); `not_after` lists characters that may not
    follow a non-Latin phrase (한국어 is a language, not Korea).
    """

    def __init__(self, entries: Iterable[tuple[str, T]], not_after: str = "") -> None:
        self._words: dict[tuple[str, ...], tuple[str, T]] = {}
        self._by_first: dict[str, list[tuple[str, T]]] = defaultdict(list)
        self._not_after = not_after
        for phrase, value in entries:
            if not phrase:
                continue
            if is_latin(phrase):
                key = tuple(_WORD.findall(phrase))
                if key:
                    self._words.setdefault(key, (phrase, value))
            else:
                self._by_first[phrase[0]].append((phrase, value))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda pair: len(pair[0]), reverse=True)
        # Han and kana start many phrases each ("拍" a few dozen): the phrases of two or
        # more characters are tried by their first two, longest first, then the one-
        # character ones, and only where the text has such a pair or character.
        self._by_two: dict[str, list[tuple[str, T]]] = defaultdict(list)
        self._single: dict[str, list[tuple[str, T]]] = defaultdict(list)
        for first, candidates in self._by_first.items():
            for phrase, value in candidates:
                if len(phrase) >= 2:
                    self._by_two[phrase[:2]].append((phrase, value))
                else:
                    self._single[first].append((phrase, value))
        # The longest phrase starting with each word: most words start none.
        self._longest: dict[str, int] = {}
        for key in self._words:
            self._longest[key[0]] = max(self._longest.get(key[0], 0), len(key))

    def __bool__(self) -> bool:
        return bool(self._words or self._by_first)

    def find(self, text: str) -> list[Match[T]]:
        """Every match in `text`, by position."""
        found = self._latin(text) if self._words else []
        if self._by_first:
            found += self._other(text)
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        return found

    def _latin(self, text: str) -> list[Match[T]]:
        cut = _words_of(text)
        spans, words, singulars = cut.spans, cut.words, cut.singulars
        found: list[Match[T]] = []
        longest = self._longest
        starts = cut.forms.keys() & longest.keys()  # most texts start none of the phrases
        if not starts:
            return found
        for i in sorted({at for form in starts for at in cut.forms[form]}):
            word = words[i]
            most = longest.get(word) or max(
                (longest.get(singular, 0) for singular in singulars[i]), default=0)
            for n in range(min(most, len(words) - i), 0, -1):
                key = tuple(words[i : i + n])
                entry = self._words.get(key)
                if entry is None:  # "drones", "taxes": the plural of a listed word
                    for singular in singulars[i + n - 1]:
                        entry = self._words.get((*key[:-1], singular))
                        if entry is not None:
                            break
                if entry is not None:
                    found.append(Match(entry[1], entry[0], spans[i][0], spans[i + n - 1][1]))
                    break  # the longest at this word
        return found

    def _other(self, text: str) -> list[Match[T]]:
        found: list[Match[T]] = []
        if is_latin(text):  # each of these phrases has a character beyond Latin
            return found
        by_two, single, nothing = self._by_two, self._single, ()
        pairs = _pairs_of(text)
        starts = {at for pair in pairs.two.keys() & by_two.keys() for at in pairs.two[pair]}
        starts.update(at for ch in pairs.one.keys() & single.keys() for at in pairs.one[ch])
        for start in sorted(starts):
            for phrase, value in chain(by_two.get(text[start:start + 2], nothing),
                                       single.get(text[start], nothing)):
                if not text.startswith(phrase, start):
                    continue
                end = start + len(phrase)
                if _katakana(phrase[0]) and start > 0 and _katakana(text[start - 1]):
                    continue
                following = text[end] if end < len(text) else ""
                if following and (following in self._not_after or (
                        _katakana(phrase[-1]) and _katakana(following))):
                    continue
                found.append(Match(value, phrase, start, end))
                break  # the longest at this character
        return found
