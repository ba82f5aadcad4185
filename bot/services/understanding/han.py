"""Traditional Chinese read as Simplified.

Taiwanese and Hong Kong crews write 峴港, 簽證 and 報關; the knowledge base, its topic
words and its place names are in Simplified (岘港, 签证, 报关). Character by character,
OpenCC's Traditional-to-Simplified table (shipped in `opencc-python-reimplemented`)
turns one into the other; a message read as Chinese is read through it. Word-level
differences (軟體 / 软件) are left: place names and topic words are what the reader
needs, and they convert character by character.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def _table() -> dict[int, str]:
    text = (files("opencc") / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        traditional, _, simplified = line.partition("\t")
        if len(traditional) == 1 and simplified:
            table[ord(traditional)] = simplified.split()[0]
    return table


def simplified(text: str) -> str:
    return text.translate(_table())
