"""Translations and locale-aware formatting.

Catalogs are the `.po` files in `locales/`, compiled in memory at start: there is no
build step to forget and no binary `.mo` file to keep in sync with its source.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.paths import bundled

DOMAIN = "crewbot"
DATES_KEPT = 1024

#: Language names as their speakers write them, for the language buttons.
NATIVE_NAMES = {
    "en": "English",
    "vi": "Tiếng Việt",
    "ko": "한국어",
    "ja": "日本語",
    "zh": "中文（简体）",
    "fr": "Français",
}


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


class Translator:
    """One language's gettext plus Babel formatting, handed to every handler."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._translations = translations
        # Every answer says when its sources were checked: a few days, formatted once.
        self._formatted_date = functools.lru_cache(maxsize=DATES_KEPT)(self._format_date)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def datetime(self, moment: datetime, tz: str, fmt: str = "medium") -> str:
        return format_datetime(moment, format=fmt, tzinfo=ZoneInfo(tz), locale=self.locale)

    def moment(self, moment: dt.datetime, tz: str) -> str:
        """A date, a time and whose clock it is, in the reader's conventions ("Dec 3,
        2026 9:00 AM South Korea Time"): a reminder read abroad must say which zone."""
        zone = ZoneInfo(tz)
        local = moment.astimezone(zone)
        return (f"{format_date(local.date(), format='medium', locale=self.locale)} "
                f"{format_time(local, format='short', locale=self.locale)} "
                f"({get_timezone_location(zone, locale=self.locale)})")

    def date(self, day: date, fmt: str = "long") -> str:
        return self._formatted_date(day, fmt)

    def _format_date(self, day: dt.date, fmt: str) -> str:
        return format_date(day, format=fmt, locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)


def _compile(po_path: Path, language: str) -> gettext.GNUTranslations:
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def domain_translations(domain: str, language: str,
                        locale_dir: Path | None = None) -> gettext.NullTranslations:
    """Another catalog than the bot's (the web desk's `desk`), compiled the same way;
    the source strings (English) where the language has none."""
    po = (locale_dir or bundled("locales")) / language / "LC_MESSAGES" / f"{domain}.po"
    return _compile(po, language) if po.exists() else gettext.NullTranslations()


class Catalogs:
    """All shipped languages; unknown languages fall back to English source strings."""

    def __init__(self, languages: Iterable[str], locale_dir: Path | None = None) -> None:
        self.locale_dir = locale_dir or bundled("locales")
        self.languages = list(languages)
        self._translators: dict[str, Translator] = {}
        for language in self.languages:
            po = self.locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            translations: gettext.NullTranslations
            translations = _compile(po, language) if po.exists() else gettext.NullTranslations()
            self._translators[language] = Translator(language, translations)
        if "en" not in self._translators:
            self._translators["en"] = Translator("en", gettext.NullTranslations())

    def get(self, language: str | None) -> Translator:
        if language and language in self._translators:
            return self._translators[language]
        return self._translators["en"]


@cache
def default_catalogs() -> Catalogs:
    from bot.config import SUPPORTED_LANGUAGES

    return Catalogs(SUPPORTED_LANGUAGES)
