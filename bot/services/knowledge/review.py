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
from bot.services.knowledge.model import Article, Content, Problem

# Where an article id may hide: words joined by dots or hyphens. Addresses are blanked
# out first (an id inside a URL or an e-mail address is no id shown to a crew).
_ID_LIKE = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:[.-][a-z0-9]+)+(?![\w/@-])")
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

# Any of the line rules' marks: a text without one needs no line-by-line look.
_SUSPECT = re.compile(r"<[A-Za-z/!]|&#?\w+;|`|^\s*>|^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$"
                      r"|\[[^\]\n]*\]\(|^\s*\[[^\]\n]+\]:|\|", re.MULTILINE)
_UNPAIRED = "an unpaired **: shown as typed"

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


def _paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """(index of its first line, paragraph) for each paragraph between blank lines."""
    start, lines = 0, []
    for number, line in enumerate(text.split("\n")):
        if line.strip():
            lines.append(line)
            continue
        if lines:
            yield start, "\n".join(lines)
        start, lines = number + 1, []
    if lines:
        yield start, "\n".join(lines)


def _blank(pattern: re.Pattern[str], text: str) -> str:
    """`text` with each match of `pattern` replaced by spaces (same length, same lines)."""
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _without_addresses(text: str) -> str:
    """`text` with web and e-mail addresses blanked (`_blank`), where it has any."""
    return _blank(_ADDRESS, text) if "://" in text or "@" in text else text


def _unpaired(paragraph: str) -> bool:
    return "**" in paragraph and _without_addresses(paragraph).count("**") % 2 == 1


class TextRules:
    """The rules above, with the knowledge base's ids."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = frozenset(i for i in ids if "." in i or "-" in i)

    def _ids(self, text: str) -> Iterator[tuple[int, str]]:
        """(offset, problem) of each id in `text`."""
        for match in _ID_LIKE.finditer(_without_addresses(text)):
            word = match.group()
            if word in self.ids or _ID_PREFIXES.match(word):
                yield match.start(), (f"the id {word!r}: crews read titles, not ids; name the "
                                      "article by its title (a related: id becomes a button)")

    def plain(self, text: str) -> list[str]:
        """Problems of a text shown as plain text: a title, a name, a city, a source title."""
        found = [problem for _offset, problem in self._ids(text)]
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
        ids: dict[int, list[str]] = {}
        for offset, problem in self._ids(text):  # once over the text, not line by line
            ids.setdefault(text.count("\n", 0, offset), []).append(problem)
        if not _SUSPECT.search(text):
            # Most texts: nothing but words, bold and lists; only ** pairs to count.
            quick = [(start, _UNPAIRED) for start, paragraph in _paragraphs(text)
                     if _unpaired(paragraph)]
            quick += [(number, problem) for number, problems in ids.items()
                      for problem in problems]
            return list(dict.fromkeys(sorted(quick, key=lambda item: item[0])))
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
                    found.append((paragraph_start, _UNPAIRED))
                paragraph_start, bold_marks = number + 1, 0
                continue
            table = number not in converted and bool(_TABLE_ROW.match(line)
                                                     or _TABLE_RULE.match(line))
            if table and not in_table:  # once a table, on its first line
                found.append((number, "a Markdown table: phones show no tables; write a list "
                                      "(in a body, a table with a header row and a |---| "
                                      "row is turned into one)"))
            in_table = table
            found += [(number, problem) for problem in ids.get(number, ())]
            found += [(number, problem) for problem in self._line(line, number in converted)]
            bold_marks += _without_addresses(line).count("**")
        if bold_marks % 2:
            found.append((paragraph_start, _UNPAIRED))
        return list(dict.fromkeys(found))

    def _line(self, line: str, in_table: bool) -> Iterator[str]:
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


def _header_lines(text: str) -> dict[str, int]:
    """The file line of each key path of an article's header (`title.en`), for the
    rare article with a problem in it: parsing every header again doubled the check."""
    parts = loader._split_front_matter(text)
    if parts is None:
        return {}
    try:
        node, _data = loader._parse_yaml(parts[0])
    except yaml.YAMLError:
        return {}
    if node is None:
        return {}
    return {key: line + parts[1] for key, line in loader._lines(node).items()}


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


def _header_texts(article: Article) -> Iterator[tuple[str, str, bool]]:
    """(key path, text, shown as plain text?) of what a crew reads in the header."""
    for lang, title in article.title.items():
        yield f"title.{lang}", title, True
    for lang, summary in article.summary.items():
        yield f"summary.{lang}", summary, False
    if article.location is not None:
        notes = article.location.notes.get()
        for name in ("best_season", "access", "permit_notes"):
            for lang, note in getattr(notes, name).items():
                yield f"location.{name}.{lang}", note, False
    for number, source in enumerate(article.sources):
        if source.titles:
            for lang, title in source.titles.items():
                yield f"sources.{number}.title.{lang}", title, True
        else:
            yield f"sources.{number}.title", source.title, True


def check_article(article: Article, root: Path, rules: TextRules) -> list[Problem]:
    """Text problems in one loaded article: its header's texts as loaded, its bodies
    as written (for their lines)."""
    try:
        text = (root.parent / article.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # changed since loading: the next check sees it
    parts = loader._split_front_matter(text)
    if parts is None:
        return []
    found: list[tuple[str, str]] = []
    for key, value, plain in _header_texts(article):
        problems = rules.plain(value) if plain else [p for _i, p in rules.rich(value)]
        found += [(key, problem) for problem in dict.fromkeys(problems)]
    located: list[Problem] = []
    if found:  # a header's text is reported at its key's line
        lines = _header_lines(text)
        located = [Problem(article.path, _line_of(lines, key), f"{key}: {problem}")
                   for key, problem in found]
    for lang, (first, body) in _bodies(text, parts[3]).items():
        located += [Problem(article.path, first + index, f"body.{lang}: {problem}")
                    for index, problem in rules.rich(body, body=True)]
    return located


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
    for article in sorted(content.articles.values(), key=lambda a: a.path):
        result.failures += check_article(article, root, rules)
    for path in sorted((root / "vendors").glob("*.yaml")):
        result.failures += check_vendors(path, loader._rel(path, root), rules)
    return result
