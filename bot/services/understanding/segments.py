"""A message cut into its sentences.

Crews write "Hi! I'm a line producer at a Paris company. We shoot in Da Nang in May.
Do we need a permit? And can we fly a drone there? Thanks, Marie": the introduction
and the sign-off are no questions, and the two questions are two.
"""

from __future__ import annotations

import re

# A sentence ends at . ? ! ; (Latin: followed by a space or the end; "e.g." and "2.5" stay
# whole) or at 。？！ (CJK, which has no spaces), and at every line break.
_END = re.compile(r"(?<=[.?!;])\s+|(?<=[。？！；])|\n+|(?<=\?)(?=\S)")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|mr|mrs|ms|dr|no|vs|approx|st)\.)$",
                           re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """The sentences of `text`, in order, without empty ones."""
    parts: list[str] = []
    for piece in _END.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if parts and _ABBREVIATION.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts
