"""What the outbox needs from a channel, and how a channel says a send went wrong.

A channel maps its platform's errors onto these three outcomes; the outbox decides what
to do with them (retry later, stop writing to the chat, give up on this one message), so
the retry policy is written once for Telegram and Zalo alike.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages import Reply

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
