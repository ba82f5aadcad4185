"""Read `knowledge/` into typed records, collecting every problem with file and line.

Loading never stops at the first problem: staff fixing the knowledge base want the whole
list at once, and the bot skips only the broken records.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from bot.services.knowledge.model import (
    ALL_LANGUAGES,
    BASE_LANGUAGES,
    CATEGORIES,
    KINDS,
    REGIONS,
    VENDOR_CATEGORIES,
    Article,
    Content,
    LocationInfo,
    Problem,
    Source,
    Vendor,
)

LANG_MARKER = re.compile(r"^<!--\s*lang:\s*([A-Za-z-]+)\s*-->\s*$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$")
# Mainland, islands and territorial waters, generously: catches swapped or mistyped signs.
LAT_RANGE = (8.0, 23.5)
LON_RANGE = (102.0, 117.5)


def _lines(node: yaml.Node, prefix: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Map `a.b.c` key paths to 1-based line numbers, for pointing at the exact line."""
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            out[key] = key_node.start_mark.line + 1
            _lines(value_node, key + ".", out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = f"{prefix}{index}"
            out[key] = item.start_mark.line + 1
            _lines(item, key + ".", out)
    return out


class _Reader:
    """Checks one record's fields and remembers what was wrong where."""

    def __init__(self, path: str, data: dict[str, Any], lines: dict[str, int], offset: int,
                 problems: list[Problem]) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.offset = offset
        self.problems = problems

    def line(self, key: str) -> int:
        while key:
            if key in self.lines:
                return self.lines[key] + self.offset
            key = key.rpartition(".")[0]
        return 1 + self.offset

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line(key), message))

    def text(self, key: str, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(key, f"missing {key}")
            return ""
        if not isinstance(value, str | int | float):
            self.problem(key, f"{key}: expected text, got {type(value).__name__}")
            return ""
        return str(value).strip()

    def per_language(self, key: str, data: Any = None, where: str | None = None) -> dict[str, str]:
        where = where or key
        value = self.data.get(key) if data is None else data
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(where, f"{where}: expected one entry per language (en:, vi:, ...)")
            return {}
        result: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in ALL_LANGUAGES:
                self.problem(f"{where}.{lang}", f"{where}: unknown language {lang!r}")
            elif not isinstance(text, str) or not text.strip():
                self.problem(f"{where}.{lang}", f"{where}.{lang}: empty")
            else:
                result[lang] = text.strip()
        return result

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.problem(key, f"{key}: expected a list of words")
            return ()
        return tuple(str(v).strip() for v in value if str(v).strip())


def _split_front_matter(text: str) -> tuple[str, int, str, int] | None:
    """(header, header's first line, body, body's first line) or None without a header."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            header = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            return header, 1, body, index + 2
    return None


def _split_bodies(body: str, first_line: int, path: str,
                  problems: list[Problem]) -> tuple[dict[str, str], dict[str, int]]:
    bodies: dict[str, list[str]] = {}
    starts: dict[str, int] = {}
    current: str | None = None
    for number, line in enumerate(body.splitlines(), start=first_line):
        match = LANG_MARKER.match(line.strip())
        if match:
            current = match.group(1)
            if current not in ALL_LANGUAGES:
                problems.append(Problem(path, number, f"unknown body language {current!r}"))
            elif current in bodies:
                problems.append(Problem(path, number, f"second body for language {current!r}"))
            bodies[current] = []
            starts[current] = number
        elif current is not None:
            bodies[current].append(line)
        elif line.strip():
            problems.append(Problem(path, number, "text before the first <!-- lang: xx --> marker"))
            current = "__orphan__"
            bodies[current] = []
    return {lang: "\n".join(text).strip() for lang, text in bodies.items()
            if lang in ALL_LANGUAGES}, starts


def _sources(reader: _Reader) -> tuple[Source, ...]:
    raw = reader.data.get("sources")
    if not raw:
        reader.problem("sources", "missing sources (at least one public source with title and url)")
        return ()
    if not isinstance(raw, list):
        reader.problem("sources", "sources: expected a list of {title, url}")
        return ()
    result = []
    for index, item in enumerate(raw):
        key = f"sources.{index}"
        if not isinstance(item, dict) or not item.get("title") or not item.get("url"):
            reader.problem(key, "source needs a title and a url")
            continue
        url = str(item["url"]).strip()
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            reader.problem(key, f"source url is not an http(s) link: {url!r}")
            continue
        result.append(Source(str(item["title"]).strip(), url))
    return tuple(result)


def _reviewed(reader: _Reader) -> date | None:
    raw = reader.data.get("reviewed")
    if raw is None:
        reader.problem("reviewed", "missing reviewed date (YYYY-MM-DD)")
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        reader.problem("reviewed", f"reviewed: expected a date YYYY-MM-DD, got {raw!r}")
        return None


def _location(reader: _Reader) -> LocationInfo | None:
    raw = reader.data.get("location")
    if not isinstance(raw, dict):
        reader.problem("location", "a location article needs a location: block")
        return None
    region = raw.get("region")
    if region not in REGIONS:
        reader.problem("location.region", f"location.region: expected one of {', '.join(REGIONS)}"
                       f", got {region!r}")
    coordinates: list[float] = []
    for axis, (low, high) in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        value = raw.get(axis)
        if isinstance(value, bool) or not isinstance(value, int | float):
            reader.problem(f"location.{axis}", f"bad coordinates: location.{axis} must be a number")
        elif not low <= value <= high:
            reader.problem(f"location.{axis}",
                           f"bad coordinates: location.{axis} = {value} is outside Vietnam "
                           f"({low} to {high})")
        else:
            coordinates.append(float(value))
    types = raw.get("type", [])
    if not isinstance(types, list) or not types:
        reader.problem("location.type", "location.type: expected a list such as [beach, heritage]")
        types = []
    fields = {}
    for name in ("best_season", "access", "permit_notes"):
        fields[name] = reader.per_language(name, raw.get(name), where=f"location.{name}")
        if "en" not in fields[name]:
            reader.problem(f"location.{name}", f"missing location.{name}")
    if len(coordinates) != 2 or region not in REGIONS:
        return None
    return LocationInfo(str(region), tuple(str(t) for t in types), coordinates[0], coordinates[1],
                        fields["best_season"], fields["access"], fields["permit_notes"])


def load_article(path: Path, root: Path, problems: list[Problem]) -> Article | None:
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 1, f"cannot read: {exc}"))
        return None
    parts = _split_front_matter(text)
    if parts is None:
        problems.append(Problem(rel, 1, "missing YAML header between --- lines"))
        return None
    header, header_line, body, body_line = parts
    try:
        node = yaml.compose(header, Loader=yaml.SafeLoader)
        data = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = header_line + (mark.line + 1 if mark else 0)
        problems.append(Problem(rel, line, f"invalid YAML header: {getattr(exc, 'problem', exc)}"))
        return None
    if not isinstance(data, dict) or node is None:
        problems.append(Problem(rel, header_line, "YAML header must be a mapping of keys"))
        return None
    before = len(problems)
    reader = _Reader(rel, data, _lines(node), header_line, problems)
    article_id = reader.text("id")
    if article_id and not ID_PATTERN.match(article_id):
        reader.problem("id", f"id {article_id!r}: use lower case words joined by . and -")
    if article_id and path.stem != article_id:
        reader.problem("id", f"id {article_id!r} does not match the file name {path.name!r}")
    kind = reader.text("kind")
    if kind and kind not in KINDS:
        reader.problem("kind", f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    category = reader.text("category")
    if category and category not in CATEGORIES:
        reader.problem("category",
                       f"unknown category {category!r} (expected one of {', '.join(CATEGORIES)})")
    title = reader.per_language("title")
    summary = reader.per_language("summary")
    raw_aliases = data.get("aliases") or {}
    aliases: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw_aliases, dict):
        reader.problem("aliases", "aliases: expected one list per language")
    else:
        for lang, words in raw_aliases.items():
            if lang not in ALL_LANGUAGES:
                reader.problem(f"aliases.{lang}", f"aliases: unknown language {lang!r}")
            elif not isinstance(words, list):
                reader.problem(f"aliases.{lang}", f"aliases.{lang}: expected a list")
            else:
                aliases[lang] = tuple(str(w).strip() for w in words if str(w).strip())
    bodies, body_starts = _split_bodies(body, body_line, rel, problems)
    for lang, content in bodies.items():
        if not content:
            problems.append(Problem(rel, body_starts[lang], f"empty body for language {lang!r}"))
    languages = set(title) | set(summary) | set(bodies)
    for lang in sorted(languages | set(BASE_LANGUAGES)):
        for name, values in (("title", title), ("summary", summary), ("body", bodies)):
            if lang not in values or not values[lang]:
                where = body_starts.get(lang, 0) if name == "body" else 0
                line = where or reader.line(name)
                problems.append(Problem(rel, line, f"missing language {lang!r}: no {name}"))
    sources = _sources(reader)
    reviewed = _reviewed(reader)
    location = _location(reader) if kind == "location" else None
    vendor_category = None
    if kind == "vendors":
        vendor_category = reader.text("vendor_category")
        if vendor_category and vendor_category not in VENDOR_CATEGORIES:
            reader.problem("vendor_category", f"unknown vendor category {vendor_category!r}")
    if len(problems) > before or reviewed is None:
        return None
    return Article(
        id=article_id, kind=kind, category=category, title=title, summary=summary,
        body={lang: text for lang, text in bodies.items() if text}, aliases=aliases,
        tags=reader.string_list("tags"), related=reader.string_list("related"),
        sources=sources, reviewed=reviewed, path=rel, location=location,
        vendor_category=vendor_category,
    )


def load_vendors(path: Path, root: Path, problems: list[Problem]) -> list[Vendor]:
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 1, f"cannot read: {exc}"))
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(rel, mark.line + 1 if mark else 1, f"invalid YAML: {exc}"))
        return []
    if not isinstance(data, list) or node is None:
        problems.append(Problem(rel, 1, "expected a list of vendor entries"))
        return []
    lines = _lines(node)
    vendors = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            problems.append(Problem(rel, lines.get(str(index), 1),
                                    "vendor entry must be a mapping"))
            continue
        entry_lines = {key.split(".", 1)[1]: line for key, line in lines.items()
                       if key.startswith(f"{index}.")}
        before = len(problems)
        reader = _Reader(rel, entry, entry_lines, 0, problems)
        vendor_id = reader.text("id")
        name = reader.text("name")
        category = reader.text("category")
        if category and category not in VENDOR_CATEGORIES:
            reader.problem("category", f"unknown category {category!r} "
                           f"(expected one of {', '.join(VENDOR_CATEGORIES)})")
        city = reader.text("city")
        languages = reader.string_list("languages")
        if not languages:
            reader.problem("languages", "missing languages spoken")
        services = reader.per_language("services")
        if "en" not in services:
            reader.problem("services", "missing services in English")
        contact = entry.get("contact")
        if not isinstance(contact, dict) or not contact:
            reader.problem("contact", "missing contact (email, phone or website)")
            contact = {}
        sample = entry.get("sample", False)
        if sample is True:
            for key, value in contact.items():
                if key in ("email", "website") and "example." not in str(value):
                    reader.problem(f"contact.{key}", "a sample entry must use example.com contacts")
        if len(problems) == before:
            vendors.append(Vendor(vendor_id, name, category, city, languages, services,
                                  {str(k): str(v) for k, v in contact.items()}, sample is True,
                                  rel))
    return vendors


def load_required(root: Path) -> dict[str, tuple[str, ...]]:
    path = root / "required.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): ALL_LANGUAGES if v == "all" else BASE_LANGUAGES for k, v in data.items()}


def load(root: Path) -> Content:
    """Everything under `root`, with all problems found; only valid records are kept."""
    content = Content()
    if not root.is_dir():
        content.problems.append(Problem(str(root), 0, "knowledge folder not found"))
        return content
    seen: dict[str, str] = {}
    for path in sorted((root / "articles").glob("*.md")):
        article = load_article(path, root, content.problems)
        if article is None:
            continue
        if article.id in seen:
            content.problems.append(Problem(
                article.path, 2, f"duplicate id {article.id!r} (also in {seen[article.id]})"))
            continue
        seen[article.id] = article.path
        content.articles[article.id] = article
    vendor_ids: dict[str, str] = {}
    for path in sorted((root / "vendors").glob("*.yaml")):
        for vendor in load_vendors(path, root, content.problems):
            if vendor.id in vendor_ids:
                content.problems.append(Problem(vendor.path, 1,
                                                f"duplicate vendor id {vendor.id!r}"))
                continue
            vendor_ids[vendor.id] = vendor.path
            content.vendors.append(vendor)
    _cross_check(root, content)
    return content


def _cross_check(root: Path, content: Content) -> None:
    """Checks that need the whole knowledge base: required ids, links between articles."""
    required = load_required(root)
    for article_id, languages in required.items():
        article = content.articles.get(article_id)
        if article is None:
            content.problems.append(Problem(f"{root.name}/required.yaml", 0,
                                            f"missing id {article_id!r} required by the spec"))
            continue
        for lang in languages:
            if not article.has_language(lang):
                content.problems.append(Problem(article.path, 1,
                                                f"missing language {lang!r} required by the spec"))
    for article in content.articles.values():
        for related in article.related:
            if related not in content.articles:
                content.problems.append(Problem(article.path, 1,
                                                f"related id {related!r} does not exist"))
        if article.kind == "vendors" and article.vendor_category and not any(
            v.category == article.vendor_category for v in content.vendors
        ):
            content.problems.append(Problem(article.path, 1,
                                            f"no vendor entries for {article.vendor_category!r}"))
