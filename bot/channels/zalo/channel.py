"""The Zalo channel: one channel, two back-ends (`[zalo] api = "oa" | "bot"`).

Both back-ends turn a `ZaloEvent` into an `Incoming` the same way (here) and hand it to
`app.handle`, which stores it (deduplicating on Zalo's message id), runs the handler and
queues the replies in the outbox; their `Sender` renders a `Reply` in their own form.
Handlers never know which one carried the conversation.

What Zalo's events mean to the router:
- a text is a text; a greeting on its own ("Xin chào", "안녕하세요") opens the main
  menu, in the language the router detects from it. Zalo has no Start button, so the
  greeting is how people open a conversation; it is kept as the message's text;
- a pressed OA button arrives as the text "#<action>": an action when the router knows
  its prefix, plain text otherwise (a person may type "#hashtag");
- a follow is the `/start` command (welcome and language choice);
- stickers, images without a caption, files, audio, voice, video and links get the
  `media:<kind>` action (a short line saying the bot reads text); a caption is a text;
- a business card is `media:contact`: its text is the card's name, not a question,
  and the handler promises not to keep it, so the name is not passed on;
- a shared location is a location; unfollows, receipts, reactions, anonymous chats,
  the OA's own echoed messages and events Zalo may add are acknowledged, not stored;
- in a Bot Platform group only what addresses the bot is answered (see
  `BotChannel.addressed`).

A webhook is answered once the event is handled: the router stores the message and
its replies in one transaction, and only a committed message may be acknowledged (Zalo
does not send it again after a 200). Handling takes milliseconds plus the reply's send;
should it pass Zalo's two seconds, Zalo sends the event again and the message id makes
the copy a no-op. A failure to store answers 500, so that Zalo does send it again. A
chat's events are handled one at a time, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.base import DeliveryError, RetryLater, Undeliverable, Unreachable
from bot.channels.zalo.errors import (
    ZaloBadRequest,
    ZaloError,
    ZaloOutsideWindow,
    ZaloQuotaExceeded,
    ZaloRateLimited,
    ZaloRefreshTokenInvalid,
    ZaloTokenInvalid,
    ZaloUserUnreachable,
)
from bot.channels.zalo.events import ZaloEvent
from bot.channels.zalo.tokens import NotAuthorized
from bot.config import Config
from bot.messages import Attachment, Incoming, Location, Reply
from bot.services import failed_updates
from bot.storage.errors import is_transient

if TYPE_CHECKING:
    from bot.app import App
    from bot.runner import Channel
    from bot.web import WebServer

log = logging.getLogger("crewbot.zalo")

CHANNEL = "zalo"
# Zalo events are a few hundred bytes; a 2,000-character text stays far below this.
MAX_EVENT_BYTES = 64 * 1024
# A quota does not come back in minutes; a dead token needs a human (see tokens.py).
QUOTA_RETRY_SECONDS = 3600.0
NOT_AUTHORIZED_RETRY_SECONDS = 300.0

MEDIA_ACTION = "media"
MEDIA_KINDS = frozenset({"image", "sticker", "file", "audio", "video", "link"})
# A link's text is the link itself (or its preview), never a question.
UNCAPTIONED_KINDS = frozenset({"link"})
# Events of a user sending something we cannot read that the parser calls "other".
MEDIA_EVENTS = frozenset({"message.unsupported.received"})

# -- sending --------------------------------------------------------------------------------

def outcome(error: ZaloError, not_authorized_retry: float = NOT_AUTHORIZED_RETRY_SECONDS
            ) -> DeliveryError:
    """A Zalo error as what the outbox should do about the message."""
    reason = str(error)
    if isinstance(error, ZaloOutsideWindow | ZaloUserUnreachable):
        return Unreachable(reason)
    if isinstance(error, ZaloQuotaExceeded):
        return RetryLater(reason, QUOTA_RETRY_SECONDS)
    if isinstance(error, ZaloRefreshTokenInvalid | NotAuthorized):
        return RetryLater(reason, not_authorized_retry, counts=False)
    if isinstance(error, ZaloRateLimited | ZaloTokenInvalid):
        return RetryLater(reason)
    if isinstance(error, ZaloBadRequest):
        return Undeliverable(reason)
    return RetryLater(reason)  # 5xx, network trouble, timeouts


Part = Callable[[], Awaitable[str]]


class Progress:
    """Which messages of a several-message reply went out, so a retry sends only the rest.

    One outbox row is one `Reply`, but an OA reply with six buttons (or a Bot Platform
    text too long for its numbered choices) takes two messages. Should the second fail
    and the row be retried, the first must not be sent again. Kept in memory: after a
    restart a half-sent reply is sent whole again, the same window as the outbox's own
    (a message accepted by Zalo just before the process died).
    """

    TTL_SECONDS = 3600.0

    def __init__(self) -> None:
        self._sent: dict[str, tuple[float, list[str]]] = {}

    @staticmethod
    def key(chat_id: str, reply: Reply) -> str:
        return chat_id + ":" + hashlib.sha256(repr(reply).encode()).hexdigest()

    async def send(self, key: str, parts: Sequence[Part]) -> str:
        now = time.monotonic()
        for stale in [k for k, (at, _) in self._sent.items() if now - at > self.TTL_SECONDS]:
            del self._sent[stale]
        done = self._sent.get(key, (now, []))[1]
        for part in parts[len(done):]:
            done.append(await part())
            if len(parts) > 1:
                self._sent[key] = (now, done)
        self._sent.pop(key, None)
        return next((ref for ref in reversed(done) if ref), "")

    def forget(self, key: str) -> None:
        self._sent.pop(key, None)


# -- receiving ------------------------------------------------------------------------------

class BodyTooLarge(Exception):
    pass


async def read_body(request: web.Request, limit: int = MAX_EVENT_BYTES) -> bytes:
    """The raw body, refusing more than `limit` bytes without reading them all."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def refuse(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


class ZaloChannel:
    """What the OA and Bot Platform channels share: events in, order per chat, health."""

    def __init__(self, app: App, config: Config) -> None:
        self.app = app
        self.config = config
        self.settings = config.zalo
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._inflight: set[asyncio.Task[None]] = set()
        self.healthy = False
        self.problem = "not started"

    def health(self) -> tuple[bool, str]:
        return self.healthy, self.problem

    def add_health(self, server: WebServer) -> None:
        server.add_health(CHANNEL, self.health)

    # -- event -> Incoming ----------------------------------------------------------------

    async def choice(self, event: ZaloEvent) -> str:
        """The action a typed number stands for; only the Bot Platform numbers choices."""
        return ""

    async def addressed(self, event: ZaloEvent) -> ZaloEvent | None:
        """A group event as the bot should read it, or None when it is not for the bot.

        Only the Bot Platform has groups; the OA's chats are one to one.
        """
        return event

    async def to_incoming(self, event: ZaloEvent) -> Incoming | None:
        """The event as the router's `Incoming`, or None when there is nothing to handle."""
        if not event.chat_id or not event.user_id:
            return None
        if event.is_group:
            found = await self.addressed(event)
            if found is None:
                return None
            event = found
        text = action = ""
        location = None
        kind = event.kind
        if kind == "text":
            action = await self.choice(event)
            if not action:
                text = event.text
        elif kind == "button":
            probe = Incoming(channel=CHANNEL, chat_id="", user_id="", action=event.payload)
            if self.app.router.pick(probe) is not None:
                action = event.payload
            else:
                text = event.text
        elif kind == "follow":
            text = "/start"
        elif kind == "location" and event.latitude is not None and event.longitude is not None:
            location = Location(event.latitude, event.longitude)
        elif kind == "contact":
            action = f"{MEDIA_ACTION}:contact"
        elif kind in MEDIA_KINDS or (kind == "other" and event.event_name in MEDIA_EVENTS):
            if event.text.strip() and kind not in UNCAPTIONED_KINDS:
                text = event.text  # a caption is something to read
            else:
                media = "image" if event.event_name == "user_send_gif" else kind
                action = f"{MEDIA_ACTION}:{media}"
        else:
            return None
        attachment = None
        if event.attachment_url.startswith("https://") and kind in ("image", "file"):
            attachment = Attachment("photo" if kind == "image" else "document",
                                    event.attachment_url)
        return Incoming(channel=CHANNEL, chat_id=event.chat_id, user_id=event.user_id,
                        text=text, action=action, location=location,
                        display_name=event.display_name, language_hint=event.language_hint,
                        update_id=event.msg_id, is_group=event.is_group,
                        attachment=attachment)

    # -- handling -------------------------------------------------------------------------

    async def _handle(self, incoming: Incoming, background: bool) -> None:
        async with self._locks[incoming.chat_id]:
            await self.app.handle(incoming, background)

    async def submit(self, incoming: Incoming, background: bool = False) -> bool:
        """Handle `incoming` (store, answer, send); False only while storage is down.

        Runs as a task the caller's cancellation (a client hanging up, a stop) cannot
        cut half-way; `drain` waits for such tasks at stop. An event that fails for a
        reason of its own is recorded in `failed_updates` and counts as done: Zalo
        would send it again and again, and it would fail the same way each time.
        """
        task = asyncio.create_task(self._handle(incoming, background),
                                   name=f"zalo-{incoming.update_id}")
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not is_transient(error):
                log.exception("zalo event failed update_id=%s", incoming.update_id)
            return await failed_updates.set_aside(self.app.db, self.app.outage, CHANNEL,
                                                  incoming.update_id, error,
                                                  repr(incoming)[:4000])
        self.app.outage.recovered()
        return True

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let events being handled finish (bounded), so a stop loses none half-way."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=timeout)
        for task in list(self._inflight):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def build_channel(app: App, config: Config) -> Channel:
    if config.zalo.api == "bot":
        from bot.channels.zalo.bot_platform import BotChannel

        return BotChannel(app, config)
    from bot.channels.zalo.oa import OAChannel

    return OAChannel(app, config)
