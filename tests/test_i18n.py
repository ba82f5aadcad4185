"""Every shipped locale is complete: no missing, fuzzy or broken translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from bot.i18n import Catalogs
from bot.paths import bundled

ROOT = Path(__file__).resolve().parent.parent
LOCALES = bundled("locales")
SHIPPED = ["vi", "ko", "ja", "zh", "fr"]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _read(path: Path, locale: str | None = None):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def extracted(tmp_path: Path, mapping: str, *options: str) -> set[str]:
    """The msgids Babel extracts now with `mapping` (a babel.cfg), as the README does."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    mapping, *options, "--no-location", "-o", str(fresh), "."],
                   cwd=ROOT, check=True, capture_output=True)
    return {m.id for m in _read(fresh) if m.id}


def test_template_matches_source_code(tmp_path: Path) -> None:
    in_code = extracted(tmp_path, "babel.cfg", "-k", "N_")
    in_template = {m.id for m in _read(LOCALES / "crewbot.pot") if m.id}
    assert in_code == in_template, "run pybabel extract and update the catalogs (README)"


@pytest.mark.parametrize("language", SHIPPED)
def test_catalog_complete_and_consistent(language: str) -> None:
    template = _read(LOCALES / "crewbot.pot")
    catalog = _read(LOCALES / language / "LC_MESSAGES" / "crewbot.po", language)
    plurals = Locale.parse(language).plural_form
    assert catalog.num_plurals == len(plurals.rules) + 1 or catalog.num_plurals >= 1
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None, f"{language}: missing {message.id!r}"
        assert not translated.fuzzy, f"{language}: fuzzy {message.id!r}"
        if isinstance(message.id, tuple):
            strings = list(translated.string)
            assert len(strings) == catalog.num_plurals, f"{language}: plural forms {message.id}"
            sources = list(message.id)
        else:
            strings = [translated.string]
            sources = [message.id]
        for text in strings:
            assert text and text.strip(), f"{language}: empty translation of {message.id!r}"
            expected = set(PLACEHOLDER.findall(" ".join(sources)))
            assert set(PLACEHOLDER.findall(text)) == expected, (
                f"{language}: placeholders differ in {message.id!r}: {text!r}")
            assert text.count("**") == sources[0].count("**"), f"{language}: ** in {text!r}"
    assert not [m.id for m in catalog if m.id and m.id not in template], "obsolete entries"


def test_plural_forms_follow_language_rules() -> None:
    catalogs = Catalogs(["en", "fr", "ko"])
    fr = catalogs.get("fr")
    one = fr.ngettext("{count} location in {region}:", "{count} locations in {region}:", 1)
    many = fr.ngettext("{count} location in {region}:", "{count} locations in {region}:", 5)
    assert one != many
    ko = catalogs.get("ko")
    assert ko.ngettext("{count} location in {region}:", "{count} locations in {region}:", 1) == \
        ko.ngettext("{count} location in {region}:", "{count} locations in {region}:", 5)


def test_dates_are_formatted_per_locale() -> None:
    from datetime import date

    catalogs = Catalogs(["en", "vi", "ja", "fr"])
    day = date(2026, 11, 24)
    assert catalogs.get("en").date(day) == "November 24, 2026"
    assert "2026年11月24日" in catalogs.get("ja").date(day)
    assert "novembre" in catalogs.get("fr").date(day)
    assert catalogs.get("xx").language == "en"
