"""What the knowledge base holds, once loaded and validated."""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar, cast

KINDS = ("article", "location", "vendors")
CATEGORIES = (
    "permits",
    "visa",
    "customs",
    "incentives",
    "contact",
    "practical",
    "locations",
    "vendors",
)
REGIONS = ("north", "central", "south")
VENDOR_CATEGORIES = (
    "service-company",
    "equipment-rental",
    "drone-operator",
    "casting",
    "transport",
    "catering",
    "post-production",
    "translator",
)
BASE_LANGUAGES = ("en", "vi")
ALL_LANGUAGES = ("en", "vi", "ko", "ja", "zh", "fr")
T = TypeVar("T")


UNPACKED_KEPT = 64
_UNPACKED: dict[bytes, object] = {}  # insertion order is recency: an LRU


class Packed(Generic[T]):
    """A value kept compressed until asked for.

    Summaries, aliases, sources and place notes of 10,000 articles take over 200 MB as
    Python objects but under 50 MB compressed; a reply unpacks one article's in tens of
    microseconds. `opened` gives an uncompressed copy for code that reads every article
    repeatedly (building the index).
    """

    __slots__ = ("_data", "_value")

    def __init__(self, value: T, compress: bool = True) -> None:
        self._data: bytes | None = None
        self._value: T | None = None
        if compress:
            self._data = zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1)
        else:
            self._value = value

    def get(self) -> T:
        if self._data is None:
            return cast(T, self._value)
        # A reply reads an article's summary, sources and notes one after another, and
        # the same few articles answer most questions: the last few unpacked are kept
        # (read-only, like every article's details).
        kept = _UNPACKED.pop(self._data, None)
        value: T = (pickle.loads(zlib.decompress(self._data)) if kept is None
                    else cast(T, kept))
        _UNPACKED[self._data] = value
        if len(_UNPACKED) > UNPACKED_KEPT:
            del _UNPACKED[next(iter(_UNPACKED))]
        return value

    def opened(self) -> Packed[T]:
        return self if self._data is None else Packed(self.get(), compress=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Packed) and self.get() == other.get()

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> tuple[bytes | None, T | None]:
        return self._data, self._value

    def __setstate__(self, state: tuple[bytes | None, T | None]) -> None:
        self._data, self._value = state

    def __repr__(self) -> str:
        return f"Packed({self.get()!r})"


SOURCE_TYPES = ("primary", "secondary")


@dataclass(frozen=True)
class Source:
    """A public page an article's facts were checked against.

    `title` is one text (a law's own title, in whatever language the page is) unless the
    article gives it per language (`titles`), so a Korean crew reads which decree in
    Korean. `type` is "primary" (the text of a law, decree or circular, or the page of the
    authority that decides) or "secondary" (news, commentary, a firm's summary) where the
    article says so; empty, it is decided from the address (`sources.is_primary`).
    """

    title: str
    url: str
    titles: dict[str, str] = field(default_factory=dict)
    type: str = ""

    def title_in(self, language: str) -> str:
        """The title in `language`, else in English, else the one given."""
        return self.titles.get(language) or self.titles.get("en") or self.title


@dataclass(frozen=True)
class LocationNotes:
    best_season: dict[str, str]
    access: dict[str, str]
    permit_notes: dict[str, str]


@dataclass(frozen=True, slots=True)
class LocationInfo:
    """Where a place is, in memory for browsing by region; its notes packed (`Packed`)."""

    region: str
    types: tuple[str, ...]
    lat: float
    lon: float
    notes: Packed[LocationNotes]

    @property
    def best_season(self) -> dict[str, str]:
        return self.notes.get().best_season

    @property
    def access(self) -> dict[str, str]:
        return self.notes.get().access

    @property
    def permit_notes(self) -> dict[str, str]:
        return self.notes.get().permit_notes


@dataclass(frozen=True)
class ArticleText:
    """What only a reply or the index reads, besides the body."""

    summary: dict[str, str]
    aliases: dict[str, tuple[str, ...]]
    sources: tuple[Source, ...]
    # Questions crews ask that the article answers, as they phrase them: search terms
    # only, so the index learns each language's question words and trade slang.
    questions: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Article:
    """One article in every language it has.

    What lists and buttons need (id, title, category, place) is in memory. Summary,
    aliases and sources are packed (`Packed`), and `body` is a mapping that reads the
    text from the article's file when asked (`loader.BodyFile`): 10,000 articles' text
    takes hundreds of megabytes, and a reply shows one article. Which languages an
    article has is known without unpacking anything.
    """

    id: str
    kind: str
    category: str
    title: dict[str, str]
    details: Packed[ArticleText]
    summary_languages: tuple[str, ...]
    body: Mapping[str, str]
    tags: tuple[str, ...]
    related: tuple[str, ...]
    reviewed: date
    path: str
    location: LocationInfo | None = None
    vendor_category: str | None = None

    @property
    def summary(self) -> dict[str, str]:
        return self.details.get().summary

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:
        return self.details.get().aliases

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.details.get().sources

    @property
    def questions(self) -> dict[str, tuple[str, ...]]:
        return self.details.get().questions

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in ALL_LANGUAGES if lang in self.body and lang in self.title)

    def has_language(self, language: str) -> bool:
        return (language in self.body and language in self.title
                and language in self.summary_languages)


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    category: str
    city: str
    languages: tuple[str, ...]
    services: dict[str, str]
    contact: dict[str, str]
    sample: bool
    path: str


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the knowledge base, located for the person who fixes it."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Content:
    articles: dict[str, Article] = field(default_factory=dict)
    vendors: list[Vendor] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Canned replies for the staff desk: name -> text per language (`knowledge/replies/`).
    replies: dict[str, dict[str, str]] = field(default_factory=dict)
