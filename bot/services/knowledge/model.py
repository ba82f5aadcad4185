"""What the knowledge base holds, once loaded and validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class LocationInfo:
    region: str
    types: tuple[str, ...]
    lat: float
    lon: float
    best_season: dict[str, str]
    access: dict[str, str]
    permit_notes: dict[str, str]


@dataclass(frozen=True)
class Article:
    id: str
    kind: str
    category: str
    title: dict[str, str]
    summary: dict[str, str]
    body: dict[str, str]
    aliases: dict[str, tuple[str, ...]]
    tags: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: date
    path: str
    location: LocationInfo | None = None
    vendor_category: str | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in ALL_LANGUAGES if lang in self.body and lang in self.title)

    def has_language(self, language: str) -> bool:
        return language in self.body and language in self.title and language in self.summary


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
