"""A fake Telegram Bot API server that the real python-telegram-bot talks to over HTTP.

End-to-end tests of the Telegram channel run PTB's own HTTP stack against this server, so
request encoding, error-to-exception mapping, long polling and webhooks are exercised as in
production. The fake answers the way Telegram does (same envelopes, same error texts where
they are cheap to reproduce), because the channel's retry and give-up decisions key on them.

Everything runs on the test's event loop; state changes wake waiters through a broadcast
event, so tests wait for conditions, never for time.

Files the bot may fetch are registered with `add_file`: getFile answers their size and
a `file_path`, refuses a file over 20 MB ("file is too big") as Telegram does for bots,
and `GET /file/bot<token>/<file_path>` serves the bytes (each download recorded in
`downloads`; `fail("downloadFile", ...)` makes the next download fail).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

JSONDict = dict[str, Any]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_RETRIES = 3
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: POLL_CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# What nginx in front of the Bot API answers when the backend is down: not JSON at all.
_NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_NGINX_STATUSES = {502: "Bad Gateway", 503: "Service Temporarily Unavailable",
                   504: "Gateway Time-out"}

# Parameters that are plain strings on the wire; anything else PTB sends JSON-encoded.
_STRING_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url",
    "secret_token", "ip_address", "title", "address", "name", "description",
    "short_description", "language_code", "action", "foursquare_id", "foursquare_type",
    "google_place_id", "google_place_type", "photo", "document", "emoji",
    "icon_custom_emoji_id", "business_connection_id", "message_effect_id", "query",
    "switch_pm_text", "question", "explanation", "sticker",
})
_JSONISH_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile: bots download files of up to 20 MB

_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
_SEND_PREFIXES = ("send", "edit", "copy", "forward")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_AUTO_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_AUTO_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}\b")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _now() -> int:
    return int(time.time())


class ApiError(Exception):
    """An error answer, raised anywhere in request handling and turned into Telegram's envelope."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None,
                 html: bool = False) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        self.html = html

    def response(self) -> web.Response:
        if self.html:
            reason = _NGINX_STATUSES.get(self.status, "Bad Gateway")
            page = _NGINX_PAGE.format(status=self.status, reason=reason)
            return web.Response(status=self.status, text=page, content_type="text/html")
        body: JSONDict = {"ok": False, "error_code": self.status,
                          "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


# --- HTML parse mode, after tdlib's parser, so the bot's markup fails here as it would there.

class HtmlParseError(ValueError):
    pass


_HTML_TAGS = frozenset({"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
                        "code", "pre", "tg-spoiler", "span", "blockquote", "tg-emoji"})
_SIMPLE_ENTITY = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic",
                  "u": "underline", "ins": "underline", "s": "strikethrough",
                  "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
                  "span": "spoiler", "code": "code"}
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z]+);")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\r\n"


def _html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at `pos`; None means the '&' is a literal."""
    match = _HTML_ENTITY.match(text, pos)
    if match is None:
        return None
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name], match.end()
    return None


@dataclass
class _OpenTag:
    tag: str
    argument: str
    offset: int
    expandable: bool = False
    language: str = ""


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Text as Telegram shows it and its entities (UTF-16 offsets), or HtmlParseError
    with tdlib's wording."""
    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    n = len(text)

    def at(pos: int) -> str:
        return f"at byte offset {len(text[:pos].encode())}"

    i = 0
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _html_entity(text, i)
            piece, i = decoded if decoded else ("&", i + 1)
            out.append(piece)
            utf16 += _utf16_len(piece)
            continue
        if char != "<":
            out.append(char)
            utf16 += _utf16_len(char)
            i += 1
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise HtmlParseError(f"Unexpected end tag {at(begin)}")
            j = i + 2
            while j < n and text[j] not in _SPACE and text[j] != ">":
                j += 1
            name = text[i + 2:j].lower()
            while j < n and text[j] in _SPACE:
                j += 1
            if j >= n or text[j] != ">":
                raise HtmlParseError(f"Unclosed end tag {at(begin)}")
            opened = stack[-1]
            if name and name != opened.tag:
                raise HtmlParseError(f'Unmatched end tag {at(begin)}, expected "</{opened.tag}>"'
                                     f', found "</{name}>"')
            stack.pop()
            _close_tag(opened, utf16 - opened.offset, stack, entities)
            i = j + 1
            continue
        j = i + 1
        while j < n and text[j] not in _SPACE and text[j] != ">":
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag {at(begin)}")
        tag = text[i + 1:j].lower()
        if tag not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" {at(begin)}')
        opened = _OpenTag(tag, "", utf16)
        while True:
            while j < n and text[j] in _SPACE:
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag {at(begin)}")
            if text[j] == ">":
                break
            name_start = j
            while j < n and text[j] not in _SPACE and text[j] not in "=>":
                j += 1
            attribute = text[name_start:j].lower()
            if not attribute:
                raise HtmlParseError(f'Empty attribute name in the tag "{tag}" {at(begin)}')
            while j < n and text[j] in _SPACE:
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag {at(begin)}")
            if text[j] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    opened.expandable = True
                    continue
                raise HtmlParseError("Expected equal sign in declaration of an attribute of "
                                     f'the tag "{tag}" {at(begin)}')
            j += 1
            while j < n and text[j] in _SPACE:
                j += 1
            if j >= n:
                raise HtmlParseError(f'Unclosed start tag "{tag}" {at(begin)}')
            if text[j] in "'\"":
                quote = text[j]
                j += 1
                chars: list[str] = []
                while j < n and text[j] != quote:
                    decoded = _html_entity(text, j) if text[j] == "&" else None
                    if decoded:
                        chars.append(decoded[0])
                        j = decoded[1]
                    else:
                        chars.append(text[j])
                        j += 1
                if j < n:
                    j += 1
                value = "".join(chars)
            else:
                token_start = j
                while j < n and ((text[j].isascii() and text[j].isalnum()) or text[j] in ".-"):
                    j += 1
                value = text[token_start:j].lower()
                if j < n and text[j] not in _SPACE and text[j] != ">":
                    raise HtmlParseError(f"Unexpected end of name token {at(token_start)}")
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag {at(begin)}")
            if tag == "a" and attribute == "href":
                opened.argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                opened.argument = value[len("language-"):]
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                opened.argument = value[len("tg-"):]
            elif tag == "tg-emoji" and attribute == "emoji-id":
                opened.argument = value
            elif tag == "blockquote" and attribute == "expandable":
                opened.expandable = True
        if tag == "span" and opened.argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" {at(begin)}')
        stack.append(opened)
        i = j + 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_tag(opened: _OpenTag, length: int, stack: list[_OpenTag],
               entities: list[JSONDict]) -> None:
    tag = opened.tag
    if tag == "code" and stack and stack[-1].tag == "pre":
        stack[-1].language = stack[-1].language or opened.argument
        return  # <pre><code class="language-x"> is one pre entity, as in Telegram
    if length <= 0:
        return
    entity: JSONDict = {"offset": opened.offset, "length": length}
    if tag == "a":
        if not opened.argument:
            return
        entity.update(type="text_link", url=opened.argument)
    elif tag == "pre":
        entity["type"] = "pre"
        if opened.language:
            entity["language"] = opened.language
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if opened.expandable else "blockquote"
    elif tag == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
    else:
        entity["type"] = _SIMPLE_ENTITY[tag]
    entities.append(entity)


# --- Records.

@dataclass
class Call:
    """One request as the bot sent it; `status` stays None until it is answered."""

    method: str
    params: JSONDict
    at: float
    failed: bool = False
    status: int | None = None
    description: str = ""
    result: Any = None

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook (status 0 = no HTTP answer at all)."""

    update_id: Any
    status: int
    attempt: int
    error: str
    at: float


@dataclass
class _FailRule:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


@dataclass(eq=False)
class _Pending:
    update: JSONDict
    served: bool = False

    @property
    def update_id(self) -> int:
        value = self.update.get("update_id", 0)
        return value if isinstance(value, int) else 0


@dataclass
class _Message:
    chat_id: int
    message_id: int
    kind: str
    date: int
    text: str | None = None
    plain: str | None = None
    entities: list[JSONDict] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: JSONDict | None = None
    location: JSONDict | None = None
    venue: JSONDict | None = None
    media: list[JSONDict] | JSONDict | None = None
    thread_id: int | None = None
    reply_to: JSONDict | None = None
    link_preview_options: JSONDict | None = None
    edited: int = 0
    edit_date: int | None = None


def _decode_param(key: str, value: Any) -> Any:
    """PTB form-encodes non-string values as JSON text; give tests the objects back."""
    if not isinstance(value, str) or key in _STRING_FIELDS:
        return value
    stripped = value.strip()
    if (stripped[:1] in ("{", "[") or stripped in ("true", "false", "null")
            or _JSONISH_NUMBER.fullmatch(stripped)):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    return value


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class FakeTelegram:
    """The Bot API for one bot token, on 127.0.0.1, with injectable updates and failures."""

    def __init__(self, token: str = "123456:TEST", bot_username: str = "crewbot_test_bot"
                 ) -> None:
        self.token = token
        self.bot_username = bot_username
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456
        self.bot_first_name = "Crewbot Test"
        self.base_url = ""
        # When True, sends to chats never seen in an update answer "chat not found".
        self.strict_chats = False
        # Pause between webhook retries; tests may set 0.
        self.webhook_retry_delay = 0.05

        self.calls: list[Call] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_dropped: list[JSONDict] = []
        self.deleted: list[dict[str, Any]] = []
        self.uploads: list[tuple[str, bytes]] = []
        self.downloads: list[str] = []  # file_id of each file served
        self._files: dict[str, JSONDict] = {}
        self._file_paths: dict[str, str] = {}
        self.callback_answers: dict[str, JSONDict] = {}
        self.descriptions: dict[tuple[str, str], str] = {}
        self.internal_errors: list[Exception] = []

        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._pending: list[_Pending] = []
        self._messages: dict[tuple[int, int], _Message] = {}
        self._incoming: dict[tuple[int, int], JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._chats: dict[int, JSONDict] = {}
        self._callback_ids: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._topics: dict[tuple[int, int], JSONDict] = {}
        self._forums: set[int] = set()  # chats where topics were created
        self._fail_rules: list[_FailRule] = []
        self._blocked: set[int] = set()
        self._delays: dict[str, float] = {}
        # Telegram's flood control, when asked for: sends beyond `_rate` in any second
        # answer 429 with retry_after, as the real server does to a bot that bursts.
        self._rate: float = 0.0
        self._accepted: collections.deque[float] = collections.deque()
        self.too_fast = 0
        self._webhook_url = ""
        self._webhook_secret: str | None = None
        self._webhook_info: JSONDict = {}
        self._webhook_error: tuple[int, str] | None = None
        self._poll_generation = 0
        self._closing = False
        self._event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None

        self._handlers: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
            "sendPhoto": lambda p: self._send_media(p, "photo"),
            "sendDocument": lambda p: self._send_media(p, "document"),
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": lambda p: self._set_description(p, "description"),
            "getMyDescription": lambda p: self._get_description(p, "description"),
            "setMyShortDescription": lambda p: self._set_description(p, "short_description"),
            "getMyShortDescription": lambda p: self._get_description(p, "short_description"),
            "setMyName": lambda p: self._set_description(p, "name"),
            "getMyName": lambda p: self._get_description(p, "name"),
            "setChatMenuButton": lambda p: True,
            "getChatMenuButton": lambda p: {"type": "commands"},
            "createForumTopic": self._create_forum_topic,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }
        self._canonical = {name.lower(): name for name in self._handlers}

    # --- Lifecycle.

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a long poll whose client went away must not swallow updates.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=2.0,
                                     access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self._session = ClientSession(timeout=ClientTimeout(total=30))
        self._closing = False
        self._worker = asyncio.create_task(self._webhook_loop(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        self._closing = True
        self._changed()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- Waking waiters.

    def _changed(self) -> None:
        """Wake everything waiting on state (long polls, the webhook worker, wait_for)."""
        self._event.set()
        self._event = asyncio.Event()

    async def _wait_changed(self, within: float | None) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), within)

    async def wait_for(self, predicate: Callable[[FakeTelegram], bool],
                       timeout: float = 15.0) -> None:  # noqa: ASYNC109 (interface)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"condition not met within {timeout}s; {len(self._messages)} messages "
                    f"held, {len(self._pending)} updates pending, webhook "
                    f"{self._webhook_url or 'unset'}; recent calls:\n{self.summary()}")
            await self._wait_changed(remaining)

    async def wait_for_calls(self, method: str, count: int,
                             timeout: float = 15.0) -> list[Call]:  # noqa: ASYNC109
        """Waits for `count` *answered* calls, so their effects are visible when it returns."""
        def answered(fake: FakeTelegram) -> list[Call]:
            return [c for c in fake.calls_to(method) if c.answered]

        await self.wait_for(lambda fake: len(answered(fake)) >= count, timeout)
        return answered(self)

    def summary(self, last: int = 25) -> str:
        lines = []
        for call in self.calls[-last:]:
            params = {k: v for k, v in call.params.items() if k != "reply_markup"}
            text = json.dumps(params, ensure_ascii=False, default=str)
            state = "pending" if call.status is None else str(call.status)
            extra = f" {call.description}" if call.failed else ""
            lines.append(f"  {call.method} [{state}]{extra} {text[:160]}")
        return "\n".join(lines) or "  (no calls)"

    # --- Recording.

    def calls_to(self, method: str) -> list[Call]:
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [self._view(m) for m in self._messages.values()
                if chat_id is None or m.chat_id == chat_id]

    def delivered(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return self.sent(chat_id)

    def commands(self, language_code: str = "", scope: str = "default") -> list[dict[str, Any]]:
        return [dict(c) for c in self._commands.get((scope, language_code), [])]

    def pending_updates(self) -> list[JSONDict]:
        return [p.update for p in self._pending]

    @property
    def webhook_url(self) -> str:
        return self._webhook_url

    def _view(self, m: _Message) -> dict[str, Any]:
        return {
            "chat_id": m.chat_id, "message_id": m.message_id, "kind": m.kind,
            "text": m.text, "plain_text": m.plain, "entities": m.entities,
            "parse_mode": m.parse_mode, "reply_markup": m.reply_markup,
            "location": m.location, "venue": m.venue, "media": m.media,
            "message_thread_id": m.thread_id,
            "reply_to_message_id": m.reply_to["message_id"] if m.reply_to else None,
            "link_preview_options": m.link_preview_options, "date": m.date,
            "edited": m.edited,
        }

    # --- Failure injection.

    def fail(self, method: str, *, status: int, description: str = "",
             retry_after: int | None = None, times: int = 1, chat_id: int | None = None
             ) -> None:
        """`method` "*" matches every method. 502/503/504 without a description answer
        nginx's HTML page, as Telegram's front does when the backend is away."""
        self._fail_rules.append(_FailRule(method.lower(), status, description, retry_after,
                                          times, chat_id))

    def block(self, chat_id: int) -> None:
        """Sends, edits and deletes in the chat answer 403 until unblock(), like a user who
        blocked the bot (for a group, fail(..., description="Forbidden: bot was kicked...")
        words it as Telegram would)."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def delay(self, method: str, seconds: float) -> None:
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def limit_rate(self, per_second: float) -> None:
        """Answer 429 (retry_after 1) to a send that would make more than `per_second`
        sends accepted within one second; 0 turns it off. `too_fast` counts the 429s."""
        self._rate = per_second
        self._accepted.clear()

    def _flood(self, method: str) -> ApiError | None:
        if not self._rate or not method.lower().startswith(_SEND_PREFIXES):
            return None
        now = time.monotonic()
        while self._accepted and self._accepted[0] <= now - 1.0:
            self._accepted.popleft()
        if len(self._accepted) >= self._rate:
            self.too_fast += 1
            return ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._accepted.append(now)
        return None

    def _injected_failure(self, method: str, params: JSONDict) -> ApiError | None:
        for rule in self._fail_rules:
            if rule.times <= 0 or rule.method not in ("*", method.lower()):
                continue
            if rule.chat_id is not None and str(params.get("chat_id")) != str(rule.chat_id):
                continue
            rule.times -= 1
            self._fail_rules = [r for r in self._fail_rules if r.times > 0]
            return self._error_for(rule)
        flood = self._flood(method)
        if flood is not None:
            return flood
        if method.lower().startswith(_SEND_PREFIXES) or method == "deleteMessage":
            chat = params.get("chat_id")
            if isinstance(chat, int) and chat in self._blocked:
                return ApiError(403, "Forbidden: bot was blocked by the user")
        return None

    @staticmethod
    def _error_for(rule: _FailRule) -> ApiError:
        if rule.status == 429:
            retry = rule.retry_after if rule.retry_after is not None else 1
            description = rule.description or f"Too Many Requests: retry after {retry}"
            return ApiError(429, description, {"retry_after": retry})
        if rule.status in _NGINX_STATUSES and not rule.description:
            return ApiError(rule.status, "", html=True)
        description = rule.description or _DEFAULT_DESCRIPTIONS.get(rule.status, "Error")
        parameters = {"retry_after": rule.retry_after} if rule.retry_after else None
        return ApiError(rule.status, description, parameters)

    # --- Injecting updates.

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _bot_user(self) -> JSONDict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    def _chat(self, chat_id: int) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Crew"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _register_chat(self, chat_id: int, chat_type: str, title: str, first_name: str
                       ) -> JSONDict:
        chat: JSONDict = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = title or f"Chat {chat_id}"
        self._chats[chat_id] = chat
        return dict(chat)

    def _next_message_id(self, chat_id: int) -> int:
        value = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = value
        return value

    def _incoming_message(self, chat_id: int, user_id: int | None, first_name: str,
                          language_code: str | None, chat_type: str, title: str,
                          reply_to_bot: bool) -> JSONDict:
        user = self._user(user_id if user_id is not None else chat_id, first_name,
                          language_code)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": user,
            "chat": self._register_chat(chat_id, chat_type, title, first_name),
            "date": _now(),
        }
        if reply_to_bot:
            message["reply_to_message"] = self._reply_target(chat_id)
        return message

    def _reply_target(self, chat_id: int) -> JSONDict:
        """The bot's latest message in the chat, or a plausible one if it sent none here."""
        for m in reversed(self._messages.values()):
            if m.chat_id == chat_id:
                return self._api(m, nested=True)
        return {"message_id": max(self._last_message_id.get(chat_id, 1) - 1, 1),
                "from": self._bot_user(), "chat": self._chat(chat_id), "date": _now(),
                "text": "…"}

    def message(self, chat_id: int, text: str, *, user_id: int | None = None,
                first_name: str = "Crew", language_code: str | None = "en",
                chat_type: str = "private", title: str = "",
                entities: list[dict[str, Any]] | None = None, reply_to_bot: bool = False
                ) -> dict[str, Any]:
        msg = self._incoming_message(chat_id, user_id, first_name, language_code, chat_type,
                                     title, reply_to_bot)
        msg["text"] = text
        found = entities if entities is not None else self._auto_entities(text)
        if found:
            msg["entities"] = found
        return self._enqueue({"message": msg})

    def location(self, chat_id: int, latitude: float, longitude: float, **kw: Any
                 ) -> dict[str, Any]:
        """kw: user_id, first_name, language_code, chat_type, title, reply_to_bot; anything
        else (horizontal_accuracy, live_period...) goes into the Location object."""
        msg = self._incoming_message(
            chat_id, kw.pop("user_id", None), kw.pop("first_name", "Crew"),
            kw.pop("language_code", "en"), kw.pop("chat_type", "private"),
            kw.pop("title", ""), kw.pop("reply_to_bot", False))
        msg["location"] = {"latitude": latitude, "longitude": longitude, **kw}
        return self._enqueue({"message": msg})

    def callback(self, chat_id: int, data: str, *, message_id: int,
                 user_id: int | None = None, language_code: str | None = "en",
                 chat_type: str = "private") -> dict[str, Any]:
        if chat_id not in self._chats:
            self._register_chat(chat_id, chat_type, "", "Crew")
        stored = self._messages.get((chat_id, message_id))
        if stored is not None:
            message = self._api(stored)
        else:
            message = {"message_id": message_id, "from": self._bot_user(),
                       "chat": self._chat(chat_id), "date": _now(), "text": "…"}
        query_id = f"{self.bot_id}{next(self._query_ids):06d}"
        self._callback_ids.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id if user_id is not None else chat_id, "Crew",
                               language_code),
            "chat_instance": str(abs(chat_id) * 7919 + 17),
            "message": message,
            "data": data,
        }
        return self._enqueue({"callback_query": query})

    def inject(self, update: dict[str, Any]) -> None:
        """Queued as-is; messages and callback ids in it become known, so the bot may reply
        to, delete or answer them as it could in Telegram."""
        update_id = update.get("update_id")
        if isinstance(update_id, int):
            nxt = next(self._update_ids)
            self._update_ids = itertools.count(max(nxt, update_id + 1))
        for key in ("message", "edited_message", "channel_post"):
            if isinstance(update.get(key), dict):
                self._remember_incoming(update[key])
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._callback_ids.add(str(query["id"]))
        self._pending.append(_Pending(update))
        self._changed()

    def _enqueue(self, body: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), **body}
        self.inject(update)
        return update

    def _remember_incoming(self, message: JSONDict) -> None:
        chat = message.get("chat")
        message_id = message.get("message_id")
        if not isinstance(chat, dict) or not isinstance(message_id, int):
            return
        chat_id = chat.get("id")
        if not isinstance(chat_id, int):
            return
        self._chats.setdefault(chat_id, dict(chat))
        self._incoming[(chat_id, message_id)] = message
        if message_id > self._last_message_id.get(chat_id, 0):
            self._last_message_id[chat_id] = message_id

    def _auto_entities(self, text: str) -> list[JSONDict]:
        """What Telegram's clients mark up by themselves: commands and @mentions."""
        entities: list[JSONDict] = []
        taken: list[tuple[int, int]] = []
        for match in _AUTO_COMMAND.finditer(text):
            taken.append(match.span())
            entities.append(self._entity("bot_command", text, *match.span()))
        for match in _AUTO_MENTION.finditer(text):
            start, end = match.span()
            if any(a <= start < b for a, b in taken):
                continue
            entities.append(self._entity("mention", text, start, end))
        entities.sort(key=lambda e: e["offset"])
        return entities

    @staticmethod
    def _entity(kind: str, text: str, start: int, end: int) -> JSONDict:
        return {"type": kind, "offset": _utf16_len(text[:start]),
                "length": _utf16_len(text[start:end])}

    # --- Webhook delivery.

    async def post_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        if not self._webhook_url:
            raise RuntimeError("no webhook is set (call setWebhook first)")
        assert self._session is not None, "FakeTelegram is not started"
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self._session.post(self._webhook_url, json=update, headers=headers) as resp:
            await resp.read()
            return resp.status

    async def _webhook_loop(self) -> None:
        while not self._closing:
            url = self._webhook_url
            if not url or not self._pending:
                await self._wait_changed(None)
                continue
            entry = self._pending[0]
            done = await self._deliver(entry, url)
            if done and entry in self._pending:
                self._pending.remove(entry)
                self._changed()

    async def _deliver(self, entry: _Pending, url: str) -> bool:
        """True when the update is finished with (delivered, or given up after retries);
        False when the webhook changed under it and it stays queued."""
        for attempt in range(1, WEBHOOK_RETRIES + 2):
            if self._webhook_url != url or entry not in self._pending:
                return False
            status, error = await self._post_update(url, entry.update, self._webhook_secret)
            self.webhook_deliveries.append(
                WebhookDelivery(entry.update.get("update_id"), status, attempt, error,
                                time.monotonic()))
            if 200 <= status < 300:
                entry.served = True
                self._changed()
                return True
            self._webhook_error = (_now(), error)
            self._changed()
            if attempt <= WEBHOOK_RETRIES:
                await asyncio.sleep(self.webhook_retry_delay)
        self.webhook_dropped.append(entry.update)
        return True

    async def _post_update(self, url: str, update: JSONDict, secret: str | None
                           ) -> tuple[int, str]:
        assert self._session is not None
        headers = {SECRET_HEADER: secret} if secret else {}
        try:
            async with self._session.post(url, json=update, headers=headers) as resp:
                await resp.read()
                return resp.status, f"Wrong response from the webhook: {resp.status} " \
                                    f"{resp.reason or ''}".rstrip()
        except (ClientError, OSError, TimeoutError) as error:
            return 0, f"Connection failed: {error!r}"

    # --- HTTP.

    async def _read_params(self, request: web.Request) -> JSONDict:
        raw: JSONDict = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON encoded request parameters") from None
                if isinstance(body, dict):
                    raw.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded",
                                          "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        content = value.file.read()
                        self.uploads.append((value.filename, content))
                        raw[key] = {"file_name": value.filename,
                                    "content_type": value.content_type,
                                    "size": len(content)}
                    else:
                        raw[key] = value
        return {key: _decode_param(key, value) for key, value in raw.items()}

    async def _download(self, request: web.Request, token: str, path: str) -> web.StreamResponse:
        """`GET /file/bot<token>/<file_path>`: the bytes, as Telegram's file server."""
        call = Call("downloadFile", {"file_path": path}, time.monotonic())
        self.calls.append(call)
        failure = (ApiError(401, "Unauthorized") if token != self.token
                   else self._injected_failure("downloadFile", {}))
        file_id = self._file_paths.get(path)
        if failure is None and file_id is None:
            failure = ApiError(404, "Not Found")
        if failure is not None:
            call.failed, call.status, call.description = True, failure.status, \
                failure.description
            self._changed()
            return failure.response()
        assert file_id is not None
        self.downloads.append(file_id)
        call.status = 200
        self._changed()
        return web.Response(body=self._files[file_id]["content"],
                            content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        download = re.fullmatch(r"/file/bot([^/]+)/(.+)", request.path)
        if download is not None and request.method == "GET":
            return await self._download(request, *download.groups())
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z0-9_]+)/?", request.path)
        if match is None:
            return ApiError(404, "Not Found").response()
        token, raw_method = match.groups()
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        method = self._canonical.get(raw_method.lower(), raw_method)
        try:
            params = await self._read_params(request)
        except ApiError as error:
            return error.response()
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        self._changed()
        try:
            pause = self._delays.get(method.lower())
            if pause:
                await asyncio.sleep(pause)
            failure = self._injected_failure(method, params)
            if failure is not None:
                raise failure
            handler = self._handlers.get(method)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            call.failed, call.status, call.description = True, error.status, error.description
            self._changed()
            return error.response()
        except Exception as error:  # a bug in the fake: answer like a broken server, keep it
            self.internal_errors.append(error)
            failure = ApiError(500, f"Internal Server Error: fake failed with {error!r}")
            call.failed, call.status, call.description = True, 500, failure.description
            self._changed()
            return failure.response()
        call.status, call.result = 200, result
        self._changed()
        return web.json_response({"ok": True, "result": result})

    # --- Validation helpers.

    def _chat_id(self, params: JSONDict) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if str(chat.get("username", "")).lower() == value[1:].lower():
                    return int(chat["id"])
            raise _bad("chat not found")
        chat_id = _int(value, "chat_id")
        if self.strict_chats and chat_id not in self._chats:
            raise _bad("chat not found")
        return chat_id

    def _format(self, text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
        mode = str(parse_mode or "").lower()
        if mode == "html":
            try:
                return parse_html(text)
            except HtmlParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
        if mode in ("", "markdown", "markdownv2"):
            return text, list(entities) if isinstance(entities, list) else []
        raise _bad(f"unsupported parse_mode {parse_mode}")

    def _text(self, params: JSONDict) -> tuple[str, str, list[JSONDict]]:
        text = params.get("text")
        if text is None or not str(text).strip():
            raise _bad("message text is empty")
        text = str(text)
        plain, entities = self._format(text, params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise _bad("message text is empty")
        if len(plain) > TEXT_LIMIT:
            raise _bad("message is too long")
        return text, plain, entities

    def _caption(self, params: JSONDict) -> tuple[str | None, str | None, list[JSONDict]]:
        caption = params.get("caption")
        if caption is None or caption == "":
            return None, None, []
        caption = str(caption)
        plain, entities = self._format(caption, params.get("parse_mode"),
                                       params.get("caption_entities"))
        if len(plain) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        return caption, plain, entities

    @staticmethod
    def _markup(value: Any) -> JSONDict | None:
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = value.get("inline_keyboard")
        if rows is None:
            return value
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
        actions = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                   "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                   "copy_text", "callback_game", "pay")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad("can't parse inline keyboard button: Field \"text\" must be "
                               "of type String")
                if not any(k in button for k in actions):
                    raise _bad("can't parse inline keyboard button: Text buttons are "
                               "unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                    raise _bad("BUTTON_DATA_INVALID")
        return value

    def _find_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        stored = self._messages.get((chat_id, message_id))
        if stored is not None:
            return self._api(stored, nested=True)
        return self._incoming.get((chat_id, message_id))

    def _reply_to(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            target_chat = reply.get("chat_id", chat_id)
        elif params.get("reply_to_message_id") is not None:
            target_id = params.get("reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
            target_chat = chat_id
        else:
            return None
        found = self._find_message(_int(target_chat, "chat_id"),
                                   _int(target_id, "message_id"))
        if found is None and not allow:
            raise _bad("message to be replied not found")
        return found

    def _store(self, chat_id: int, kind: str, params: JSONDict, **fields: Any) -> JSONDict:
        """Validates the common parameters first, so a refused send uses no message id."""
        thread = params.get("message_thread_id")
        markup = self._markup(params.get("reply_markup"))
        thread_id = _int(thread, "message_thread_id") if thread is not None else None
        if (thread_id is not None and chat_id in self._forums
                and (chat_id, thread_id) not in self._topics):
            raise _bad("message thread not found")  # as Telegram says for a deleted topic
        reply_to = self._reply_to(chat_id, params)
        message = _Message(
            chat_id=chat_id, message_id=self._next_message_id(chat_id), kind=kind,
            date=_now(), parse_mode=params.get("parse_mode"), reply_markup=markup,
            thread_id=thread_id, reply_to=reply_to, **fields)
        self._messages[(chat_id, message.message_id)] = message
        return self._api(message)

    def _api(self, m: _Message, nested: bool = False) -> JSONDict:
        """The Message object as Telegram returns it for a message the bot sent."""
        out: JSONDict = {"message_id": m.message_id, "from": self._bot_user(),
                         "chat": self._chat(m.chat_id), "date": m.date}
        if m.thread_id is not None:
            out["message_thread_id"] = m.thread_id
            out["is_topic_message"] = True
        if m.reply_to is not None and not nested:
            out["reply_to_message"] = m.reply_to
        if m.edit_date is not None:
            out["edit_date"] = m.edit_date
        if m.kind == "text":
            out["text"] = m.plain
            if m.entities:
                out["entities"] = m.entities
            if m.link_preview_options:
                out["link_preview_options"] = m.link_preview_options
        elif m.kind in ("photo", "document"):
            out[m.kind] = m.media
            if m.plain:
                out["caption"] = m.plain
                if m.entities:
                    out["caption_entities"] = m.entities
        elif m.kind == "venue":
            out["venue"] = m.venue
            out["location"] = m.location
        elif m.kind == "location":
            out["location"] = m.location
        if m.reply_markup and "inline_keyboard" in m.reply_markup:
            out["reply_markup"] = m.reply_markup  # only inline keyboards are echoed back
        return out

    def _editable(self, params: JSONDict) -> _Message:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        if params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        key = (chat_id, _int(params.get("message_id"), "message_id"))
        stored = self._messages.get(key)
        if stored is None:
            if key in self._incoming:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return stored

    @staticmethod
    def _inline(markup: JSONDict | None) -> JSONDict | None:
        return markup if markup and "inline_keyboard" in markup else None

    # --- Methods.

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {**self._bot_user(), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self._webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _int(params.get("offset") or 0, "offset")
        limit = min(max(_int(params.get("limit") or 100, "limit"), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed()  # an older long poll still waiting is now terminated
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if self._webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)
            batch = self._pending[:limit]
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                break
            await self._wait_changed(remaining)
        for entry in batch:
            entry.served = True
        return [entry.update for entry in batch]

    def _confirm(self, offset: int) -> None:
        """Forget confirmed updates. An update never served yet is kept whatever its id, so
        a re-injected duplicate reaches the bot as Telegram's redelivery would."""
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [p for p in self._pending
                             if not (p.served and p.update_id < offset)]

    def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook_url = url
        self._webhook_secret = str(secret) if url and secret else None
        self._webhook_info = {k: params[k] for k in ("max_connections", "allowed_updates",
                                                     "ip_address") if k in params}
        self._changed()  # a waiting long poll wakes up and ends with a conflict
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook_url = ""
        self._webhook_secret = None
        self._webhook_info = {}
        self._changed()
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {"url": self._webhook_url, "has_custom_certificate": False,
                          "pending_update_count": len(self._pending)}
        if self._webhook_url:
            info.update(self._webhook_info)
            if self._webhook_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        text, plain, entities = self._text(params)
        preview = params.get("link_preview_options")
        return self._store(chat_id, "text", params, text=text, plain=plain, entities=entities,
                           link_preview_options=preview if isinstance(preview, dict) else None)

    def _edit_message_text(self, params: JSONDict) -> JSONDict:
        message = self._editable(params)
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        text, plain, entities = self._text(params)
        markup = self._inline(self._markup(params.get("reply_markup")))
        if (plain, entities, markup) == (message.plain, message.entities,
                                         self._inline(message.reply_markup)):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.plain, message.entities = text, plain, entities
        message.parse_mode = params.get("parse_mode")
        message.reply_markup = markup
        preview = params.get("link_preview_options")
        if isinstance(preview, dict):
            message.link_preview_options = preview
        message.edited += 1
        message.edit_date = _now()
        return self._api(message)

    def _edit_message_caption(self, params: JSONDict) -> JSONDict:
        message = self._editable(params)
        if message.kind not in ("photo", "document"):
            raise _bad("there is no caption in the message to edit")
        caption, plain, entities = self._caption(params)
        markup = self._inline(self._markup(params.get("reply_markup")))
        if (plain, entities, markup) == (message.plain, message.entities,
                                         self._inline(message.reply_markup)):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.plain, message.entities = caption, plain, entities
        message.reply_markup = markup
        message.edited += 1
        message.edit_date = _now()
        return self._api(message)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        message = self._editable(params)
        markup = self._inline(self._markup(params.get("reply_markup")))
        if markup == self._inline(message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edited += 1
        message.edit_date = _now()
        return self._api(message)

    def _delete_message(self, params: JSONDict) -> bool:
        chat_id = self._chat_id(params)
        key = (chat_id, _int(params.get("message_id"), "message_id"))
        stored = self._messages.pop(key, None)
        if stored is not None:
            self.deleted.append(self._view(stored))
            return True
        if self._incoming.pop(key, None) is not None:
            return True
        raise _bad("message to delete not found")

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callback_ids:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self.callback_answers[query_id] = params
        return True

    def _coordinates(self, params: JSONDict) -> JSONDict:
        try:
            latitude = float(params["latitude"])
            longitude = float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise _bad("wrong latitude or longitude specified") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad("wrong latitude or longitude specified")
        location: JSONDict = {"latitude": latitude, "longitude": longitude}
        for key in ("horizontal_accuracy", "live_period", "heading",
                    "proximity_alert_radius"):
            if key in params:
                location[key] = params[key]
        return location

    def _send_location(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        location = self._coordinates(params)
        return self._store(chat_id, "location", params, location=location)

    def _send_venue(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        location = self._coordinates(params)
        title, address = params.get("title"), params.get("address")
        if not title or not address:
            raise _bad("venue title and address must be non-empty")
        venue: JSONDict = {"location": {"latitude": location["latitude"],
                                        "longitude": location["longitude"]},
                           "title": title, "address": address}
        for key in ("foursquare_id", "foursquare_type", "google_place_id",
                    "google_place_type"):
            if key in params:
                venue[key] = params[key]
        return self._store(chat_id, "venue", params, venue=venue, location=venue["location"],
                           text=title)

    def _send_media(self, params: JSONDict, kind: str) -> JSONDict:
        chat_id = self._chat_id(params)
        source = params.get(kind)
        if source is None or source == "":
            raise _bad(f"there is no {kind} in the request")
        caption, plain, entities = self._caption(params)
        number = len(self._messages) + 1
        file_id = source if isinstance(source, str) and "://" not in source \
            else f"{kind}-{chat_id}-{number}"
        base = {"file_id": file_id, "file_unique_id": f"u{kind}{number}"}
        media: list[JSONDict] | JSONDict
        if kind == "photo":
            media = [{**base, "width": 90, "height": 60, "file_size": 1200},
                     {**base, "file_id": f"{file_id}-x", "file_unique_id": f"u{kind}{number}x",
                      "width": 1280, "height": 853, "file_size": 120000}]
        else:
            name = source.get("file_name") if isinstance(source, dict) else None
            media = {**base, "file_name": name or "document"}
        return self._store(chat_id, kind, params, media=media, text=caption, plain=plain,
                           entities=entities)

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    @staticmethod
    def _command_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope")
        scope_type = scope.get("type", "default") if isinstance(scope, dict) else "default"
        return str(scope_type), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("field \"commands\" must be an Array")
        stored: list[JSONDict] = []
        for item in commands:
            if not isinstance(item, dict) or not _COMMAND_RE.fullmatch(
                    str(item.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            description = str(item.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": item["command"], "description": description})
        self._commands[self._command_key(params)] = stored
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands(*reversed(self._command_key(params)))

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._command_key(params), None)
        return True

    def _set_description(self, params: JSONDict, field_name: str) -> bool:
        language = str(params.get("language_code") or "")
        self.descriptions[(field_name, language)] = str(params.get(field_name) or "")
        return True

    def _get_description(self, params: JSONDict, field_name: str) -> JSONDict:
        language = str(params.get("language_code") or "")
        return {field_name: self.descriptions.get((field_name, language), "")}

    def _create_forum_topic(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise _bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        topic: JSONDict = {"message_thread_id": self._next_message_id(chat_id), "name": name,
                           "icon_color": int(params.get("icon_color") or 7322096)}
        if params.get("icon_custom_emoji_id"):
            topic["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        self._topics[(chat_id, topic["message_thread_id"])] = topic
        self._forums.add(chat_id)
        if chat_id in self._chats and self._chats[chat_id].get("type") == "supergroup":
            self._chats[chat_id]["is_forum"] = True
        return topic

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """What a staff member deleting a forum topic in the app does."""
        self._topics.pop((chat_id, thread_id), None)

    def topics(self, chat_id: int) -> list[dict[str, Any]]:
        return [dict(t) for (chat, _), t in self._topics.items() if chat == chat_id]

    def add_file(self, file_id: str, content: bytes, file_path: str = "",
                 size: int | None = None) -> None:
        """A file the bot can fetch with getFile; `size` is what Telegram says it weighs
        (default: the content's length; say more to play a file over 20 MB)."""
        path = file_path or f"documents/{file_id}"
        self._files[file_id] = {"content": content, "file_path": path,
                                "file_size": len(content) if size is None else size}
        self._file_paths[path] = file_id

    def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = str(params.get("file_id") or "")
        found = self._files.get(file_id)
        if found is None:
            raise _bad("invalid file_id")
        if found["file_size"] > DOWNLOAD_LIMIT:
            raise _bad("file is too big")
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}"[:32],
                "file_size": found["file_size"], "file_path": found["file_path"]}

    def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat(self._chat_id(params))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": True, "limited_gifts": True,
                                        "unique_gifts": True, "premium_subscription": True,
                                        "gifts_from_channels": True}}

