"""The only types that cross the channel boundary.

Channels turn platform events into `Incoming` and render `Reply`; everything between
(router, handlers, services) sees nothing else, so a handler written once works on
Telegram, Zalo and the console alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

# NUL and other C0 controls (but tab and newlines) are refused by PostgreSQL or mean
# nothing to a person; lone surrogates cannot be stored as UTF-8 at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    text = _CONTROL.sub("", text)
    return text.encode("utf-8", "replace").decode("utf-8")


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
class Attachment:
    """A photo or file someone sent, as a reference a platform can send again.

    `channel` says where `ref` is valid: "telegram" for a Telegram file id (this bot can
    send it to any chat), "" for a public URL (what Zalo gives). A crew's passport scan
    reaches the desk this way without the bot storing the file. Where the ref means
    nothing (a staff member's Telegram file for a Zalo crew), the sending channel asks
    the ref's channel for the bytes (`bot.channels.base.MediaSource`) and uploads them,
    in memory.
    """

    kind: str  # "photo" | "document"
    ref: str
    name: str = ""
    channel: str = ""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: wrote text, pressed a button, shared a location or a contact."""

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
    # The platform's id of the message whose button was pressed, so a reply can edit it.
    message_ref: str = ""
    # A forum topic (Telegram `message_thread_id`): replies go to the same topic.
    thread_id: str = ""
    # Written in the staff desk group: the desk's handlers decide, not the crews'.
    is_desk: bool = False
    attachment: Attachment | None = None
    # The platform changed a message it delivered before (`message_ref` names it).
    edited: bool = False
    # The platform's id of the message this one replies to (the desk without topics).
    reply_to: str = ""

    def cleaned(self) -> Incoming:
        """The same message with text that every database and terminal can hold."""
        return replace(self, text=clean(self.text), action=clean(self.action),
                       display_name=clean(self.display_name)[:256],
                       update_id=clean(self.update_id)[:128])

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
    attachment: Attachment | None = None
    # The platform's id of a message in the same chat that this one answers (a quote).
    reply_to: str = ""

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]
