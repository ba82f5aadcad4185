"""What `crewbot kb check` reviews beyond the schema: review dates, and text a phone
would show wrongly.

The loader drops a record it cannot use; these checks never do. A stale review date or
an article id in a body still leaves a usable article, and the bot keeps answering with
it; they fail (or warn, for dates) in `crewbot kb check`, which CI runs, so a person
fixes them before they ship.

- Review dates: an article's `reviewed` is the day its sources were last checked. Older
  than `[knowledge] review_max_age_days` is a warning (the rules may have moved, the
  article still stands); a date after today is a failure (a typo, or a promise).
- Text: every field a crew reads (titles, summaries, bodies, a place's notes, vendor
  records, source titles) is checked for what the channels do not render (see
  `bot.formatting` for what they do): an article or vendor id, which a crew cannot act
  on; a table outside what `tables_as_lists` turns into a list; HTML; code; quotes;
  rule lines; images; links to anything but a web address; an unpaired `**`.
  Titles, names, cities and source titles are shown as plain text (on buttons, inside
  bold or a link), so they take no markup at all.

Each problem names the file, the line, the field and its language ("body.fr",
"summary.ko", "location.access.ja", "sources.2.title").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.formatting import table_blocks
from bot.services.knowledge import loader
from bot.services.knowledge.model import Content, Problem

# Where an article id may hide: words joined by dots or hyphens. Addresses are blanked
# out first (an id inside a URL or an e-mail address is no id shown to a crew).
_ID_LIKE = re.compile(r"(?<![\w./@-])[a-z0-9]+(?:[.-][a-z0-9]+)+(?![\w/@-])")
# An id of an article that no longer exists still looks like one.
_ID_PREFIXES = re.compile(
    r"^(permit|visa|customs|contact|practical|location|vendors|incentives)\.[a-z0-9]")
_ADDRESS = re.compile(r"\bhttps?://[^\s)>\]]+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

_HTML_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>\n]*)?/?>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")
_FENCE = re.compile(r"^\s*(```|~~~)")
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\n]*)\)")
_REFERENCE = re.compile(r"^\s*\[[^\]\n]+\]:\s*\S")
_QUOTE = re.compile(r"^\s*>")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")

# Only plain text where text is shown as a label (a button, inside bold or a link).
_PLAIN_MARKUP = (
    (re.compile(r"\*(?=\S)|(?<=\S)\*|(?<!\w)_|_(?!\w)"), "* or _"),
    (re.compile(r"[\[\]]"), "[ ]"),
    (re.compile(r"`"), "`"),
    (re.compile(r"\|"), "|"),
    (re.compile(r"^\s*#"), "#"),
)


@dataclass
class Review:
    """What `crewbot kb check` reports besides the loader's problems."""

    failures: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _blank(pattern: re.Pattern[str], text: str) -> str:
    """`text` with each match of `pattern` replaced by spaces (same length, same lines)."""
    return pattern.sub(lambda m: " " * len(m.group()), text)


class TextRules:
    """The rules above, with the knowledge base's ids."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = frozenset(i for i in ids if "." in i or "-" in i)

    def _ids(self, line: str) -> Iterator[str]:
        for match in _ID_LIKE.finditer(_blank(_ADDRESS, line)):
            word = match.group()
            if word in self.ids or _ID_PREFIXES.match(word):
                yield (f"the id {word!r}: crews read titles, not ids; name the article by "
                       "its title (a related: id becomes a button)")

    def plain(self, text: str) -> list[str]:
        """Problems of a text shown as plain text: a title, a name, a city, a source title."""
        found = list(self._ids(text))
        for pattern, name in _PLAIN_MARKUP:
            if pattern.search(text):
                found.append(f"markup ({name}): shown as plain text on buttons and in "
                             "lists, so write it without")
        if _HTML_TAG.search(text) or _ENTITY.search(text):
            found.append("HTML: shown as typed; write plain text")
        return found

    def rich(self, text: str, body: bool = False) -> list[tuple[int, str]]:
        """(line index, problem) of a text rendered as a reply (a summary, a body, a
        place's note, a vendor's services). In a body, a table with its |---| row is
        shown as a list and passes."""
        lines = text.split("\n")
        converted: set[int] = set()
        if body:
            for first, end in table_blocks(lines):
                converted.update(range(first, end))
        found: list[tuple[int, str]] = []
        paragraph_start, bold_marks, in_table = 0, 0, False
        for number, line in enumerate(lines):
            if not line.strip():
                if bold_marks % 2:
                    found.append((paragraph_start, "an unpaired **: shown as typed"))
                paragraph_start, bold_marks = number + 1, 0
                continue
            table = number not in converted and bool(_TABLE_ROW.match(line)
                                                     or _TABLE_RULE.match(line))
            if table and not in_table:  # once a table, on its first line
                found.append((number, "a Markdown table: phones show no tables; write a list "
                                      "(in a body, a table with a header row and a |---| "
                                      "row is turned into one)"))
            in_table = table
            found += [(number, problem) for problem in self._line(line, number in converted)]
            bold_marks += _blank(_ADDRESS, line).count("**")
        if bold_marks % 2:
            found.append((paragraph_start, "an unpaired **: shown as typed"))
        return list(dict.fromkeys(found))

    def _line(self, line: str, in_table: bool) -> Iterator[str]:
        yield from self._ids(line)
        for tag in _HTML_TAG.findall(line):
            yield f"HTML {tag[:40]}: Telegram and Zalo show it as typed; write plain text"
        for entity in _ENTITY.findall(line):
            yield f"the HTML entity {entity}: shown as typed; write the character itself"
        if _FENCE.match(line):
            yield "a code block (```): shown as typed; write plain text"
        elif "`" in line:
            yield "`code`: Telegram shows the backquotes; write plain text"
        if _QUOTE.match(line):
            yield "a quote (>): shown as typed; write plain text"
        if _RULE.match(line) and not in_table and not _TABLE_RULE.match(line):
            yield "a rule line: shown as typed; leave a blank line instead"
        if _REFERENCE.match(line):
            yield "a reference link ([x]: ...): shown as typed; write [label](https://...)"
        unimaged = _blank(_IMAGE, line)
        if unimaged != line:
            yield "an image ![...](...): chats show no images in text"
        for _label, target in _LINK.findall(unimaged):
            if not re.match(r"https?://", target):
                yield (f"a link to {target!r}, not a web address: shown as typed; link "
                       "https://... or name the article by its title")


def _header(text: str) -> tuple[dict[str, Any], dict[str, int], int] | None:
    """An article file's header data, the file line of each key, the body's first line."""
    parts = loader._split_front_matter(text)
    if parts is None:
        return None
    header, header_line, _body, body_line = parts
    try:
        node, data = loader._parse_yaml(header)
    except yaml.YAMLError:
        return None
    if node is None or not isinstance(data, dict):
        return None
    lines = {key: line + header_line for key, line in loader._lines(node).items()}
    return data, lines, body_line


def _line_of(lines: dict[str, int], key: str) -> int:
    while key:
        if key in lines:
            return lines[key]
        key = key.rpartition(".")[0]
    return 1


def _bodies(text: str, body_line: int) -> dict[str, tuple[int, str]]:
    """Each language's body as written, with the file line of its first line."""
    lines = text.split("\n")
    bodies: dict[str, tuple[int, list[str]]] = {}
    current: list[str] | None = None
    for number in range(body_line - 1, len(lines)):
        marker = loader.LANG_MARKER.match(lines[number].strip())
        if marker:
            current = []
            bodies[marker.group(1)] = (number + 2, current)
        elif current is not None:
            current.append(lines[number])
    return {lang: (first, "\n".join(body)) for lang, (first, body) in bodies.items()}


def _per_language(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(lang): text for lang, text in value.items() if isinstance(text, str)}


def check_article(path: Path, rel: str, rules: TextRules) -> list[Problem]:
    """Text problems in one article file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # the loader reports it
    parsed = _header(text)
    if parsed is None:
        return []
    data, lines, body_line = parsed
    found: list[Problem] = []

    def plain(key: str, value: str) -> None:
        found.extend(Problem(rel, _line_of(lines, key), f"{key}: {problem}")
                     for problem in rules.plain(value))

    def rich(key: str, value: str) -> None:
        # A header's text is reported at its key's line: once per problem.
        problems = dict.fromkeys(problem for _index, problem in rules.rich(value))
        found.extend(Problem(rel, _line_of(lines, key), f"{key}: {problem}")
                     for problem in problems)

    for lang, title in _per_language(data.get("title")).items():
        plain(f"title.{lang}", title)
    for lang, summary in _per_language(data.get("summary")).items():
        rich(f"summary.{lang}", summary)
    location = data.get("location")
    if isinstance(location, dict):
        for name in ("best_season", "access", "permit_notes"):
            for lang, note in _per_language(location.get(name)).items():
                rich(f"location.{name}.{lang}", note)
    sources = data.get("sources")
    for number, source in enumerate(sources if isinstance(sources, list) else []):
        named = source.get("title") if isinstance(source, dict) else None
        if isinstance(named, str):
            plain(f"sources.{number}.title", named)
        for lang, text_in in _per_language(named).items():
            plain(f"sources.{number}.title.{lang}", text_in)
    for lang, (first, body) in _bodies(text, body_line).items():
        found.extend(Problem(rel, first + index, f"body.{lang}: {problem}")
                     for index, problem in rules.rich(body, body=True))
    return found


def check_vendors(path: Path, rel: str, rules: TextRules) -> list[Problem]:
    """Text problems in one vendors file: name and city plain, services as replies."""
    try:
        node, data = loader._parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # the loader reports it
    if node is None or not isinstance(data, list):
        return []
    lines = loader._lines(node)
    found: list[Problem] = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            continue
        who = str(entry.get("id", f"entry {index + 1}"))
        for key in ("name", "city"):
            if isinstance(entry.get(key), str):
                found.extend(Problem(rel, _line_of(lines, f"{index}.{key}"),
                                     f"{who}: {key}: {problem}")
                             for problem in rules.plain(entry[key]))
        for lang, services in _per_language(entry.get("services")).items():
            found.extend(Problem(rel, _line_of(lines, f"{index}.services.{lang}"),
                                 f"{who}: services.{lang}: {problem}")
                         for _line, problem in rules.rich(services))
    return found


def _place_ids(root: Path) -> list[str]:
    path = root / "places.yaml"
    if not path.is_file():
        return []
    data = loader.read_yaml(path.read_text(encoding="utf-8")) or {}
    entries = data.get("places") if isinstance(data, dict) else None
    return [str(entry["id"]) for entry in entries or []
            if isinstance(entry, dict) and entry.get("id")]


_REVIEWED = re.compile(r"^reviewed:", re.MULTILINE)


def _reviewed_line(root: Path, rel: str) -> int:
    try:
        text = (root.parent / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    match = _REVIEWED.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def stale(root: Path, content: Content, today: date, max_age_days: int) -> Review:
    """Articles due for another check of their sources (warnings), and review dates after
    `today` (failures)."""
    result = Review()
    for article in sorted(content.articles.values(), key=lambda a: a.path):
        age = (today - article.reviewed).days
        if age < 0:
            result.failures.append(Problem(article.path, _reviewed_line(root, article.path), (
                f"reviewed: {article.reviewed.isoformat()} is after today "
                f"({today.isoformat()}); write the day the sources were checked")))
        elif age > max_age_days:
            result.warnings.append(Problem(article.path, _reviewed_line(root, article.path), (
                f"reviewed: {article.reviewed.isoformat()} is {age} days ago, more than "
                f"[knowledge] review_max_age_days ({max_age_days}): check the sources "
                "again and update the date")))
    return result


def review(root: Path, content: Content, today: date, max_age_days: int) -> Review:
    """Everything this module checks, over the knowledge base in `root`."""
    result = stale(root, content, today, max_age_days)
    rules = TextRules([*content.articles, *(v.id for v in content.vendors), *_place_ids(root)])
    for path in sorted((root / "articles").glob("*.md")):
        result.failures += check_article(path, loader._rel(path, root), rules)
    for path in sorted((root / "vendors").glob("*.yaml")):
        result.failures += check_vendors(path, loader._rel(path, root), rules)
    return result
