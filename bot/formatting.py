"""Reply text uses a small Markdown subset (**bold**, "- " lists, [label](url));
each channel renders it in its own way.

What each channel shows of an article's Markdown, and so what `crewbot kb check` lets
through (`bot.services.knowledge.review`):

- `**bold**`: bold on Telegram, plain on Zalo and the console.
- `*italic*` and `_italic_` (a film's title): italic on Telegram, plain elsewhere.
- "- " and "1. " lists, paragraphs: plain text everywhere.
- `[label](https://...)`: a link on Telegram, "label: https://..." elsewhere.
- `# Heading` lines: bold on Telegram, plain elsewhere.
- A table with a header and a |---| row, in an article's body: a list, one item per row
  (`tables_as_lists`), as neither platform draws tables.

Everything else reaches a phone as typed on Telegram at least: HTML tags and entities
(escaped), `code` and code blocks, quotes (>), rule lines, images, links to anything
but a web address, tables outside a body.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
# An address may hold parentheses in pairs (Wikipedia's "..._(Việt_Nam)").
_LINK = re.compile(r"\[([^\]]+)\]\((https?://(?:[^()\s]|\([^()\s]*\))+)\)")
# A heading: one to six "#" at the start of a line. (Each pattern here starts with its
# mark, and looks behind only once it is found: the regex engine then skips the text
# between marks at C speed, instead of trying a look-behind at every character of an
# article, which took five times as long.)
_HEADING = re.compile(r"#(?<![^\n]#)#{0,5}\s+(.*)$", re.MULTILINE)
# Italics: the same mark on both sides, next to the words ("5 * 3 * 2" is no italic).
_EMPHASIS = re.compile(r"\*(?<![\w*]\*)(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"
                       r"|_(?<![\w_]_)(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
_ADDRESS = re.compile(r"https?://\S+")


# A reply is most often an article, and crews ask for the same few: each is rendered once.
@functools.lru_cache(maxsize=256)
def to_plain(text: str) -> str:
    """For channels that show no markup (console, Zalo): markers removed, links kept."""
    if "#" in text:
        text = _HEADING.sub(r"\1", text)
    if "**" in text:
        text = _BOLD.sub(r"\1", text)
    if "](" in text:
        text = _LINK.sub(r"\1: \2", text)
    return _italics(text, r"\1\2").replace("`", "")


@functools.lru_cache(maxsize=256)
def to_html(text: str) -> str:
    """Telegram HTML: everything escaped first, then the few tags we produce."""
    escaped = html.escape(text, quote=False)
    escaped = _HEADING.sub(r"<b>\1</b>", escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    out: list[str] = []
    done = 0
    for link in _LINK.finditer(escaped):
        # The address is escaped already, with the text: escaping it again made "&" in
        # a query string "&amp;amp;", a broken link.
        href = link.group(2).replace('"', "&quot;")
        out += [_italics(escaped[done : link.start()], _HTML_ITALIC),
                f'<a href="{href}">{_italics(link.group(1), _HTML_ITALIC)}</a>']
        done = link.end()
    out.append(_italics(escaped[done:], _HTML_ITALIC))
    return "".join(out)


_HTML_ITALIC = r"<i>\1\2</i>"


def _italics(text: str, replacement: str) -> str:
    """`*x*` and `_x_` replaced (`\\1\\2` is x), except inside a web address shown as
    it is: "https://example.com/_a_/" keeps its underscores."""
    if "*" not in text and "_" not in text:  # most text: nothing to look for
        return text
    out: list[str] = []
    done = 0
    for address in _ADDRESS.finditer(text):
        out += [_EMPHASIS.sub(replacement, text[done : address.start()]), address.group()]
        done = address.end()
    out.append(_EMPHASIS.sub(replacement, text[done:]))
    return "".join(out)


_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def table_blocks(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(first, end) line indexes of each table `tables_as_lists` turns into a list: a
    row starting with "|", a |---| rule under it, and the "|" rows that follow."""
    i = 0
    while i < len(lines):
        if (lines[i].lstrip().startswith("|") and i + 1 < len(lines)
                and _TABLE_RULE.match(lines[i + 1].strip())):
            end = i + 2
            while end < len(lines) and lines[end].lstrip().startswith("|"):
                end += 1
            yield i, end
            i = end
        else:
            i += 1


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables_as_lists(text: str) -> str:
    """A Markdown table as a list, one item per row ("- New Year's Day (Days: 1; Date:
    1 January)"): neither Telegram nor Zalo draws tables, and a raw one is pipes on a
    phone."""
    lines = text.split("\n")
    out: list[str] = []
    done = 0
    for first, end in table_blocks(lines):
        out += lines[done:first]
        header = _cells(lines[first])
        for row in lines[first + 2 : end]:
            cells = _cells(row)
            named = [f"{h}: {c}" for h, c in zip(header[1:], cells[1:], strict=False) if c]
            out.append(f"- {cells[0]}" + (f" ({'; '.join(named)})" if named else ""))
        done = end
    out += lines[done:]
    return "\n".join(out)


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at paragraph, then line, then word."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0)
        if cut < limit // 3:
            cut = window.rfind("\n")
        if cut < limit // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks
