"""The terminal as a channel: a real conversation through the same router.

Buttons are shown as numbered choices; typing the number presses the button. When
stdin is not a terminal, each line is one message, so a conversation can be scripted.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.formatting import to_plain
from bot.messages import Button, Incoming, Reply

CHANNEL = "console"
Handle = Callable[[Incoming], Awaitable[list[Reply]]]


def maps_link(latitude: float, longitude: float) -> str:
    return f"https://www.google.com/maps?q={latitude:.5f},{longitude:.5f}"


def render(replies: list[Reply], first_number: int = 1) -> tuple[str, list[Button]]:
    """The replies as terminal text, and the buttons in the order they were numbered."""
    lines: list[str] = []
    pressable: list[Button] = []
    for reply in replies:
        if reply.location is not None:
            loc = reply.location
            lines.append(f"📍 {loc.title or reply.text}: {loc.latitude:.5f}, {loc.longitude:.5f}"
                         f"  {maps_link(loc.latitude, loc.longitude)}")
        elif reply.text:
            lines.append(to_plain(reply.text))
        for row in reply.buttons:
            for button in row:
                if button.url:
                    lines.append(f"  {button.label}: {button.url}")
                else:
                    pressable.append(button)
                    lines.append(f"  [{first_number + len(pressable) - 1}] {button.label}")
        lines.append("")
    return "\n".join(lines), pressable


class ConsoleChannel:
    def __init__(self, handle: Handle, user: str, stdin: TextIO | None = None,
                 stdout: TextIO | None = None, language_hint: str = "") -> None:
        self.handle = handle
        self.user = user
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.language_hint = language_hint
        self.interactive = self.stdin.isatty()
        self.buttons: list[Button] = []

    def to_incoming(self, line: str) -> Incoming:
        text = line.strip()
        action = ""
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            action, text = self.buttons[int(text) - 1].action, ""
        return Incoming(channel=CHANNEL, chat_id=self.user, user_id=self.user,
                        display_name=self.user, language_hint=self.language_hint,
                        text=text, action=action)

    async def _read(self) -> str | None:
        if self.interactive:
            self.stdout.write("> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return line if line else None

    async def run(self) -> None:
        if self.interactive:
            self.stdout.write("crewbot console: type /start, a question, or a button's number; "
                              "/quit to leave.\n\n")
        while (line := await self._read()) is not None:
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            replies = await self.handle(self.to_incoming(text))
            output, buttons = render(replies)
            if buttons:
                self.buttons = buttons
            self.stdout.write(output + "\n")
            self.stdout.flush()
