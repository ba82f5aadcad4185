"""Read `knowledge/` into typed records, collecting every problem with file and line.

Loading never stops at the first problem: staff fixing the knowledge base want the whole
list at once, and the bot skips only the broken records.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import replace
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
    SOURCE_TYPES,
    VENDOR_CATEGORIES,
    Article,
    ArticleText,
    Content,
    LocationInfo,
    LocationNotes,
    Packed,
    Problem,
    Source,
    Vendor,
)

LANG_MARKER = re.compile(r"^<!--\s*lang:\s*([A-Za-z-]+)\s*-->\s*$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$")
# Mainland, islands and territorial waters, generously: catches swapped or mistyped signs.
LAT_RANGE = (8.0, 23.5)
LON_RANGE = (102.0, 117.5)
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)
_PURE_ONLY = re.compile("[\t\ufeff]")

log = logging.getLogger("crewbot.knowledge")
_LANGUAGE_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}


def read_yaml(text: str) -> Any:
    """A YAML document's data, parsed as the knowledge files are (libyaml when it can)."""
    return _parse_yaml(text)[1]


def _parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """(node tree, for line numbers; data), from one parse.

    libyaml's parser is used when PyYAML has it: parsing 10,000 headers in pure Python,
    twice, took minutes of start-up. Wherever libyaml fails, and where the two parsers
    are known to disagree (see `_pure_parser_differs`), the pure-Python parser decides,
    so the same files load, with the same problem messages and lines, with or without
    libyaml.
    """
    if _FAST_LOADER is not None and not _PURE_ONLY.search(text):
        try:
            fast = _FAST_LOADER(text)
            try:
                node = fast.get_single_node()
                if node is None:
                    return None, None
                if not _pure_parser_differs(text, node):
                    return node, _construct(fast, node)
            finally:
                fast.dispose()
        except yaml.YAMLError:
            pass
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, (_construct(loader, node) if node is not None else None)
    finally:
        loader.dispose()


def _construct(loader: Any, root: yaml.Node) -> Any:
    """The data, or a YAMLError located at the value Python cannot take (a date such as
    2026-13-45 parses as YAML but raised ValueError and stopped the whole load)."""
    try:
        return loader.construct_document(root)
    except (ValueError, OverflowError) as exc:
        nodes, mark = [root], root.start_mark
        while nodes:
            node = nodes.pop()
            if isinstance(node, yaml.ScalarNode):
                try:
                    yaml.SafeLoader("").construct_object(node)
                except (ValueError, OverflowError):
                    mark = node.start_mark
                    break
            elif isinstance(node, yaml.MappingNode | yaml.SequenceNode):
                for item in reversed(node.value):
                    nodes.extend(reversed(item) if isinstance(item, tuple) else (item,))
        raise yaml.constructor.ConstructorError(None, None, f"{exc}", mark) from exc


def _pure_parser_differs(text: str, root: yaml.Node) -> bool:
    """Whether the text has what PyYAML's pure-Python parser rejects and libyaml accepts:
    found by fuzzing the shipped headers, besides tabs and byte order marks (`_PURE_ONLY`):
    "?" inside [...] or {...} ("[actor?s]"), a comment glued to a | or > indicator."""
    nodes = [root]
    while nodes:
        node = nodes.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("|", ">"):
                start = node.start_mark.index
                end = text.find("\n", start)
                if "#" in (text[start:] if end < 0 else text[start:end]):
                    return True
        elif isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if node.flow_style and "?" in text[node.start_mark.index : node.end_mark.index]:
                return True
            for item in node.value:
                if isinstance(item, tuple):
                    nodes.extend(item)
                else:
                    nodes.append(item)
    return False


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


# YAML's folded blocks (`>-`) join lines with a space, which Chinese and Japanese text
# must not get: "还须持有 越南文化" reads as a typo. Kana, Han and full-width forms.
_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SEAM = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


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
                result[lang] = _CJK_SEAM.sub("", text.strip())
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


def _split_bodies(body: str, first_line: int, path: str, problems: list[Problem],
                  offset: int = 0
                  ) -> tuple[dict[str, str], dict[str, int], dict[str, tuple[int, int]]]:
    """(body per language, its marker's line, where its lines are in the file's text).

    `offset` is where `body` starts in the file's text; `section` turns a span back into
    the same body, so the text need not stay in memory.
    """
    bodies: dict[str, list[str]] = {}
    starts: dict[str, int] = {}
    spans: dict[str, list[int]] = {}
    current: str | None = None
    position = offset
    lines = zip(body.splitlines(), body.splitlines(keepends=True), strict=True)
    for number, (line, raw) in enumerate(lines, start=first_line):
        position += len(raw)
        match = LANG_MARKER.match(line.strip())
        if match:
            current = match.group(1)
            if current not in ALL_LANGUAGES:
                problems.append(Problem(path, number, f"unknown body language {current!r}"))
            elif current in bodies:
                problems.append(Problem(path, number, f"second body for language {current!r}"))
            bodies[current] = []
            starts[current] = number
            spans[current] = [position, position]
        elif current is not None:
            bodies[current].append(line)
            spans[current][1] = position
        elif line.strip():
            problems.append(Problem(path, number, "text before the first <!-- lang: xx --> marker"))
            current = "__orphan__"
            bodies[current] = []
            spans[current] = [position, position]
    return ({lang: "\n".join(text).strip() for lang, text in bodies.items()
             if lang in ALL_LANGUAGES}, starts,
            {lang: (span[0], span[1]) for lang, span in spans.items() if lang in ALL_LANGUAGES})


def section(text: str, span: tuple[int, int]) -> str:
    """The body at `span` of a file's text, exactly as `_split_bodies` gave it."""
    return "\n".join(text[span[0] : span[1]].splitlines()).strip()


# The files of the articles answered lately, by path: the article most crews ask for is
# read from disk once, not once a reply; its stamp (size, time) still tells an edit.
_RECENT_FILES: dict[str, tuple[tuple[int, int], str]] = {}
RECENT_FILES_KEPT = 64


def _file_text(path: str) -> tuple[tuple[int, int], str]:
    """(the file's stamp, its text, read the way the loader read it)."""
    status = os.stat(path)
    kept = _RECENT_FILES.get(path)
    if kept is not None and kept[0] == (status.st_size, status.st_mtime_ns):
        return kept
    with open(path, encoding="utf-8") as file:
        status = os.fstat(file.fileno())
        found = (status.st_size, status.st_mtime_ns), file.read()
    if len(_RECENT_FILES) >= RECENT_FILES_KEPT:  # a bound, not an LRU
        _RECENT_FILES.clear()
    _RECENT_FILES[path] = found
    return found


class BodyFile(Mapping[str, str]):
    """An article's bodies, read from its file when asked for.

    Only where each language's body lies in the file is kept: 10,000 articles in six
    languages are hundreds of megabytes of text, and a reply shows one body. The file is
    read the way the loader read it (UTF-8, universal newlines). If it changed since
    loading (edited without a reload), its bodies are split again, so a reply never
    shows a section cut at the old place; a file that cannot be read gives empty bodies
    and a warning rather than a failed reply.
    """

    __slots__ = ("_languages", "_numbers", "_path")

    def __init__(self, path: str, spans: dict[str, tuple[int, int]], stamp: tuple[int, int]
                 ) -> None:
        self._path = path
        languages = tuple(spans)
        # Compact, as there is one per article: the language tuple shared, the file's
        # stamp and the spans in one array (a dict of tuples of ints took 1 KB).
        self._languages = _LANGUAGE_TUPLES.setdefault(languages, languages)
        self._numbers = array("q", [*stamp, *(n for span in spans.values() for n in span)])

    @property
    def path(self) -> str:
        return self._path

    def _stamp(self) -> tuple[int, int]:
        return self._numbers[0], self._numbers[1]

    def _span(self, language: str) -> tuple[int, int]:
        at = 2 + 2 * self._languages.index(language)
        return self._numbers[at], self._numbers[at + 1]

    def restamped(self, stamp: tuple[int, int]) -> BodyFile:
        """The same bodies, for a file known to be unchanged but touched (a cache's)."""
        return BodyFile(self._path, {lang: self._span(lang) for lang in self._languages},
                        stamp)

    def read(self, languages: tuple[str, ...] | None = None) -> dict[str, str]:
        """The bodies in `languages` (all by default), from one reading of the file."""
        wanted = self._languages if languages is None else languages
        try:
            stamp, text = _file_text(self._path)
        except (OSError, ValueError) as exc:
            log.warning("knowledge body unreadable path=%s error=%s", self._path, exc)
            return dict.fromkeys(wanted, "")
        if stamp == self._stamp():
            return {lang: section(text, self._span(lang)) for lang in wanted}
        parts = _split_front_matter(text)
        bodies = _split_bodies(parts[2], parts[3], self._path, [])[0] if parts else {}
        return {lang: bodies.get(lang, "") for lang in wanted}

    def __getitem__(self, language: str) -> str:
        if language not in self._languages:
            raise KeyError(language)
        return self.read((language,))[language]

    def __contains__(self, language: object) -> bool:
        return language in self._languages

    def __iter__(self) -> Iterator[str]:
        return iter(self._languages)

    def __len__(self) -> int:
        return len(self._languages)

    def __repr__(self) -> str:
        return f"BodyFile({self._path!r}, {list(self._languages)})"


def opened(article: Article) -> Article:
    """The article with its bodies read (one reading of its file) and everything packed
    unpacked, for code that reads all of it, language after language."""
    body = article.body.read() if isinstance(article.body, BodyFile) else article.body
    location = article.location
    if location is not None:
        location = replace(location, notes=location.notes.opened())
    return replace(article, body=body, details=article.details.opened(), location=location)


def _sources(reader: _Reader) -> tuple[Source, ...]:
    """`sources:`, a list of {title, url, type}: a title is one text or one per language
    (`title: {en: ..., vi: ...}`), `type` (optional) is primary or secondary."""
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
        before = len(reader.problems)
        url = str(item["url"]).strip()
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            reader.problem(key, f"source url is not an http(s) link: {url!r}")
        raw_title = item["title"]
        titles: dict[str, str] = {}
        if isinstance(raw_title, dict):
            titles = reader.per_language(f"{key}.title", raw_title, where=f"{key}.title")
            title = titles.get("en") or next(iter(titles.values()), "")
        elif isinstance(raw_title, str | int | float):
            title = str(raw_title).strip()
        else:
            reader.problem(f"{key}.title", f"{key}.title: expected a text, or one per "
                                          "language (en:, vi:, ...)")
            title = ""
        kind = item.get("type")
        if kind is not None and kind not in SOURCE_TYPES:
            reader.problem(f"{key}.type", f"{key}.type: expected "
                                         f"{' or '.join(SOURCE_TYPES)}, got {kind!r}")
        if len(reader.problems) == before and title:
            result.append(Source(title, url, titles, str(kind or "")))
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
    return LocationInfo(sys.intern(str(region)), tuple(sys.intern(str(t)) for t in types),
                        coordinates[0], coordinates[1],
                        Packed(LocationNotes(fields["best_season"], fields["access"],
                                             fields["permit_notes"])))


def _phrases(reader: _Reader, key: str) -> dict[str, tuple[str, ...]]:
    """A list of search phrases per language (aliases, questions)."""
    raw = reader.data.get(key) or {}
    phrases: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw, dict):
        reader.problem(key, f"{key}: expected one list per language")
        return phrases
    for lang, items in raw.items():
        if lang not in ALL_LANGUAGES:
            reader.problem(f"{key}.{lang}", f"{key}: unknown language {lang!r}")
        elif not isinstance(items, list):
            reader.problem(f"{key}.{lang}", f"{key}.{lang}: expected a list")
        else:
            phrases[lang] = tuple(str(w).strip() for w in items if str(w).strip())
    return phrases


def load_article(path: Path, root: Path, problems: list[Problem]) -> Article | None:
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        with open(path, encoding="utf-8") as file:  # as Path.read_text, with the file's stamp
            status = os.fstat(file.fileno())
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 1, f"cannot read: {exc}"))
        return None
    parts = _split_front_matter(text)
    if parts is None:
        problems.append(Problem(rel, 1, "missing YAML header between --- lines"))
        return None
    header, header_line, body, body_line = parts
    try:
        node, data = _parse_yaml(header)
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
    aliases = _phrases(reader, "aliases")
    questions = _phrases(reader, "questions")
    bodies, body_starts, spans = _split_bodies(body, body_line, rel, problems,
                                               offset=len(text) - len(body))
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
    # Kinds, categories, tags, ids and language codes repeat across thousands of
    # articles: one string object each.
    intern = sys.intern
    return Article(
        id=intern(article_id), kind=intern(kind), category=intern(category),
        title={intern(lang): text for lang, text in title.items()},
        details=Packed(ArticleText(summary, aliases, sources, questions)),
        summary_languages=tuple(intern(lang) for lang in summary),
        body=BodyFile(str(path.absolute()),
                      {intern(lang): spans[lang] for lang, text in bodies.items() if text},
                      (status.st_size, status.st_mtime_ns)),
        tags=tuple(intern(tag) for tag in reader.string_list("tags")),
        related=tuple(intern(related) for related in reader.string_list("related")),
        reviewed=reviewed, path=rel, location=location,
        vendor_category=intern(vendor_category) if vendor_category else vendor_category,
    )


def load_vendors(path: Path, root: Path, problems: list[Problem]) -> list[Vendor]:
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node, data = _parse_yaml(text)
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
    for path in sorted((root / "replies").glob("*.yaml")):
        for name, texts in load_replies(path, root, content.problems).items():
            if name in content.replies:
                content.problems.append(Problem(_rel(path, root), 1,
                                                f"duplicate reply name {name!r}"))
                continue
            content.replies[name] = texts
    _cross_check(root, content)
    return content


_REPLY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def _rel(path: Path, root: Path) -> str:
    return f"{root.name}/{path.relative_to(root)}"


def load_replies(path: Path, root: Path, problems: list[Problem]
                 ) -> dict[str, dict[str, str]]:
    """Canned replies: a YAML list of `{name, texts: {en, vi, ko, ja, zh, fr}}`, every
    language required, since a reply reaches the crew in the crew's language."""
    rel = _rel(path, root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        problems.append(Problem(rel, 0, f"unreadable: {error}"))
        return {}
    if not isinstance(data, list):
        problems.append(Problem(rel, 1, "expected a list of replies"))
        return {}
    replies: dict[str, dict[str, str]] = {}
    for number, entry in enumerate(data, start=1):
        where = f"reply {number}"
        if not isinstance(entry, dict):
            problems.append(Problem(rel, 0, f"{where}: expected a mapping"))
            continue
        name = str(entry.get("name", ""))
        texts = entry.get("texts")
        if not _REPLY_NAME.match(name):
            problems.append(Problem(rel, 0, f"{where}: name {name!r}: expected lower-case "
                                            "letters, digits and dashes"))
            continue
        if not isinstance(texts, dict):
            problems.append(Problem(rel, 0, f"reply {name!r}: missing texts"))
            continue
        missing = [lang for lang in ALL_LANGUAGES
                   if not isinstance(texts.get(lang), str) or not texts[lang].strip()]
        if missing:
            problems.append(Problem(rel, 0, f"reply {name!r}: missing text in "
                                            f"{', '.join(missing)}"))
            continue
        replies[name] = {lang: str(texts[lang]).strip() for lang in ALL_LANGUAGES}
    return replies


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
