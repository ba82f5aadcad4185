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
from collections import OrderedDict, defaultdict
from dataclasses import replace
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from aiolimiter import AsyncLimiter
from sqlalchemy import select, update
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MaybeInaccessibleMessage,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.base import (
    TOPIC_PREFIX,
    Media,
    RetryLater,
    TooLarge,
    Undeliverable,
    Unreachable,
)
from bot.config import Config
from bot.formatting import to_html
from bot.messages import Attachment, Incoming, Location, Reply
from bot.services import failed_updates
from bot.storage import Database
from bot.storage.errors import is_transient
from bot.storage.models import DeskTopic

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("crewbot.telegram")
# python-telegram-bot logs every answer that is not JSON (the 502 page of Telegram's
# front end) at ERROR with a traceback, then raises it as a NetworkError, which the
# outbox handles and logs in one line: its own line would drown the real errors.
logging.getLogger("telegram.request").setLevel(logging.CRITICAL)


class _HandledRateLimit(logging.Filter):
    """AIORateLimiter logs a 429 it stops waiting out at ERROR with a traceback, then
    raises it; the outbox retries it and logs that in one line. Keep its line, as a
    WARNING without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_HandledRateLimit())

# python-telegram-bot 22 reports durations (retry_after) as timedeltas when asked to, and
# warns on every 429 otherwise; we handle both, so opt in and keep the log quiet.
os.environ.setdefault("PTB_TIMEDELTA", "1")

CHANNEL = "telegram"
TEXT_LIMIT = 4096
# Telegram's bulk limit is about 30 messages a second to different chats; a little under
# it, evenly spaced, is what a broadcast can keep up without being told to wait.
SENDS_PER_SECOND = 29.0
# Messages that may go to one private chat at once before the one-a-second pace.
PER_CHAT_BURST = 3
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# getFile: "bots can download files of up to 20 MB in size" (Bot API); larger ones are
# refused with "file is too big".
DOWNLOAD_LIMIT = 20 * 1024 * 1024
# Edits are for the staff desk (a staff edit edits the crew's copy); crews' edits stay
# unanswered, as the README's table says.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# Storage outages are retried for as long as they last; this caps the pause between
# tries, so that service resumes within seconds of the database's return.
MAX_STORAGE_BACKOFF = 8.0
MAX_POLL_BACKOFF = 60.0
# Things a person can send that carry no text: answered with one line saying the bot
# reads text (private chats only; in groups they are nobody's business but the group's).
MEDIA = ("sticker", "photo", "voice", "video", "video_note", "audio", "document", "animation",
         "dice", "poll", "game", "story", "paid_media")
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


class ForumTopics:
    """Named places in a group (`topic:<key>` threads), made forum topics on first use.

    The staff desk gives each escalation its own topic. The database remembers the
    topic's id; a group that is not a forum gets plain messages instead, and a topic
    that staff deleted is created again the next time something is sent to it.
    """

    def __init__(self, db: Database, bot: ExtBot[Any]) -> None:
        self.db = db
        self.bot = bot

    async def thread_for(self, chat_id: int, key: str) -> int | None:
        async with self.db.session() as session:
            topic = await session.scalar(select(DeskTopic).where(DeskTopic.key == key))
            if topic is None:
                return None
            if topic.thread_id:
                return int(topic.thread_id)
            title = topic.title
        try:
            created = await self.bot.create_forum_topic(chat_id, title)
        except BadRequest as error:  # not a forum, or no right to manage topics
            log.info("no forum topic, plain message chat=%s reason=%s", chat_id, error.message)
            return None
        async with self.db.session() as session:
            await session.execute(update(DeskTopic).where(DeskTopic.key == key,
                                                          DeskTopic.thread_id.is_(None))
                                  .values(thread_id=str(created.message_thread_id)))
            stored = await session.scalar(select(DeskTopic.thread_id)
                                          .where(DeskTopic.key == key))
        return int(stored) if stored else created.message_thread_id

    async def forget(self, key: str) -> None:
        async with self.db.session() as session:
            await session.execute(update(DeskTopic).where(DeskTopic.key == key)
                                  .values(thread_id=None))


class ChatPace:
    """About one message a second in one private chat, after a short burst.

    Telegram asks bots not to send more than one message a second to a chat, while
    tolerating short bursts: an answer in two or three parts goes at once, a run of
    reminders to one member is spread out. (python-telegram-bot's limiter paces groups
    and the bot overall, not private chats.) The least recently used chats are forgotten
    beyond `keep`, so a broadcast to thousands does not keep thousands of limiters.
    """

    def __init__(self, burst: int = PER_CHAT_BURST, keep: int = 4096) -> None:
        self.burst = burst
        self.keep = keep
        self._limiters: OrderedDict[int, AsyncLimiter] = OrderedDict()

    def __call__(self, chat_id: int) -> AsyncLimiter:
        limiter = self._limiters.pop(chat_id, None) or AsyncLimiter(self.burst, self.burst)
        self._limiters[chat_id] = limiter
        while len(self._limiters) > self.keep:
            self._limiters.popitem(last=False)
        return limiter


class TelegramSender:
    """Sends one outbox row; maps Telegram's errors onto the outbox's three outcomes."""

    name = CHANNEL
    text_limit = TEXT_LIMIT
    edits = True

    def __init__(self, bot: ExtBot[Any], topics: ForumTopics | None = None) -> None:
        self.bot = bot
        self.topics = topics
        self.pace = ChatPace()

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        if int(chat_id) > 0:  # a person; groups are paced by the library's group limiter
            async with self.pace(int(chat_id)):
                return await self._send_mapped(chat_id, reply, edit_ref, thread)
        return await self._send_mapped(chat_id, reply, edit_ref, thread)

    async def _send_mapped(self, chat_id: str, reply: Reply, edit_ref: str, thread: str
                           ) -> str:
        try:
            if thread.startswith(TOPIC_PREFIX) and self.topics is not None:
                return await self._send_to_topic(int(chat_id), reply, thread[len(TOPIC_PREFIX):])
            return await self._send(int(chat_id), reply, edit_ref, int(thread) if thread else None)
        except RetryAfter as error:
            raise RetryLater("rate limited", _seconds(error.retry_after)) from error
        except Forbidden as error:
            raise Unreachable(error.message) from error
        except BadRequest as error:
            if any(marker in error.message.lower() for marker in _GONE):
                raise Unreachable(error.message) from error
            raise Undeliverable(error.message) from error
        except TelegramError as error:  # network, timeouts and 5xx included
            raise RetryLater(_short(error)) from error

    async def _send_attachment(self, chat_id: int, attachment: Attachment, text: str,
                               markup: InlineKeyboardMarkup | None, thread: int | None,
                               quote: ReplyParameters | None) -> str:
        """A photo or file by its Telegram file id or URL; a caption over Telegram's 1,024
        characters follows as a message of its own."""
        caption = text if len(text) <= CAPTION_LIMIT else None
        if attachment.kind == "photo":
            sent = await self.bot.send_photo(chat_id, attachment.ref, caption=caption,
                                             parse_mode=ParseMode.HTML, reply_markup=markup,
                                             message_thread_id=thread, reply_parameters=quote)
        else:
            sent = await self.bot.send_document(chat_id, attachment.ref, caption=caption,
                                                parse_mode=ParseMode.HTML, reply_markup=markup,
                                                message_thread_id=thread,
                                                reply_parameters=quote)
        if caption is None and text:
            sent = await self.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                               message_thread_id=thread)
        return str(sent.message_id)

    async def _send_to_topic(self, chat_id: int, reply: Reply, key: str) -> str:
        """Into the named topic, creating it first if need be (or again if deleted)."""
        assert self.topics is not None
        thread = await self.topics.thread_for(chat_id, key)
        try:
            return await self._send(chat_id, reply, "", thread)
        except BadRequest as error:
            if thread is None or "thread not found" not in error.message.lower():
                raise
            await self.topics.forget(key)  # staff deleted the topic: make it anew
            return await self._send(chat_id, reply, "",
                                    await self.topics.thread_for(chat_id, key))

    async def _send(self, chat_id: int, reply: Reply, edit_ref: str, thread: int | None
                    ) -> str:
        if reply.location is not None:
            pin = await self.bot.send_location(chat_id, reply.location.latitude,
                                               reply.location.longitude,
                                               message_thread_id=thread)
            return str(pin.message_id)
        markup = keyboard(reply)
        text = to_html(reply.text)
        quote = _quote(reply)
        if reply.attachment is not None:
            return await self._send_attachment(chat_id, reply.attachment, text, markup, thread,
                                               quote)
        if reply.image_url:
            photo = await self.bot.send_photo(chat_id, reply.image_url,
                                              caption=text[:CAPTION_LIMIT],
                                              parse_mode=ParseMode.HTML, reply_markup=markup,
                                              message_thread_id=thread)
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
                                              link_preview_options=no_preview,
                                              message_thread_id=thread,
                                              reply_parameters=quote)
        return str(message.message_id)


class TelegramMedia:
    """The bytes behind a Telegram file id, for a platform that cannot use the id.

    A staff member's photo or document in the desk reaches a Telegram crew by its file
    id; a Zalo crew needs the file itself, which only this bot can fetch (the download
    link carries its token). getFile says the size, so a file over `max_bytes` (or
    Telegram's 20 MB for bots) is refused before anything is downloaded; what is
    downloaded stays in memory for the one upload and is not kept.
    """

    name = CHANNEL

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def fetch(self, attachment: Attachment, max_bytes: int) -> Media:
        limit = min(max_bytes, DOWNLOAD_LIMIT)
        try:
            found = await self.bot.get_file(attachment.ref)
            if found.file_size is not None and found.file_size > limit:
                raise TooLarge(f"the file is {found.file_size} bytes", found.file_size, limit)
            data = bytes(await found.download_as_bytearray())
        except RetryAfter as error:
            raise RetryLater("rate limited", _seconds(error.retry_after)) from error
        except BadRequest as error:
            if "too big" in error.message.lower():
                raise TooLarge("over Telegram's 20 MB download limit", None,
                               limit) from error
            raise Undeliverable(f"Telegram will not hand the file over: {error.message}"
                                ) from error
        except TelegramError as error:
            # Network trouble, a 5xx, a download link that expired (404, which
            # python-telegram-bot calls InvalidToken): the next try asks getFile anew.
            raise RetryLater(self._redacted(_short(error))) from error
        if len(data) > limit:  # getFile did not say, or said less than it was
            raise TooLarge(f"the file is {len(data)} bytes", len(data), limit)
        name = attachment.name or PurePosixPath(urlsplit(found.file_path or "").path).name
        return Media(data, name)

    def _redacted(self, text: str) -> str:
        """The download URL holds the bot's token; no error text may carry it."""
        return text.replace(self.bot.token, "<redacted>") if self.bot.token else text


class PollingBot(ExtBot[Any]):
    """The Bot API client, plus getUpdates that returns the batch unparsed.

    python-telegram-bot parses a whole batch at once, so one update it cannot read
    (a field shaped as it does not expect) fails every update in it, again at every
    fetch, and polling never moves on. Fetched raw, each update is parsed on its own and
    a bad one is set aside.
    """

    async def get_raw_updates(self, offset: int | None, poll_seconds: int,
                              allowed_updates: list[str]) -> list[dict[str, Any]]:
        data: dict[str, Any] = {"timeout": poll_seconds, "allowed_updates": allowed_updates}
        if offset:
            data["offset"] = offset
        read_timeout = (self._request[0].read_timeout or 0) + poll_seconds
        result = await self._post("getUpdates", data, read_timeout=read_timeout)
        if not isinstance(result, list):
            raise NetworkError(f"getUpdates answered {type(result).__name__}, not a list")
        return [item for item in result if isinstance(item, dict)]


def file_base_url(api_base_url: str) -> str:
    """Where files are downloaded: `https://api.telegram.org/file/bot<token>/<file_path>`
    beside `https://api.telegram.org/bot<token>/<method>`, on the same server (Telegram's,
    a self-hosted Bot API server's, or a test fake's)."""
    base = api_base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[:-len("/bot")] + "/file/bot"
    return base + "/file/bot"


def build_bot(config: Config) -> PollingBot:
    """The Bot API client: rate-limited, waiting out short 429s itself, on `api_base_url`."""
    settings = config.telegram
    # One send every 1/SENDS_PER_SECOND s rather than 30 in any second: aiolimiter's
    # bucket would let 30 go at once and then 30 a second, which a burst after a quiet
    # spell turns into 31 in one second and a 429 that stalls every send for a second.
    limiter = AIORateLimiter(overall_max_rate=1, overall_time_period=1 / SENDS_PER_SECOND,
                             group_max_rate=20, group_time_period=60, max_retries=2)
    poll_timeout = settings.poll_timeout + 10
    return PollingBot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=file_base_url(settings.api_base_url),
        request=HTTPXRequest(connection_pool_size=16, read_timeout=15, connect_timeout=10),
        get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=poll_timeout,
                                         connect_timeout=10),
        rate_limiter=limiter,
    )


class UpdateFailed(Exception):
    """An update failed for a reason of its own: record it, confirm it, go on."""


class TelegramChannel:
    def __init__(self, app: App, config: Config) -> None:
        self.app = app
        self.config = config
        self.settings = config.telegram
        self.bot = build_bot(config)
        self.sender = TelegramSender(self.bot, ForumTopics(app.db, self.bot))
        self.media = TelegramMedia(self.bot)
        self.username = ""
        self.bot_id = 0
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._working = asyncio.Semaphore(8)
        self._poller: asyncio.Task[None] | None = None
        self._offset = 0
        self._problems: dict[str, str] = {"start": "not started"}
        self._stopping = asyncio.Event()
        # True while the poller waits (on Telegram or a pause) with no update in hand:
        # only then may a stop cancel it outright.
        self._idle = True

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.settings.webhook_url).path or "/telegram/webhook"

    def add_routes(self, server: WebServer) -> None:
        if self.settings.mode == "webhook":
            server.app.router.add_post(self.webhook_path, self.webhook)
        server.add_health(CHANNEL, self.health)

    def health(self) -> tuple[bool, str]:
        """Unhealthy while any part has a problem: polling, the token, the database."""
        problems = "; ".join(problem for problem in self._problems.values() if problem)
        return not problems, problems

    def _problem(self, part: str, problem: str = "") -> None:
        self._problems[part] = problem

    async def start(self) -> None:
        """Connect (getMe), publish the command menu per language, then poll or hook."""
        await self.bot.initialize()
        self.app.outbox.register(self.sender)
        self.app.outbox.media.register(self.media)
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
            self._poller.add_done_callback(self._poll_ended)
        self._problem("start")
        log.info("telegram started bot=@%s mode=%s", self.username, self.settings.mode)

    def _poll_ended(self, task: asyncio.Task[None]) -> None:
        """The loop is built never to end; should it anyway, monitoring must hear of it."""
        if task.cancelled() or (self._stopping.is_set() and task.exception() is None):
            return
        error = task.exception()
        reason = f"{type(error).__name__}: {error}" if error else "returned"
        log.error("telegram polling stopped reason=%s", reason)
        self._problem("polling", f"polling stopped ({reason})")

    async def stop(self) -> None:
        """Take no more updates; finish the batch in hand (the runner bounds the wait)."""
        self._stopping.set()
        try:
            if self._poller is not None:
                if self._idle:
                    self._poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._poller
        finally:
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
        """The update as an `Incoming`, or None when it is not for us.

        What each kind of update gets is a product decision, written down in the README's
        table: text, captions, media, places and contacts in a private chat are answered;
        in a group only what addresses the bot; edits, reactions, membership changes and
        service messages are left alone.
        """
        query = update.callback_query
        if query is not None:
            message = query.message
            if message is None or not query.data:
                return None
            chat = message.chat
            # A button pressed in the staff desk is a desk action (a coordinator's
            # Confirm under a reminder's read-back); the router decides who may press it.
            return Incoming(
                channel=CHANNEL, chat_id=str(chat.id), user_id=str(query.from_user.id),
                action=query.data, display_name=query.from_user.full_name,
                language_hint=query.from_user.language_code or "",
                update_id=str(update.update_id), is_group=chat.type != ChatType.PRIVATE,
                message_ref=str(message.message_id), thread_id=_topic(message),
                is_desk=chat.id == self.config.staff.telegram_chat_id)
        if update.edited_message is not None:
            edited = update.edited_message
            if edited.chat.id != self.config.staff.telegram_chat_id:
                return None
            incoming = self._desk_incoming(update, edited, edited.text or edited.caption or "")
            return replace(incoming, edited=True) if incoming is not None else None
        message = update.message
        if message is None or message.from_user is None:
            return None
        chat = message.chat
        text = message.text or message.caption or ""
        if chat.id == self.config.staff.telegram_chat_id:
            return self._desk_incoming(update, message, text)
        group = chat.type != ChatType.PRIVATE
        if group:
            addressed = self._addressed_text(message, text)
            if addressed is None:
                return None
            text = addressed
        place = message.venue.location if message.venue is not None else message.location
        location = None
        if place is not None:
            title = message.venue.title if message.venue is not None else ""
            location = Location(place.latitude, place.longitude, title)
        action = ""
        if not text and location is None:
            if message.contact is not None:
                action = "media:contact"
            else:
                media = next((kind for kind in MEDIA if getattr(message, kind, None)), "")
                if not media:
                    return None  # a service message: someone joined, a pin, a title...
                action = f"media:{media}"  # answered with a line saying the bot reads text
        user = message.from_user
        return Incoming(
            channel=CHANNEL, chat_id=str(chat.id), user_id=str(user.id), text=text,
            action=action, display_name=user.full_name, location=location,
            language_hint=user.language_code or "", update_id=str(update.update_id),
            is_group=group, thread_id=_topic(message), attachment=_attachment(message),
            message_ref=str(message.message_id), reply_to=_replied(message))

    def _desk_incoming(self, update: Update, message: Message, text: str) -> Incoming | None:
        """In the staff desk every human's text counts (the desk handler decides what is
        relayed and what stays); other bots and service messages do not."""
        user = message.from_user
        attachment = _attachment(message)
        if user is None or user.is_bot or not (text or attachment):
            return None
        return Incoming(
            channel=CHANNEL, chat_id=str(message.chat.id), user_id=str(user.id), text=text,
            display_name=user.full_name, language_hint=user.language_code or "",
            update_id=str(update.update_id), is_group=True, thread_id=_topic(message),
            is_desk=True, attachment=attachment, message_ref=str(message.message_id),
            reply_to=_replied(message))

    def _addressed_text(self, message: Message, text: str) -> str | None:
        """In groups the bot hears commands, mentions and replies to itself, nothing else.

        A mention counts in a caption as in a text: "@bot is this place OK?" under a
        photo is a question to the bot.
        """
        mention = f"@{self.username}"
        if text.startswith("/"):
            head = text.split(maxsplit=1)[0]
            if "@" in head and head.split("@", 1)[1].lower() != self.username.lower():
                return None  # a command for another bot
            return text
        # parse_entities slices by UTF-16 offsets, as Telegram counts them (emoji!).
        entities = (message.parse_entities([MessageEntityType.MENTION]) if message.text
                    else message.parse_caption_entities([MessageEntityType.MENTION]))
        mentioned = any(value.lower() == mention.lower() for value in entities.values())
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
        """Handle one update; a chat's updates are handled one at a time, in order.

        Raises `UpdateFailed` when the update itself is at fault; a storage outage
        propagates as the database's own error, for the caller to retry.
        """
        if update.callback_query is not None:
            try:  # stop the button's spinner at once, whatever happens next
                await self.bot.answer_callback_query(update.callback_query.id)
            except TelegramError as error:
                log.info("answerCallbackQuery failed error=%s", error.message)
        try:
            incoming = self.to_incoming(update)
        except Exception as error:  # a shape python-telegram-bot parsed but we did not expect
            raise UpdateFailed(f"{type(error).__name__}: {error}") from error
        if incoming is None:
            return
        # A few chats at a time: a burst of a hundred updates then gets its first answers
        # out early instead of all answers late, and the database sees fewer writers.
        async with self._locks[incoming.chat_id], self._working:
            try:
                await self.app.handle(incoming, background)
            except Exception as error:
                if is_transient(error):
                    raise
                raise UpdateFailed(f"{type(error).__name__}: {error}") from error

    def parse(self, raw: dict[str, Any]) -> Update:
        """One update, or `UpdateFailed` when python-telegram-bot cannot read it."""
        try:
            update = Update.de_json(raw, self.bot)
        except Exception as error:
            raise UpdateFailed(f"unparseable: {type(error).__name__}: {error}") from error
        if update is None:
            raise UpdateFailed("unparseable: empty update")
        return update

    async def handle_raw(self, raw: dict[str, Any], background: bool = False) -> bool:
        """Parse and handle one update; False only while storage is down (retry it).

        An update at fault (it cannot be parsed, or something below raised for a reason
        of its own) is recorded in `failed_updates` and counts as done: it is confirmed
        to Telegram, which would otherwise deliver it again forever, on polling and
        webhook alike.
        """
        try:
            await self.process(self.parse(raw), background)
        except Exception as error:
            if not isinstance(error, UpdateFailed) and not is_transient(error):
                log.exception("update crashed update_id=%s", raw.get("update_id"))
            return await failed_updates.set_aside(
                self.app.db, self.app.outage, CHANNEL, str(raw.get("update_id", "")), error,
                json.dumps(raw, ensure_ascii=False))
        self.app.outage.recovered()
        return True

    async def _poll(self) -> None:
        """getUpdates forever; an update is confirmed only once it is stored and handled.

        Confirming is the next call's offset, which confirms every update below it, so
        the offset moves past the longest run of finished updates at the batch's head.
        What waits behind a storage outage is fetched again (what was handled is then
        recognised as a duplicate) for as long as the outage lasts.
        """
        backoff = 1.0
        storage_failures = 0
        while not self._stopping.is_set():
            self._idle = True
            try:
                raws = await self.bot.get_raw_updates(
                    self._offset or None, self.settings.poll_timeout, ALLOWED_UPDATES)
                backoff = 1.0
                self._problem("polling")
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                self._problem("polling", "token rejected by Telegram")
                log.error("telegram token rejected; check [telegram] token retry_in=%.0fs",
                          MAX_POLL_BACKOFF)
                await asyncio.sleep(MAX_POLL_BACKOFF)
                continue
            except Exception as error:  # network, 5xx, 409 Conflict, anything at all
                reason = _short(error) if isinstance(error, TelegramError) else repr(error)
                self._problem("polling", f"getUpdates failed: {reason}")
                log.warning("getUpdates failed error=%s retry_in=%.0fs", reason, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_POLL_BACKOFF)
                continue
            if not raws:
                continue
            self._idle = False
            done = await self._handle_batch(raws)
            self._offset = _confirmable(raws, done, self._offset)
            if self._stopping.is_set():
                await self._confirm()
                return
            if all(done):
                storage_failures = 0
                continue
            storage_failures += 1
            self._idle = True
            await asyncio.sleep(min(0.5 * 2 ** storage_failures, MAX_STORAGE_BACKOFF))

    async def _handle_batch(self, raws: list[dict[str, Any]]) -> list[bool]:
        """Chats in parallel, each chat's updates in order; once one of a chat's updates
        waits for storage, the chat's later ones in the batch wait too (they come back
        with it), so a chat never sees its answers out of order."""
        waiting: set[str] = set()
        order: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

        async def one(raw: dict[str, Any]) -> bool:
            key = _chat_key(raw)
            async with order[key]:
                if key in waiting:
                    return False
                finished = await self.handle_raw(raw)
                if not finished:
                    waiting.add(key)
                return finished

        return list(await asyncio.gather(*(one(raw) for raw in raws)))

    async def _confirm(self) -> None:
        """Tell Telegram what was handled before stopping (getUpdates with the offset and
        no wait), so that a restart is not served the same batch again."""
        if not self._offset:
            return
        try:
            await self.bot.get_raw_updates(self._offset, 0, ALLOWED_UPDATES)
        except Exception as error:  # then the next start recognises them as duplicates
            log.info("final confirmation failed error=%s", type(error).__name__)

    async def webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST: secret checked before anything is read into the database.

        200 once the update is stored (sending goes on in a task), and also for an
        update that cannot be read but carries an integer `update_id`: Telegram re-sends
        anything else, forever. 503 while the database is down, so that it re-sends.
        """
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        expected = self.settings.webhook_secret
        if expected and not hmac.compare_digest(secret.encode(), expected.encode()):
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            data = json.loads(await request.read())
        except ValueError:
            data = None
        if (not isinstance(data, dict) or not isinstance(data.get("update_id"), int)
                or isinstance(data.get("update_id"), bool)):
            return web.json_response({"ok": False, "error": "malformed update"}, status=400)
        if not await self.handle_raw(data, background=True):
            return web.json_response({"ok": False, "error": "storage unavailable"},
                                     status=503)
        return web.json_response({"ok": True})


def _replied(message: Message) -> str:
    reply = message.reply_to_message
    return str(reply.message_id) if reply is not None else ""


def _quote(reply: Reply) -> ReplyParameters | None:
    """Answer the quoted message; if it is gone, send anyway rather than fail."""
    if not reply.reply_to.isdigit():
        return None
    return ReplyParameters(int(reply.reply_to), allow_sending_without_reply=True)


def _attachment(message: Message) -> Attachment | None:
    """A photo (its largest size) or a document, by file id: sendable again anywhere."""
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id, "", CHANNEL)
    if message.document is not None:
        return Attachment("document", message.document.file_id,
                          message.document.file_name or "", CHANNEL)
    return None


def _short(error: TelegramError) -> str:
    """The error's first line, without the HTML page a 502 brings along."""
    text = error.message.split(". Parsing the server response", 1)[0]
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:160]


def _topic(message: MaybeInaccessibleMessage) -> str:
    """The forum topic a message is in; replies go back into it.

    Only forum topics count: in an ordinary group `message_thread_id` names a thread of
    replies, and sending into it is refused.
    """
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return ""


def _chat_key(raw: dict[str, Any]) -> str:
    """The chat an update belongs to, read from the raw JSON (it may not parse)."""
    for field in ("message", "edited_message", "channel_post", "business_message"):
        message = raw.get(field)
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return str(message["chat"].get("id"))
    query = raw.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return str(message["chat"].get("id"))
        sender = query.get("from")
        if isinstance(sender, dict):
            return str(sender.get("id"))
    return f"update:{raw.get('update_id')}"


def _confirmable(raws: list[dict[str, Any]], done: list[bool], offset: int) -> int:
    """The offset that confirms the finished updates at the head of the batch."""
    for raw, finished in zip(raws, done, strict=True):
        update_id = raw.get("update_id")
        if not isinstance(update_id, int):
            continue
        if not finished:
            return max(offset, update_id)
        offset = max(offset, update_id + 1)
    return offset
