"""The only types that cross the channel boundary.

Channels turn platform events into `Incoming` and render `Reply`; everything between
(router, handlers, services) sees nothing else, so a handler written once works on
Telegram, Zalo and the console alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the user; `action` comes back as `Incoming.action` when pressed."""

    label: str
    action: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float
    title: str = ""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: wrote text, pressed a button, or shared a location."""

    channel: str
    chat_id: str
    user_id: str
    text: str = ""
    action: str = ""
    display_name: str = ""
    location: Location | None = None
    language_hint: str = ""
    update_id: str = ""
    is_group: bool = False

    @property
    def command(self) -> str:
        """The command name without slash or bot mention (`/start@crewbot x` -> `start`)."""
        if not self.text.startswith("/"):
            return ""
        head = self.text[1:].split(maxsplit=1)[0] if len(self.text) > 1 else ""
        return head.split("@", 1)[0].lower()

    @property
    def args(self) -> str:
        """What follows the command (`/start abc` -> `abc`)."""
        if not self.command:
            return ""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the bot sends.

    `buttons` is a list of rows. `edit` asks the channel to replace the message whose
    button was pressed, where the platform can, instead of sending a new one.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    location: Location | None = None
    image_url: str = ""
    edit: bool = False

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]
