"""Where the bundled content lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """`knowledge` or `locales`: the checkout's top-level folder, else the wheel's copy."""
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    return _PACKAGE / "_bundled" / name


def knowledge_dir(folder: str) -> Path:
    """The configured knowledge folder (`[knowledge] dir`), else the bundled one."""
    return Path(folder) if folder else bundled("knowledge")
