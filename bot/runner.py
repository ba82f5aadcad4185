"""Runs the configured platform channels; the Telegram and Zalo channels plug in here."""

from __future__ import annotations

import sys

from bot.config import Config


async def run(config: Config) -> int:
    configured = [name for name, on in (("telegram", config.telegram_enabled),
                                        ("zalo", config.zalo_enabled)) if on]
    print(f"crewbot run: the {', '.join(configured)} channel is not available in this version; "
          "use crewbot chat", file=sys.stderr)
    return 1
