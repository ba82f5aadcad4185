"""Vietnam's places as crews name them, and which article covers each.

`knowledge/places.yaml` lists the provinces and cities after the 2025 mergers (with the
old provinces), and the parks, heritage sites, islands, towns and districts foreign crews
ask about, each with its names in the shipped scripts and the location article that
covers it, if any. Knowing a place that has no article is what lets the bot say "we have
no location article on Nha Trang yet" instead of answering with Ninh Binh.

Latin names are also matched squashed and with a typo or two ("Halong", "Danag",
"Hoian"), by rapidfuzz; names in other scripts exactly, wherever they stand.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.services.knowledge.loader import read_yaml
from bot.services.knowledge.phrases import is_latin
from bot.services.knowledge.text import STOPWORDS, fold
from bot.services.understanding.terms import Terms

KINDS = frozenset({"city", "province", "former-province", "town", "district", "park",
                   "heritage", "island", "beach", "landmark", "region", "cave", "waterfall",
                   "pass", "market"})
# A squashed Latin name this long or longer may be matched with typos.
FUZZY_MIN_LENGTH = 6
FUZZY_MIN_SCORE = 88.0
FUZZY_ONE_WORD = 8  # a single word shorter than this is a name only as written
KEYS_KEPT = 1 << 15
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Place:
    id: str
    kind: str
    names: dict[str, tuple[str, ...]]
    article: str | None = None
    inside: str | None = None
    merged_into: str | None = None
    see: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        for lang in (language, "en", "vi"):
            names = self.names.get(lang)
            if names:
                return names[0]
        return self.id


@dataclass(frozen=True)
class Mention:
    place: Place
    start: int
    end: int


@dataclass
class Gazetteer:
    places: dict[str, Place] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        entries: list[tuple[str, Place]] = []
        self._squashed: dict[str, Place] = {}
        for place in self.places.values():
            for names in place.names.values():
                for name in names:
                    entries.append((name, place))
                    key = squash(name)
                    if is_latin(key) and len(key) >= FUZZY_MIN_LENGTH:
                        self._squashed.setdefault(key, place)
        self._terms: Terms[Place] = Terms(entries, marks_matter=True, proper=True)
        # Candidates for a typo'd name share its first letter: a window is compared with
        # tens of names, not all of them.
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for key in self._squashed:
            self._by_initial[key[0]].append(key)
        # Crews' words repeat from message to message: each window is looked up once.
        self._closest = functools.lru_cache(maxsize=KEYS_KEPT)(self._closest_uncached)

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        if not path.exists():
            return cls()
        data = read_yaml(path.read_text(encoding="utf-8")) or {}
        places: dict[str, Place] = {}
        problems: list[str] = []
        for number, entry in enumerate(data.get("places") or [], start=1):
            if not isinstance(entry, dict) or not entry.get("id"):
                problems.append(f"{path.name}: entry {number}: needs an id")
                continue
            names = {str(lang): tuple(str(n) for n in (values or []))
                     for lang, values in (entry.get("names") or {}).items()}
            place = Place(id=str(entry["id"]), kind=str(entry.get("kind", "")), names=names,
                          article=entry.get("article") or None, inside=entry.get("in") or None,
                          merged_into=entry.get("merged_into") or None,
                          see=tuple(entry.get("see") or ()))
            if place.kind not in KINDS:
                problems.append(f"{path.name}: {place.id}: unknown kind {place.kind!r}")
            if not names.get("en") or not names.get("vi"):
                problems.append(f"{path.name}: {place.id}: needs English and Vietnamese names")
            if place.id in places:
                problems.append(f"{path.name}: {place.id}: listed twice")
            places[place.id] = place
        for place in places.values():
            for ref in (place.inside, place.merged_into):
                if ref and ref not in places:
                    problems.append(f"{path.name}: {place.id}: no place {ref!r}")
        return cls(places, problems)

    def check(self, article_ids: set[str]) -> list[str]:
        """Problems, and links to articles that do not exist."""
        found = list(self.problems)
        for place in self.places.values():
            for ref in (place.article, *place.see):
                if ref and ref not in article_ids:
                    found.append(f"places.yaml: {place.id}: no article {ref!r}")
        return found

    def find(self, text: str) -> list[Mention]:
        """The places named in `text`, left to right; a typo'd Latin name is found too."""
        folded = fold(text)
        mentions = [Mention(f.value, f.start, f.end) for f in self._terms.find(text)]
        if self._squashed:
            mentions += self._fuzzy(folded, mentions, text)
            mentions.sort(key=lambda m: m.start)
        return mentions

    def _fuzzy(self, folded: str, exact: list[Mention], text: str) -> list[Mention]:
        """Windows of one to three words, squashed, against squashed names: "Halong",
        "Phu Quok", "Nha Trnag". Words already inside an exact match are left out, and so
        are words typed with their marks ("hạn mùa" is no typo of "Hang Múa": who types
        the marks types the name), and a short single word unless exactly a name
        ("tourne" is no "Tourane", "Danang" is Da Nang)."""
        taken = [(m.start, m.end) for m in exact]
        words = [(w.start(), w.end(), w.group()) for w in _WORD.finditer(folded)]
        # Per word, once: how many words from it on a window may hold (no stopword, no
        # marks).
        usable = [0] * (len(words) + 1)
        for i in range(len(words) - 1, -1, -1):
            start, end, word = words[i]
            if word not in STOPWORDS and text[start:end].isascii():
                usable[i] = usable[i + 1] + 1
        found: list[Mention] = []
        for size in (3, 2, 1):
            for i in range(len(words) - size + 1):
                if usable[i] < size:
                    continue
                start, end = words[i][0], words[i + size - 1][1]
                if sum(end - start for start, end, _ in words[i : i + size]) < (
                        FUZZY_MIN_LENGTH) or not text[start:end].isascii():
                    continue
                if any(s < end and start < e for s, e in taken):
                    continue
                key = "".join(w[2] for w in words[i : i + size])
                place = self._closest(key, exact=size == 1 and len(key) < FUZZY_ONE_WORD)
                if place is not None:
                    found.append(Mention(place, start, end))
                    taken.append((start, end))
        return found

    def _closest_uncached(self, key: str, exact: bool) -> Place | None:
        best = process.extractOne(key, self._by_initial.get(key[0], ()), scorer=fuzz.ratio,
                                  score_cutoff=100.0 if exact else FUZZY_MIN_SCORE)
        return None if best is None else self._squashed[best[0]]

    def contains(self, outer: Place, inner: Place) -> bool:
        """Whether `inner` lies in `outer` (a district in its city, an island in its
        province), and is not `outer` itself."""
        seen = {inner.id}
        place: Place | None = inner
        while place is not None and place.inside and place.inside not in seen:
            if place.inside == outer.id:
                return True
            seen.add(place.inside)
            place = self.places.get(place.inside)
        return False

    def with_article(self, article_id: str) -> Place | None:
        return next((p for p in self.places.values() if p.article == article_id), None)


# Where a trip starts ("two hours from Hanoi", "ハノイから車で", "从河内出发", "từ Hà Nội
# lên"): said of a place the crew passes through, not of the place asked about. Stricter
# than the foreign-place roles: "tombeaux royaux de Hué" is no trip from Hue.
_FROM_BEFORE = re.compile(r"(?:\b(?:from|depuis|au depart de|tu)\s+|从|由"
                          # ... and where the writer's company sits: "công ty dịch vụ phim
                          # ở Đồng Hới", "a production company in Hanoi" (not "a company
                          # shooting in Hanoi")
                          r"|\b(?:company|agency|studio|office|cong ty|cty|van phong"
                          r"|societe|boite|agence)\b(?:(?!shoot|film|quay|tourn)[^.,;!?\n])"
                          r"{0,40}?\s(?:in|at|o|tai|a|based in|basee a|base a)\s+"
                          # ... or where the writer lives and works: "fixer based in
                          # HCMC", "fixeur basé à Hanoi", "em là fixer ở TP.HCM"
                          r"|\b(?:based in|living in|located in|basee? a|installee? a"
                          r"|fixer o|coordinator o|dieu phoi o|song o"
                          # ... or where the writer is: "tui ở Huế nhưng đang phụ một đoàn
                          # ... ở Hà Giang", "I'm in Hanoi but the shoot is in Sapa"
                          r"|(?:tui|toi|minh|to|em|e) o|i(?:'m| am) in|i live in|je suis a"
                          r"|j'habite a|je vis a)\s+)$")
_FROM_AFTER = re.compile(r"\s*(?:から|에서\s*(?:출발|부터|오|와|왔|가|차로|버스로)|出发|过去|开车"
                         r"|-?based\b|\s*(?:production |service )?company\b|\s*소재|에 있는 "
                         r"(?:회사|제작사|업체)|\s*(?:거주|在住|に住んで|に駐在)|\s*(?:的)?(?:常驻|驻地))")


def is_origin(folded: str, mention: Mention) -> bool:
    """Whether the text (`folded`, positions as written) names the place of `mention` as
    where a trip starts."""
    return bool(_FROM_BEFORE.search(folded, 0, mention.start)
                or _FROM_AFTER.match(folded, mention.end))


def without_names(text: str, mentions: list[Mention]) -> str:
    """`text` with the places' names blanked out: what else it says."""
    for mention in sorted(mentions, key=lambda m: m.start, reverse=True):
        text = text[:mention.start] + " " + text[mention.end:]
    return text


def squash(name: str) -> str:
    return "".join(ch for ch in fold(name) if ch.isalnum())

