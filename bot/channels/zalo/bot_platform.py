"""Zalo Bot Platform: getUpdates or a webhook with a secret in, plain texts out.

The platform has no buttons, so choices are numbered lines under the text (as on the
console) and a reply that is just a number presses that choice. The choices offered
last in each chat are stored (`zalo_choices`), so a number still means the same after a
restart. Numbering runs on across the messages of one turn (everything the bot sends
between two messages of the user), again as on the console.

getUpdates hands out one update per call and has no offset to confirm with: an update
counts as delivered once returned. So the next call is made only once the update is
handled (stored, answered), which is as close to "confirm after handling" as the API
allows; the message id is the deduplication key should Zalo deliver it again.

The polling loop must never end quietly, since nothing else would notice that the bot
went deaf: an update it cannot read is logged with its id and skipped, any other
failure is logged, waited out (doubling up to a minute) and retried, and should the
task end all the same, `/healthz` says so.

Events the docs list (text, image, sticker, voice, unsupported) are answered; any
other event name is acknowledged and left alone, on the webhook as when polling.
Groups (Beta on the platform) are described in `BotChannel.addressed`.

Files from another platform do not reach a Bot Platform chat: sendPhoto takes the
image as a public link (`photo`, a URL, in a JSON body, as `BotClient.send_photo` and
the platform's method list quoted by integrations show; no multipart upload is
described) and there is no method for documents. A staff member's Telegram file has no
public link (its download link carries the bot's token), so it is refused with that
reason, which the desk is shown; the words of the message still go.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from aiohttp import web
from aiolimiter import AsyncLimiter
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.channels.base import RetryLater, Undeliverable
from bot.channels.zalo.bot_client import DEFAULT_BASE_URL, MAX_TEXT, BotClient
from bot.channels.zalo.channel import (
    CHANNEL,
    NOT_AUTHORIZED_RETRY_SECONDS,
    BodyTooLarge,
    Progress,
    ZaloChannel,
    outcome,
    read_body,
    refuse,
)
from bot.channels.zalo.errors import ZaloError, ZaloTokenInvalid
from bot.channels.zalo.events import MalformedEvent, ZaloEvent, parse_bot_update, update_id
from bot.channels.zalo.render import bot_rendering
from bot.channels.zalo.signature import BOT_SECRET_HEADER, verify_bot_secret
from bot.config import Config
from bot.messages import Reply
from bot.storage import Database
from bot.storage.models import Chat, Message, ZaloChoice, utcnow

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("crewbot.zalo.bot")

POLL_TIMEOUT = 30
# getUpdates will not hand an update out again, so one whose storage failed is retried
# here for as long as the database is away, pausing at most this long between tries.
MAX_STORAGE_PAUSE = 8.0
# Pauses of the polling loop after a failure: doubling from the first to the last.
POLL_BACKOFF = (1.0, 60.0)
TOKEN_REJECTED_PAUSE = 60.0
NO_UPLOAD = ("the Zalo Bot Platform cannot take a file from the bot: sendPhoto wants a "
             "public link to the image, no method takes documents, and a file from the "
             "desk has no public link")


class Choices:
    """The numbered choices offered in each chat, in the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def current_turn(self, chat_id: str) -> list[str]:
        """The actions already numbered since the user last wrote (numbering goes on)."""
        async with self.db.session() as session:
            row = await session.get(ZaloChoice, chat_id)
            if row is None:
                return []
            last_in = await session.scalar(
                select(func.max(Message.created_at))
                .join(Chat, Chat.id == Message.chat_id)
                .where(Chat.channel == CHANNEL, Chat.external_id == chat_id,
                       Message.direction == "in"))
        if last_in is not None and last_in >= row.offered_at:
            return []
        actions = json.loads(row.actions)
        return [a for a in actions if isinstance(a, str)] if isinstance(actions, list) else []

    async def offer(self, chat_id: str, actions: list[str]) -> None:
        values = dict(actions=json.dumps(actions, ensure_ascii=False), offered_at=utcnow())
        insert = postgresql_insert if self.db.dialect == "postgresql" else sqlite_insert
        statement = insert(ZaloChoice).values(chat_id=chat_id, **values).on_conflict_do_update(
            index_elements=[ZaloChoice.chat_id], set_=values)
        async with self.db.session() as session:
            await session.execute(statement)

    async def lookup(self, chat_id: str, number: int) -> str:
        async with self.db.session() as session:
            row = await session.get(ZaloChoice, chat_id)
        if row is None:
            return ""
        actions = json.loads(row.actions)
        if isinstance(actions, list) and 1 <= number <= len(actions):
            action = actions[number - 1]
            return action if isinstance(action, str) else ""
        return ""


class BotSender:
    """Sends one outbox row as Bot Platform messages; numbers its choices."""

    name = CHANNEL
    # The reply's text; its numbered choices are added after the outbox has split it,
    # and go in a message of their own when they do not fit.
    text_limit = MAX_TEXT
    edits = False

    def __init__(self, client: BotClient, choices: Choices, limiter: AsyncLimiter) -> None:
        self.client = client
        self.choices = choices
        self.limiter = limiter
        self.progress = Progress()
        self.not_authorized_retry = NOT_AUTHORIZED_RETRY_SECONDS
        self.token_rejected = False

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        attachment = reply.attachment
        if attachment is not None:
            if attachment.channel:
                raise Undeliverable(NO_UPLOAD)
            # A public link: a photo goes as one, a file as its link under the text.
            if attachment.kind == "photo":
                reply = replace(reply, image_url=attachment.ref, attachment=None)
            else:
                label = attachment.name or "📎"
                reply = replace(reply, attachment=None, text="\n\n".join(
                    part for part in (reply.text, f"{label}: {attachment.ref}") if part))
        numbered = any(b.action and not b.url for b in reply.all_buttons())
        earlier = await self.choices.current_turn(chat_id) if numbered else []
        rendering = bot_rendering(reply, first_number=len(earlier) + 1)
        texts = list(rendering.texts)
        parts = []
        if rendering.photo_url:
            caption = texts.pop(0) if texts else ""
            parts.append(functools.partial(self._photo, chat_id, rendering.photo_url, caption))
        parts += [functools.partial(self._text, chat_id, text) for text in texts]
        if not parts:
            return ""
        key = Progress.key(chat_id, reply)
        try:
            ref = await self.progress.send(key, parts)
        except ZaloError as error:
            if isinstance(error, ZaloTokenInvalid):
                self.token_rejected = True
                raise RetryLater(str(error), self.not_authorized_retry, counts=False) from error
            result = outcome(error, self.not_authorized_retry)
            if not isinstance(result, RetryLater):
                self.progress.forget(key)
            raise result from error
        self.token_rejected = False
        if rendering.actions:
            try:
                await self.choices.offer(chat_id, earlier + rendering.actions)
            except Exception:
                # Sent already: a retry would send it twice. The numbers just won't work.
                log.exception("numbered choices not stored chat=%s", chat_id)
        return ref

    async def _text(self, chat_id: str, text: str) -> str:
        async with self.limiter:
            return await self.client.send_message(chat_id, text)

    async def _photo(self, chat_id: str, url: str, caption: str) -> str:
        async with self.limiter:
            return await self.client.send_photo(chat_id, url, caption)


class BotChannel(ZaloChannel):
    def __init__(self, app: App, config: Config) -> None:
        super().__init__(app, config)
        settings = self.settings
        self.client = BotClient(settings.bot_token,
                                base_url=settings.api_base_url or DEFAULT_BASE_URL)
        self.choices = Choices(app.db)
        self.sender = BotSender(self.client, self.choices,
                                AsyncLimiter(settings.sends_per_second, 1.0))
        self.poll_timeout = POLL_TIMEOUT
        self.poll_backoff = POLL_BACKOFF
        self._poller: asyncio.Task[None] | None = None
        self._stopping = False
        self.account = ""
        self.names: list[str] = []

    @property
    def webhook_mode(self) -> bool:
        return self.settings.mode == "webhook"

    def add_routes(self, server: WebServer) -> None:
        if self.webhook_mode:
            server.app.router.add_post(self.settings.webhook_path, self.webhook)
        self.add_health(server)

    def health(self) -> tuple[bool, str]:
        if self.sender.token_rejected:
            return False, "Zalo refused the bot token; check [zalo] bot_token"
        return self.healthy, self.problem

    async def start(self) -> None:
        """getMe (a wrong token stops the start), then the webhook or the polling loop."""
        me = await self.client.get_me()
        self.account = str(me.get("account_name", ""))
        # How people may @mention the bot in a group: its account name, and its display
        # name should getMe ever carry one (the docs show account_name only).
        self.names = [name for name in {self.account, str(me.get("display_name") or ""),
                                        str(me.get("name") or "")} if name.strip()]
        self.app.outbox.register(self.sender)
        if self.webhook_mode:
            await self.client.set_webhook(self.settings.webhook_url, self.settings.webhook_secret)
        else:
            await self.client.delete_webhook()
            self._poller = asyncio.create_task(self._poll(), name="zalo-bot-poll")
            self._poller.add_done_callback(self._poll_ended)
        self.healthy, self.problem = True, ""
        log.info("zalo started api=bot account=%s mode=%s", self.account, self.settings.mode)

    async def stop(self) -> None:
        self._stopping = True
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.drain()
        await self.client.close()

    async def choice(self, event: ZaloEvent) -> str:
        text = event.text.strip()
        if not text.isdigit() or len(text) > 3 or not text.isascii():
            return ""
        return await self.choices.lookup(event.chat_id, int(text))

    async def addressed(self, event: ZaloEvent) -> ZaloEvent | None:
        """In a group the bot answers a command, an @mention of itself, or a choice number.

        The platform marks none of these (its documented message has `text` and
        `chat.chat_type`, no mention entities and no reply-to), so they are read from
        the text: "/help"; "@<account name> ..." (the mention is taken out of the
        question); or a bare number while the bot's last message in the group offered
        numbered choices, which is how its "buttons" are answered. A reply to the bot's
        message cannot be told from any other message, so it counts only if it is one
        of those. Everything else, media included, is the group talking among itself.
        """
        text = event.text.strip()
        if not text:
            return None
        if text.startswith("/"):
            return replace(event, text=text)
        lowered = text.lower()
        for name in self.names:
            mention = "@" + name.lower()
            start = lowered.find(mention)
            if start >= 0:
                rest = (text[:start] + text[start + len(mention):]).strip(" ,:")
                return replace(event, text=rest)
        if await self.choice(event):
            return event
        return None

    def _poll_ended(self, task: asyncio.Task[None]) -> None:
        """Make an ended polling loop loud: in the log, and in `/healthz`."""
        if self._stopping:
            return
        if task.cancelled():
            reason = "cancelled"
        else:
            error = task.exception()
            reason = f"{type(error).__name__}: {error}" if error else "returned"
        self.healthy, self.problem = False, f"Zalo polling stopped ({reason}); restart crewbot"
        log.error("zalo polling stopped reason=%r; nothing is received until a restart",
                  reason)

    async def _poll(self) -> None:
        backoff = 0.0
        while True:
            try:
                updates = await self.client.get_updates(timeout=self.poll_timeout)
                backoff = 0.0
                if not self.healthy and not self.sender.token_rejected:
                    log.info("zalo getUpdates works again")
                self.healthy, self.problem = True, ""
                for update in updates:
                    await self._process(update)
            except asyncio.CancelledError:
                raise
            except ZaloTokenInvalid as error:
                if self.healthy:
                    log.error("zalo bot token rejected error=%s; check [zalo] bot_token", error)
                self.healthy, self.problem = False, "Zalo refused the bot token (getUpdates)"
                await asyncio.sleep(TOKEN_REJECTED_PAUSE)
            except Exception as error:
                # ZaloError (5xx, no answer, 429) or anything unforeseen: the loop goes on.
                first, most = self.poll_backoff
                backoff = min(backoff * 2, most) if backoff else first
                self.healthy, self.problem = False, f"getUpdates failed: {error}"
                if isinstance(error, ZaloError):
                    log.warning("zalo getUpdates failed error=%s retry_in=%.1fs", error,
                                backoff)
                else:
                    log.exception("zalo polling failed error=%s retry_in=%.1fs",
                                  type(error).__name__, backoff)
                await asyncio.sleep(backoff)

    async def _process(self, update: object) -> None:
        """Handle one update; one that cannot be read is logged with its id and skipped."""
        try:
            event = parse_bot_update(update)
            incoming = await self.to_incoming(event)
        except MalformedEvent as error:
            log.warning("zalo update skipped message_id=%s reason=%r", update_id(update),
                        str(error))
            return
        if incoming is None:
            log.info("zalo update ignored event_name=%s message_id=%s", event.event_name[:64],
                     event.msg_id[:64] or "?")
            return
        pause = 0.5
        while not await self.submit(incoming):  # storage is down: the update is only here
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_STORAGE_PAUSE)

    async def webhook(self, request: web.Request) -> web.Response:
        """One update from Zalo; with the right secret it is answered 200 whatever it is.

        A body that carries the secret but is not an update we can read gets 200 and a
        WARNING with its id, and nothing is stored: the secret proves Zalo sent it, and
        a 4xx would only have the same body sent again. Event names the docs do not
        list are acknowledged and left alone.
        """
        try:
            raw = await read_body(request)
        except BodyTooLarge:
            return refuse(413, "body too large")
        secret = request.headers.get(BOT_SECRET_HEADER)
        if not secret:
            return refuse(401, "secret token missing")
        if not verify_bot_secret(secret, self.settings.webhook_secret):
            log.warning("zalo bot webhook refused reason=bad_secret")
            return refuse(403, "forbidden")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            log.warning("zalo update skipped message_id=? reason='not JSON'")
            return web.json_response({"ok": True})
        try:
            event = parse_bot_update(body)
            incoming = await self.to_incoming(event)
        except MalformedEvent as error:
            log.warning("zalo update skipped message_id=%s reason=%r", update_id(body),
                        str(error))
            return web.json_response({"ok": True})
        log.info("zalo bot webhook event event_name=%s message_id=%s handled=%s",
                 event.event_name[:64], event.msg_id[:64] or "?", incoming is not None)
        if incoming is None:
            return web.json_response({"ok": True})
        if not await self.submit(incoming, background=True):  # 200 once stored
            return refuse(503, "storage unavailable, send again")
        return web.json_response({"ok": True})
