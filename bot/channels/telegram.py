"""Telegram through python-telegram-bot: updates in as `Incoming`, `Reply` out as messages.

Only the Bot API client of python-telegram-bot is used (with its AIORateLimiter), not
its dispatcher: the router is our dispatcher, and owning the polling loop lets an update
be confirmed to Telegram (by the next getUpdates offset) only after it was stored and
handled, so a crash never loses one. Everything that leaves goes through the outbox,
which calls `TelegramSender.send` and decides about retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.base import RetryLater, Undeliverable, Unreachable
from bot.config import Config
from bot.formatting import to_html
from bot.messages import Incoming, Location, Reply

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("crewbot.telegram")

# python-telegram-bot 22 reports durations (retry_after) as timedeltas when asked to, and
# warns on every 429 otherwise; we handle both, so opt in and keep the log quiet.
os.environ.setdefault("PTB_TIMEDELTA", "1")

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_BATCH_FAILURES = 5
MEDIA = ("sticker", "photo", "voice", "video", "video_note", "audio", "document", "animation")
# Telegram's answers that mean "this chat will not take messages from us", as opposed
# to a mistake in one message.
_GONE = ("chat not found", "user is deactivated", "bot was kicked", "not enough rights",
         "have no rights", "peer_id_invalid", "bot is not a member")


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    for row in reply.buttons:
        buttons: list[InlineKeyboardButton] = []
        for button in row:
            if button.url:
                buttons.append(InlineKeyboardButton(button.label, url=button.url))
            elif len(button.action.encode()) <= CALLBACK_DATA_LIMIT:
                buttons.append(InlineKeyboardButton(button.label, callback_data=button.action))
            else:
                log.error("button dropped: action longer than 64 bytes action=%s",
                          button.action[:80])
        if buttons:
            rows.append(buttons)
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramSender:
    """Sends one outbox row; maps Telegram's errors onto the outbox's three outcomes."""

    name = CHANNEL
    text_limit = TEXT_LIMIT

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def send(self, chat_id: str, reply: Reply, edit_ref: str) -> str:
        try:
            return await self._send(int(chat_id), reply, edit_ref)
        except RetryAfter as error:
            raise RetryLater("rate limited", _seconds(error.retry_after)) from error
        except Forbidden as error:
            raise Unreachable(error.message) from error
        except BadRequest as error:
            if any(marker in error.message.lower() for marker in _GONE):
                raise Unreachable(error.message) from error
            raise Undeliverable(error.message) from error
        except (NetworkError, InvalidToken) as error:  # timeouts and 5xx included
            raise RetryLater(f"{type(error).__name__}: {error.message}") from error
        except TelegramError as error:
            raise RetryLater(f"{type(error).__name__}: {error.message}") from error

    async def _send(self, chat_id: int, reply: Reply, edit_ref: str) -> str:
        if reply.location is not None:
            pin = await self.bot.send_location(chat_id, reply.location.latitude,
                                               reply.location.longitude)
            return str(pin.message_id)
        markup = keyboard(reply)
        text = to_html(reply.text)
        if reply.image_url:
            photo = await self.bot.send_photo(chat_id, reply.image_url, caption=text[:1024],
                                              parse_mode=ParseMode.HTML, reply_markup=markup)
            return str(photo.message_id)
        no_preview = LinkPreviewOptions(is_disabled=True)
        if edit_ref:
            try:
                await self.bot.edit_message_text(text, chat_id, int(edit_ref),
                                                 parse_mode=ParseMode.HTML, reply_markup=markup,
                                                 link_preview_options=no_preview)
                return edit_ref
            except BadRequest as error:
                if "not modified" in error.message.lower():
                    return edit_ref
                # Too old to edit, deleted, or not a text message: send it as a new one.
                log.info("edit refused, sending anew chat=%s reason=%s", chat_id, error.message)
        message = await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                              reply_markup=markup,
                                              link_preview_options=no_preview)
        return str(message.message_id)


def build_bot(config: Config) -> ExtBot[Any]:
    """The Bot API client: rate-limited, waiting out short 429s itself, on `api_base_url`."""
    settings = config.telegram
    limiter = AIORateLimiter(overall_max_rate=30, overall_time_period=1, group_max_rate=20,
                             group_time_period=60, max_retries=2)
    poll_timeout = settings.poll_timeout + 10
    return ExtBot(
        settings.token,
        base_url=settings.api_base_url,
        request=HTTPXRequest(connection_pool_size=16, read_timeout=15, connect_timeout=10),
        get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=poll_timeout,
                                         connect_timeout=10),
        rate_limiter=limiter,
    )


class TelegramChannel:
    def __init__(self, app: App, config: Config) -> None:
        self.app = app
        self.config = config
        self.settings = config.telegram
        self.bot = build_bot(config)
        self.sender = TelegramSender(self.bot)
        self.username = ""
        self.bot_id = 0
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._working = asyncio.Semaphore(8)
        self._poller: asyncio.Task[None] | None = None
        self._offset = 0
        self.healthy = False
        self.problem = "not started"

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.settings.webhook_url).path or "/telegram/webhook"

    def add_routes(self, server: WebServer) -> None:
        if self.settings.mode == "webhook":
            server.app.router.add_post(self.webhook_path, self.webhook)
        server.add_health(CHANNEL, self.health)

    def health(self) -> tuple[bool, str]:
        return self.healthy, self.problem

    async def start(self) -> None:
        """Connect (getMe), publish the command menu per language, then poll or hook."""
        await self.bot.initialize()
        self.app.outbox.register(self.sender)
        self.username = self.bot.username
        self.bot_id = self.bot.id
        await self.publish_commands()
        if self.settings.mode == "webhook":
            await self.bot.set_webhook(self.settings.webhook_url,
                                       secret_token=self.settings.webhook_secret or None,
                                       allowed_updates=ALLOWED_UPDATES)
        else:
            await self.bot.delete_webhook()
            self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        self.healthy, self.problem = True, ""
        log.info("telegram started bot=@%s mode=%s", self.username, self.settings.mode)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.bot.shutdown()

    async def publish_commands(self) -> None:
        """One command list per language, so each crew sees the menu in its own."""
        languages = self.config.bot.languages
        default = self.config.bot.default_language
        for language in [*languages, ""]:
            t = self.app.catalogs.get(language or default)
            commands = [BotCommand(name, text) for name, text in self.app.router.menu_commands(t)]
            try:
                await self.bot.set_my_commands(commands, language_code=language or None)
            except TelegramError as error:
                log.warning("setMyCommands failed language=%s error=%s", language or "default",
                            error.message)

    # Incoming side.

    def to_incoming(self, update: Update) -> Incoming | None:
        """The update as an `Incoming`, or None when it is not for us (group chatter...)."""
        query = update.callback_query
        if query is not None:
            message = query.message
            if message is None or not query.data:
                return None
            chat = message.chat
            if chat.id == self.config.staff.telegram_chat_id:
                return None
            return Incoming(
                channel=CHANNEL, chat_id=str(chat.id), user_id=str(query.from_user.id),
                action=query.data, display_name=query.from_user.full_name,
                language_hint=query.from_user.language_code or "",
                update_id=str(update.update_id), is_group=chat.type != ChatType.PRIVATE,
                message_ref=str(message.message_id))
        message = update.message
        if message is None or message.from_user is None:
            return None
        chat = message.chat
        if chat.id == self.config.staff.telegram_chat_id:
            return None  # the staff desk chat belongs to the staff desk
        text = message.text or message.caption or ""
        location = None
        if message.location is not None:
            location = Location(message.location.latitude, message.location.longitude)
        group = chat.type != ChatType.PRIVATE
        if group:
            addressed = self._addressed_text(update, text)
            if addressed is None:
                return None
            text = addressed
        action = ""
        if not text and location is None:
            media = next((kind for kind in MEDIA if getattr(message, kind, None)), "")
            if group or not media:
                return None
            action = f"media:{media}"  # answered with a line saying the bot reads text
        user = message.from_user
        return Incoming(
            channel=CHANNEL, chat_id=str(chat.id), user_id=str(user.id), text=text,
            action=action, display_name=user.full_name, location=location,
            language_hint=user.language_code or "", update_id=str(update.update_id),
            is_group=group)

    def _addressed_text(self, update: Update, text: str) -> str | None:
        """In groups the bot hears commands, mentions and replies to itself, nothing else."""
        message = update.message
        assert message is not None
        mention = f"@{self.username}"
        if text.startswith("/"):
            head = text.split(maxsplit=1)[0]
            if "@" in head and head.split("@", 1)[1].lower() != self.username.lower():
                return None  # a command for another bot
            return text
        # parse_entities slices by UTF-16 offsets, as Telegram counts them (emoji!).
        mentioned = any(value.lower() == mention.lower() for value in
                        message.parse_entities([MessageEntityType.MENTION]).values())
        replied = (message.reply_to_message is not None
                   and message.reply_to_message.from_user is not None
                   and message.reply_to_message.from_user.id == self.bot_id)
        if not (mentioned or replied):
            return None
        if mentioned:
            start = text.lower().find(mention.lower())
            text = (text[:start] + text[start + len(mention):]).strip(" ,:")
        return text

    async def process(self, update: Update, background: bool = False) -> None:
        """Handle one update; a chat's updates are handled one at a time, in order."""
        if update.callback_query is not None:
            try:  # stop the button's spinner at once, whatever happens next
                await self.bot.answer_callback_query(update.callback_query.id)
            except TelegramError as error:
                log.info("answerCallbackQuery failed error=%s", error.message)
        incoming = self.to_incoming(update)
        if incoming is None:
            return
        # A few chats at a time: a burst of a hundred updates then gets its first answers
        # out early instead of all answers late, and the database sees fewer writers.
        async with self._locks[incoming.chat_id], self._working:
            await self.app.handle(incoming, background)

    async def _poll(self) -> None:
        """getUpdates forever; a batch is confirmed only once all of it is handled."""
        backoff = 1.0
        failures = 0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=self._offset or None, timeout=self.settings.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES)
                backoff = 1.0
                self.healthy, self.problem = True, ""
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                self.healthy, self.problem = False, "token rejected by Telegram"
                log.error("telegram token rejected; check [telegram] token")
                return
            except (Conflict, NetworkError, TelegramError) as error:
                self.healthy, self.problem = False, f"getUpdates failed: {error.message}"
                log.warning("getUpdates failed error=%s retry_in=%.0fs", error.message, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            if not updates:
                continue
            handled = await asyncio.gather(*(self._safely(update) for update in updates))
            if all(handled) or failures >= MAX_BATCH_FAILURES:
                if not all(handled):
                    log.error("updates given up after %s tries update_ids=%s", failures,
                              [u.update_id for u, ok in zip(updates, handled, strict=True)
                               if not ok])
                self._offset = updates[-1].update_id + 1
                failures = 0
                continue
            # Storage trouble: leave the batch unconfirmed and fetch it again (what was
            # handled is recognised as a duplicate), after a pause.
            failures += 1
            await asyncio.sleep(min(2.0 ** failures, 60.0))

    async def _safely(self, update: Update) -> bool:
        try:
            await self.process(update)
        except Exception:
            # The router already apologises for handler errors; this is storage or worse.
            log.exception("update failed update_id=%s", update.update_id)
            return False
        return True

    async def webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST: secret checked before anything is read into the database."""
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        expected = self.settings.webhook_secret
        if expected and not hmac.compare_digest(secret.encode(), expected.encode()):
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.bot)
        except Exception:  # whatever the shape, a body we cannot read is the sender's fault
            return web.json_response({"ok": False, "error": "malformed update"}, status=400)
        await self.process(update, background=True)  # 200 once stored, sending goes on
        return web.json_response({"ok": True})
