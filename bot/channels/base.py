"""What the outbox needs from a channel, and how a channel says a send went wrong.

A channel maps its platform's errors onto these three outcomes; the outbox decides what
to do with them (retry later, stop writing to the chat, give up on this one message), so
the retry policy is written once for Telegram and Zalo alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages import Attachment, Reply

# An outbox row's thread `topic:<key>` names a place in a group chat rather than giving
# the platform's id for it: the channel makes the place (a Telegram forum topic) on
# first use and remembers it (`DeskTopic`), so a service can address it before it exists.
TOPIC_PREFIX = "topic:"


class DeliveryError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """Rate limit, network trouble or a 5xx: the same send may well work later.

    `counts=False` is for waits that say nothing about the message (the bot is not
    authorised until staff re-authorise it): they do not use up its attempts.
    """

    def __init__(self, reason: str, after: float | None = None, counts: bool = True) -> None:
        super().__init__(reason)
        self.after = after
        self.counts = counts


class Unreachable(DeliveryError):
    """The platform will not deliver to this chat now (bot blocked, chat gone, window shut)."""


class Undeliverable(DeliveryError):
    """This message cannot be sent as it is; retrying would fail the same way."""


class Sender(Protocol):
    """One platform's way of sending one message (one part of a reply)."""

    name: str
    text_limit: int
    # Whether a sent message can be changed in place (`edit_ref`); where it cannot, the
    # reply goes anew, and a correction should say it is one.
    edits: bool

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        """Send (or, with `edit_ref`, edit) and return the platform's id of the message.

        `thread` is a place inside the chat (a Telegram forum topic) where the message
        belongs; platforms without such places ignore it.
        """
        ...


class TooLarge(Undeliverable):
    """A file over the size the receiving platform (or the source) takes.

    `size` is what the source says the file weighs (None when it did not say), `limit`
    the most that was asked for: the receiving sender words the refusal in its terms.
    """

    def __init__(self, reason: str, size: int | None, limit: int) -> None:
        super().__init__(reason)
        self.size = size
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Media:
    """A file's bytes, fetched to cross to another platform; held in memory, never on disk.

    `name` is the file's name as its sender gave it (or the platform's, for a photo).
    """

    data: bytes
    name: str


class MediaSource(Protocol):
    """One platform's way of handing over the bytes behind its own attachment refs.

    An `Attachment` names the channel where its ref means something (a Telegram file
    id); a sender of another platform that cannot use the ref asks that channel's source
    for the bytes and uploads them its own way. Errors are the outbox's outcomes: a
    network failure is `RetryLater`, a file that cannot be had is `Undeliverable`, one
    over `max_bytes` is `TooLarge` (checked before downloading when the platform says
    the size).
    """

    name: str

    async def fetch(self, attachment: Attachment, max_bytes: int) -> Media:
        ...


class MediaSources:
    """The media sources of the running channels, by channel name (as senders are)."""

    def __init__(self) -> None:
        self._sources: dict[str, MediaSource] = {}

    def register(self, source: MediaSource) -> None:
        self._sources[source.name] = source

    def get(self, channel: str) -> MediaSource | None:
        return self._sources.get(channel)


def size_text(size: int) -> str:
    """A file size as people read it: 740 KB, 7.3 MB, 5 MB."""
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
