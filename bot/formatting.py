"""Reply text uses a small Markdown subset (**bold**, "- " lists, [label](url));
each channel renders it in its own way."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
_ITALIC = re.compile(r"(?<![\w*])[*_]([^*_\n]+)[*_](?![\w*])")


def to_plain(text: str) -> str:
    """For channels that show no markup (console, Zalo): markers removed, links kept."""
    text = _HEADING.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    text = _LINK.sub(r"\1: \2", text)
    text = _ITALIC.sub(r"\1", text)
    return text.replace("`", "")


def to_html(text: str) -> str:
    """Telegram HTML: everything escaped first, then the few tags we produce."""
    escaped = html.escape(text, quote=False)
    escaped = _HEADING.sub(r"<b>\1</b>", escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    escaped = _LINK.sub(lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>', escaped)
    return escaped


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
