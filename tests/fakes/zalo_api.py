"""Fake Zalo servers for tests: the OA Open API with its OAuth server, and the Bot Platform.

Both are real aiohttp servers on 127.0.0.1 (a free port each), so the real clients
talk HTTP to them with nothing patched. They answer the way the docs say Zalo does:
OA errors as `{"error": <negative code>, "message": ...}` inside HTTP 200, OAuth token
answers with `expires_in` as a string, a refresh token that works once, Bot Platform
errors as `{"ok": false, "error_code": ..., "description": ...}`, one update per
getUpdates call and `error_code` 408 for an idle long poll.

Tests steer them with `fail(...)` (answer with an error N times), `delay(...)`, and
`expire_access_token()`, read what happened in `calls` and `sent`, and wait for
something to happen with `wait_for(predicate)`: an asyncio.Condition notified on every
request, never a sleep loop; its timeout only bounds a test that is already failing.

They also play Zalo's part towards our webhook, with bodies shaped as the sources
show them rather than as crewbot reads them:

- `FakeZaloOA.post_event` signs an event as Zalo does (`X-ZEvent-Signature: mac=...`).
  Message events carry `app_id`, `user_id_by_app`, `sender`, `recipient`, `message`
  with `msg_id`, and `timestamp` as a string of milliseconds; a shared location puts
  `latitude` / `longitude` strings in `attachments[].payload.coordinates` (chatwoot,
  ChatbotX); a business card puts the card's name in `message.text` and a JSON string
  with the phone number in `payload.description` (chatwoot). Receipts, the OA's echoed
  messages, reactions and anonymous chats come as the integrations list them.
- `FakeZaloOA.press` is a user tapping a button of a sent message: a query button
  (`oa.query.show` or `oa.query.hide`) comes back as a `user_send_text` whose text is
  the payload (ChatbotX reads its `oa.query.hide` postbacks from the text); only a
  `query.show` payload also appears in the chat as the user's own words
  (`shown_as_user`), which is what the official SDKs' two button types are for.
- `FakeZaloOA.check_webhook_url` is what we assume Zalo does when the webhook URL is
  saved: no source shows it, so it sends both a plain GET and an unsigned POST with
  an empty body, and returns both statuses.
- `FakeZaloBot` POSTs injected updates to the URL given to setWebhook with
  `X-Bot-Api-Secret-Token`, wrapped in `{"ok": true, "result": ...}` as the Bot
  Platform docs show (flat on request). Updates carry `from.is_bot`, `chat.chat_type`
  PRIVATE or GROUP, and `photo_url`, `sticker` or `voice_url` by event.

The OA fake also takes uploads (`/v2.0/oa/upload/image`, `/v2.0/oa/upload/file`,
multipart field `file`, as ZaloDotNetSDK and zalo-php-sdk send them), keeps their
bytes in `uploads`, refuses what the integrations say Zalo refuses (an image that is
not JPG/PNG or is over 1 MB, a file that is not PDF/DOC/DOCX or is over 5 MB) and
answers `data.attachment_id` / `data.token`; message/cs then checks that a `media`
template's `attachment_id` or a `file` attachment's `token` is one it handed out.

Where the docs say nothing (which OAuth code a wrong secret gets, what getUpdates says
while a webhook is set, which code an oversized upload gets: -210 here) the fakes pick
something plausible; the comments say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Self

import aiohttp
from aiohttp import web

from bot.channels.zalo.events import ACTION_PREFIX
from bot.channels.zalo.signature import (
    BOT_SECRET_HEADER,
    OA_SIGNATURE_HEADER,
    oa_signature_header,
)

WAIT_TIMEOUT = 15.0
# Button types of a consultation message (ZaloDotNetSDK's button classes, zalo-php-sdk's
# MessageBuilder); the two query types send their payload back to the OA.
QUERY_BUTTONS = frozenset({"oa.query.show", "oa.query.hide"})
BUTTON_TYPES = QUERY_BUTTONS | {"oa.open.url", "oa.open.phone", "oa.open.sms"}

OA_MESSAGES = {
    -32: "Your application reached limit call api",
    -201: "Parameter is invalid",
    -210: "Parameter exceeds allowable limit",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA, or the last interaction has expired",
}
# OAuth v4 codes; -14003 (invalid parameter) is the fake's choice for a wrong secret,
# app id or grant type, which the docs do not pin down.
OAUTH_MESSAGES = {
    -14003: "Invalid parameter",
    -14005: "Invalid authorization code",
    -14014: "Invalid refresh token",
    -14019: "Authorization code is expired",
    -14020: "Refresh token is expired",
}
BOT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    408: "Request timeout",
    409: "Conflict: getUpdates does not work while a webhook is set",
    429: "Too Many Requests",
}


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id() -> str:
    """An id shaped like Zalo's message ids (20 hex digits)."""
    return secrets.token_hex(10)


@dataclass
class Call:
    """One request the fake received; `params` is its body (test data, tokens and all).

    `at` is when it arrived (`time.monotonic()`, for benchmarks in the same process).
    """

    name: str
    params: dict[str, Any]
    outcome: str = "pending"
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class SentOA:
    user_id: str
    message: dict[str, Any]
    message_id: str


@dataclass(frozen=True)
class Uploaded:
    """One file uploaded to the OA: `kind` "image" or "file", and the id handed out."""

    kind: str
    filename: str
    content_type: str
    data: bytes
    id: str


@dataclass(frozen=True)
class SentBot:
    method: str
    chat_id: str
    text: str
    photo: str
    message_id: str


@dataclass
class _Failure:
    name: str
    error: int
    times: int
    target: str | None


@dataclass
class _Delay:
    name: str
    seconds: float
    times: int


class _FakeServer:
    """Start/stop on a free port, the call log, `wait_for`, injected failures and delays."""

    aliases: ClassVar[Mapping[str, str]] = {}

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.base_url = ""
        self._cond = asyncio.Condition()
        self._failures: list[_Failure] = []
        self._delays: list[_Delay] = []
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._outgoing: aiohttp.ClientSession | None = None

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        # Room for uploads over Zalo's limits, so the fake can refuse them as Zalo does.
        app = web.Application(client_max_size=32 * 1024 * 1024)
        self._routes(app)
        # No access log: Bot Platform paths carry the token. Cancelled handlers and a
        # short shutdown keep a pending long poll from holding the test's teardown.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self._stopping.set()
        async with self._cond:
            self._cond.notify_all()
        if self._outgoing is not None:
            await self._outgoing.close()
            self._outgoing = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    def _name(self, path_or_name: str) -> str:
        return self.aliases.get(path_or_name, path_or_name)

    def fail(self, path_or_name: str, error: int, times: int = 1,
             user_id: str | None = None, chat_id: str | None = None) -> None:
        """Answer the next `times` matching calls with `error`.

        A negative `error` is a Zalo error code in an HTTP 200 body; 400 to 599 is that
        HTTP status (5xx with an HTML page, as a gateway would); on the Bot Platform a
        code under 500 is an `error_code` in an `ok: false` body. `user_id` limits the
        failure to calls for that user (OA), `chat_id` to that chat (Bot Platform).
        """
        self._failures.append(_Failure(self._name(path_or_name), error, times,
                                       user_id or chat_id))

    def delay(self, path_or_name: str, seconds: float, times: int = 1) -> None:
        """Hold the next `times` matching calls for `seconds` (cut short by `stop()`)."""
        self._delays.append(_Delay(self._name(path_or_name), seconds, times))

    async def wait_for(self, predicate: Callable[[], bool] | Callable[[Any], bool],
                       timeout: float = WAIT_TIMEOUT) -> None:  # noqa: ASYNC109
        """Return as soon as `predicate()` holds; it is re-checked after every request.

        The predicate takes no argument or, like the Telegram fake's, the fake itself.
        `timeout` only bounds a test that is already failing (TimeoutError then).
        """
        takes_fake = bool(inspect.signature(predicate).parameters)

        def check() -> bool:
            return bool(predicate(self) if takes_fake else predicate())  # type: ignore[call-arg]

        async with self._cond:
            await asyncio.wait_for(self._cond.wait_for(check), timeout)

    async def _record(self, name: str, params: dict[str, Any]) -> Call:
        call = Call(name, params)
        async with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
        return call

    async def _finish(self, call: Call, outcome: str) -> None:
        async with self._cond:
            call.outcome = outcome
            self._cond.notify_all()

    def _take_failure(self, name: str, target: str | None) -> int | None:
        for failure in self._failures:
            if failure.name == name and failure.target in (None, target):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure.error
        return None

    async def _maybe_delay(self, name: str) -> None:
        for item in self._delays:
            if item.name == name:
                item.times -= 1
                if item.times <= 0:
                    self._delays.remove(item)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), item.seconds)
                return

    def _session(self) -> aiohttp.ClientSession:
        if self._outgoing is None:
            self._outgoing = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._outgoing

    async def _http_failure(self, call: Call, status: int) -> web.Response:
        await self._finish(call, f"http {status}")
        if status >= 500:
            return web.Response(status=status, content_type="text/html",
                                text=f"<html><body><h1>{status}</h1></body></html>")
        return web.json_response({"error": -201, "message": f"HTTP {status}"}, status=status)


async def _json_or_none(request: web.Request) -> Any:
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        return None


class FakeZaloOA(_FakeServer):
    """The OA Open API (message/cs, user/detail) and OAuth v4 on one server.

    Point both `api_base_url` and `oauth_base_url` of `OAClient` at `base_url`.
    `access_token` / `refresh_token` are the currently valid pair; a refresh replaces
    both and kills the refresh token it was given.
    """

    aliases: ClassVar[Mapping[str, str]] = {
        "cs": "message/cs", "send_cs": "message/cs", "/v3.0/oa/message/cs": "message/cs",
        "refresh": "access_token", "authorize": "access_token", "oauth": "access_token",
        "/v4/oa/access_token": "access_token",
        "get_profile": "user/detail", "/v3.0/oa/user/detail": "user/detail",
        "upload_image": "upload/image", "/v2.0/oa/upload/image": "upload/image",
        "upload_file": "upload/file", "/v2.0/oa/upload/file": "upload/file",
    }
    # What the uploads take, by the file name's extension (the integrations' limits).
    UPLOAD_TYPES: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "image": (".jpg", ".jpeg", ".png"), "file": (".pdf", ".doc", ".docx")}
    UPLOAD_LIMITS: ClassVar[Mapping[str, int]] = {"image": 1024 * 1024,
                                                  "file": 5 * 1024 * 1024}

    def __init__(self, *, app_id: str = "2553928453557884079",
                 app_secret: str = "fake-app-secret-key",
                 oa_secret_key: str = "fake-oa-secret-key",
                 oa_id: str = "3662729599332560487",
                 access_token: str | None = None, refresh_token: str | None = None,
                 expires_in: int = 90000) -> None:
        super().__init__()
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_secret_key = oa_secret_key
        self.oa_id = oa_id
        self.expires_in = expires_in
        self.access_token = access_token or "AT-" + secrets.token_urlsafe(24)
        self.refresh_token = refresh_token or "RT-" + secrets.token_urlsafe(24)
        self.refreshes = 0
        self.sent: list[SentOA] = []
        self.uploads: list[Uploaded] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self._valid_access = {self.access_token}
        self._codes: dict[str, str | None] = {}
        self._shown_as_user: dict[str, list[str]] = {}

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v3.0/oa/message/cs", self._send_cs)
        app.router.add_get("/v3.0/oa/user/detail", self._user_detail)
        app.router.add_post("/v4/oa/access_token", self._access_token)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)

    # -- controls -------------------------------------------------------------------

    def expire_access_token(self, token: str | None = None) -> None:
        """The current access token (or `token`) now gets -216, as an expired one does."""
        self._valid_access.discard(token or self.access_token)

    def add_authorization_code(self, code: str, code_verifier: str | None = None) -> None:
        """A code an OA admin would have got; single use, PKCE-checked when given."""
        self._codes[code] = code_verifier

    # -- reading what was sent ------------------------------------------------------------

    def sent_to(self, user_id: str) -> list[SentOA]:
        return [sent for sent in self.sent if sent.user_id == user_id]

    def texts(self, user_id: str) -> list[str]:
        """The text of every consultation message sent to `user_id`, in order."""
        return [str(sent.message.get("text", "")) for sent in self.sent_to(user_id)]

    def calls_to(self, path_or_name: str) -> list[Call]:
        name = self._name(path_or_name)
        return [call for call in self.calls if call.name == name]

    def attachments_to(self, user_id: str) -> list[tuple[str, Uploaded]]:
        """The uploaded files sent to `user_id`, in order: ("image" | "file", upload)."""
        found: list[tuple[str, Uploaded]] = []
        for sent in self.sent_to(user_id):
            upload = self._uploaded_in(sent.message)
            if upload is not None:
                found.append((upload.kind, upload))
        return found

    def _uploaded_in(self, message: Mapping[str, Any]) -> Uploaded | None:
        attachment = message.get("attachment")
        if not isinstance(attachment, Mapping):
            return None
        payload = attachment.get("payload")
        if not isinstance(payload, Mapping):
            return None
        wanted: tuple[str, Any] | None = None
        if attachment.get("type") == "file":
            wanted = ("file", payload.get("token"))
        elif payload.get("template_type") == "media":
            elements = payload.get("elements")
            if isinstance(elements, list) and elements and isinstance(elements[0], Mapping) \
                    and "attachment_id" in elements[0]:
                wanted = ("image", elements[0]["attachment_id"])
        if wanted is None:
            return None
        return next((u for u in self.uploads if (u.kind, u.id) == wanted), None)

    # -- handlers -------------------------------------------------------------------

    async def _zalo_error(self, call: Call, code: int) -> web.Response:
        await self._finish(call, f"error {code}")
        return web.json_response({"error": code, "message": OA_MESSAGES.get(code, "Error")})

    async def _failure(self, call: Call, error: int) -> web.Response:
        if error >= 400:
            return await self._http_failure(call, error)
        if call.name == "access_token":
            return await self._oauth_error(call, error)
        return await self._zalo_error(call, error)

    async def _send_cs(self, request: web.Request) -> web.Response:
        body = await _json_or_none(request)
        token = request.headers.get("access_token", "")
        call = await self._record("message/cs", {"access_token": token, "body": body})
        await self._maybe_delay("message/cs")
        recipient = body.get("recipient") if isinstance(body, dict) else None
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        failure = self._take_failure("message/cs", user_id if isinstance(user_id, str) else None)
        if failure is not None:
            return await self._failure(call, failure)
        if token not in self._valid_access:
            return await self._zalo_error(call, -216)
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(user_id, str) or not user_id or not isinstance(message, dict):
            return await self._zalo_error(call, -201)
        text = message.get("text")
        buttons = (((message.get("attachment") or {}).get("payload") or {})
                   .get("buttons") or [])
        if (isinstance(text, str) and len(text) > 2000) or len(buttons) > 5:
            return await self._zalo_error(call, -210)
        for button in buttons:
            kind = button.get("type") if isinstance(button, dict) else None
            if kind not in BUTTON_TYPES or (kind in QUERY_BUTTONS
                                            and not isinstance(button.get("payload"), str)):
                return await self._zalo_error(call, -201)
        if not self._attachment_ok(message):
            return await self._zalo_error(call, -201)
        message_id = new_id()
        self.sent.append(SentOA(user_id, message, message_id))
        await self._finish(call, "ok")
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": message_id, "user_id": user_id}})

    def _attachment_ok(self, message: Mapping[str, Any]) -> bool:
        """An uploaded image or file must be one this fake handed out, in the shape the
        SDKs send: `media` template element with `attachment_id`, or `file` + `token`."""
        attachment = message.get("attachment")
        if not isinstance(attachment, Mapping):
            return True
        payload = attachment.get("payload")
        if attachment.get("type") == "file":
            return isinstance(payload, Mapping) and self._uploaded_in(message) is not None
        if isinstance(payload, Mapping) and payload.get("template_type") == "media":
            elements = payload.get("elements")
            if not isinstance(elements, list) or len(elements) != 1 \
                    or not isinstance(elements[0], Mapping) \
                    or elements[0].get("media_type") != "image":
                return False
            if "attachment_id" in elements[0]:
                return self._uploaded_in(message) is not None
            return isinstance(elements[0].get("url"), str)
        return True

    async def _upload_image(self, request: web.Request) -> web.Response:
        return await self._upload(request, "image", "upload/image", "attachment_id")

    async def _upload_file(self, request: web.Request) -> web.Response:
        return await self._upload(request, "file", "upload/file", "token")

    async def _upload(self, request: web.Request, kind: str, name: str, key: str
                      ) -> web.Response:
        token = request.headers.get("access_token", "")
        form = await request.post() if request.content_type == "multipart/form-data" else {}
        field = form.get("file")
        upload = field if isinstance(field, web.FileField) else None
        data = upload.file.read() if upload is not None else b""
        call = await self._record(name, {
            "access_token": token, "filename": upload.filename if upload else None,
            "content_type": upload.content_type if upload else None, "size": len(data)})
        await self._maybe_delay(name)
        failure = self._take_failure(name, None)
        if failure is not None:
            return await self._failure(call, failure)
        if token not in self._valid_access:
            return await self._zalo_error(call, -216)
        if upload is None or not data:
            return await self._zalo_error(call, -201)
        if not upload.filename.lower().endswith(self.UPLOAD_TYPES[kind]):
            return await self._zalo_error(call, -201)
        if len(data) > self.UPLOAD_LIMITS[kind]:
            return await self._zalo_error(call, -210)
        handed_out = secrets.token_hex(16) if kind == "file" else new_id()
        self.uploads.append(Uploaded(kind, upload.filename, upload.content_type, data,
                                     handed_out))
        await self._finish(call, "ok")
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {key: handed_out}})

    async def _user_detail(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        try:
            data = json.loads(request.query.get("data", ""))
        except ValueError:
            data = None
        user_id = data.get("user_id") if isinstance(data, dict) else None
        call = await self._record("user/detail", {"access_token": token, "data": data})
        await self._maybe_delay("user/detail")
        failure = self._take_failure("user/detail", user_id)
        if failure is not None:
            return await self._failure(call, failure)
        if token not in self._valid_access:
            return await self._zalo_error(call, -216)
        if not isinstance(user_id, str) or not user_id:
            return await self._zalo_error(call, -201)
        profile = self.profiles.get(user_id) or {
            "user_id": user_id, "display_name": f"Zalo user {user_id[-4:]}",
            "user_is_follower": True, "avatars": {"120": "", "240": ""},
        }
        await self._finish(call, "ok")
        return web.json_response({"error": 0, "message": "Success", "data": profile})

    async def _oauth_error(self, call: Call, code: int) -> web.Response:
        await self._finish(call, f"error {code}")
        text = OAUTH_MESSAGES.get(code, "Error")
        return web.json_response({"error": code, "error_name": text, "error_reason": text,
                                  "error_description": text})

    async def _access_token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        secret = request.headers.get("secret_key", "")
        call = await self._record("access_token", {**form, "secret_key": secret})
        await self._maybe_delay("access_token")
        failure = self._take_failure("access_token", None)
        if failure is not None:
            return await self._failure(call, failure)
        if secret != self.app_secret or form.get("app_id") != self.app_id:
            return await self._oauth_error(call, -14003)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") != self.refresh_token:
                return await self._oauth_error(call, -14014)
            self.refreshes += 1
        elif grant == "authorization_code":
            code = form.get("code")
            if not isinstance(code, str) or code not in self._codes:
                return await self._oauth_error(call, -14005)
            verifier = self._codes.pop(code)
            if verifier is not None and form.get("code_verifier") != verifier:
                return await self._oauth_error(call, -14005)
        else:
            return await self._oauth_error(call, -14003)
        self.access_token = "AT-" + secrets.token_urlsafe(24)
        self.refresh_token = "RT-" + secrets.token_urlsafe(24)
        self._valid_access.add(self.access_token)
        await self._finish(call, "ok")
        return web.json_response({"access_token": self.access_token,
                                  "refresh_token": self.refresh_token,
                                  "expires_in": str(self.expires_in)})

    # -- Zalo's side of our webhook -------------------------------------------------

    def _event(self, event_name: str, user_id: str, timestamp: int | None) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "user_id_by_app": f"88{user_id}",
            "event_name": event_name,
            "timestamp": str(timestamp if timestamp is not None else now_ms()),
            "sender": {"id": user_id},
            "recipient": {"id": self.oa_id},
        }

    def text_event(self, user_id: str, text: str, msg_id: str | None = None,
                   timestamp: int | None = None) -> dict[str, Any]:
        event = self._event("user_send_text", user_id, timestamp)
        event["message"] = {"msg_id": msg_id or new_id(), "text": text}
        return event

    def button_event(self, user_id: str, action: str, msg_id: str | None = None,
                     timestamp: int | None = None) -> dict[str, Any]:
        """What pressing one of our query buttons sends: the payload as the user's text."""
        return self.text_event(user_id, ACTION_PREFIX + action, msg_id, timestamp)

    def press(self, user_id: str, sent: SentOA, title: str) -> dict[str, Any] | None:
        """The user taps the button called `title` on `sent`: the event Zalo sends, if any.

        A query button sends its payload as a `user_send_text`; `oa.query.show` also
        shows it in the chat as the user's message. A link, phone or SMS button opens
        something on the phone and sends nothing to the OA (None).
        """
        button = next((b for b in buttons_of(sent.message) if b.get("title") == title), None)
        if button is None:
            raise AssertionError(f"no button {title!r} on that message")
        if button.get("type") not in QUERY_BUTTONS:
            return None
        payload = str(button.get("payload", ""))
        if button.get("type") == "oa.query.show":
            self._shown_as_user.setdefault(user_id, []).append(payload)
        return self.text_event(user_id, payload)

    def shown_as_user(self, user_id: str) -> list[str]:
        """Button payloads the chat shows as if `user_id` had typed them."""
        return list(self._shown_as_user.get(user_id, []))

    def message_event(self, event_name: str, user_id: str, *, text: str | None = None,
                      attachments: list[dict[str, Any]] | None = None,
                      msg_id: str | None = None, timestamp: int | None = None,
                      from_oa: bool = False) -> dict[str, Any]:
        """Any message event; `from_oa` swaps sender and recipient (oa_send_*, receipts)."""
        event = self._event(event_name, user_id, timestamp)
        if from_oa:
            event["sender"], event["recipient"] = {"id": self.oa_id}, {"id": user_id}
        message: dict[str, Any] = {"msg_id": msg_id or new_id()}
        if text is not None:
            message["text"] = text
        if attachments is not None:
            message["attachments"] = attachments
        event["message"] = message
        return event

    def audio_event(self, user_id: str, url: str = "https://voice.example/zalo/1.aac",
                    msg_id: str | None = None) -> dict[str, Any]:
        return self.message_event("user_send_audio", user_id, msg_id=msg_id, attachments=[
            {"type": "audio", "payload": {"url": url}}])

    def video_event(self, user_id: str, url: str = "https://video.example/zalo/1.mp4",
                    msg_id: str | None = None) -> dict[str, Any]:
        return self.message_event("user_send_video", user_id, msg_id=msg_id, attachments=[
            {"type": "video", "payload": {"url": url,
                                          "thumbnail": "https://video.example/zalo/1.jpg",
                                          "description": ""}}])

    def link_event(self, user_id: str, url: str = "https://news.example/article",
                   msg_id: str | None = None) -> dict[str, Any]:
        return self.message_event("user_send_link", user_id, msg_id=msg_id, text=url,
                                  attachments=[{"type": "link", "payload": {
                                      "url": url, "description": "An article",
                                      "thumbnail": "https://news.example/t.jpg"}}])

    def business_card_event(self, user_id: str, name: str = "Nguyễn Văn A",
                            phone: str = "84901234567", msg_id: str | None = None
                            ) -> dict[str, Any]:
        description = json.dumps({"phone": phone,
                                  "qrCodeUrl": "https://qr.example/card.png"})
        return self.message_event("user_send_business_card", user_id, msg_id=msg_id,
                                  text=name, attachments=[{"type": "contact", "payload": {
                                      "thumbnail": "https://avatar.example/a.jpg",
                                      "description": description}}])

    def follow_event(self, user_id: str, timestamp: int | None = None,
                     event_name: str = "follow") -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "user_id_by_app": f"88{user_id}",
            "event_name": event_name,
            "timestamp": str(timestamp if timestamp is not None else now_ms()),
            "source": "oa_profile",
            "follower": {"id": user_id},
        }

    def unfollow_event(self, user_id: str, timestamp: int | None = None) -> dict[str, Any]:
        return self.follow_event(user_id, timestamp, event_name="unfollow")

    def image_event(self, user_id: str, url: str = "https://photo.example/zalo/1.jpg",
                    text: str = "", msg_id: str | None = None,
                    timestamp: int | None = None) -> dict[str, Any]:
        event = self._event("user_send_image", user_id, timestamp)
        event["message"] = {
            "msg_id": msg_id or new_id(), "text": text,
            "attachments": [{"type": "image", "payload": {"thumbnail": url, "url": url}}],
        }
        return event

    def sticker_event(self, user_id: str, sticker_id: str = "bfe458bf64fa8da4d4eb",
                      url: str = "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1",
                      msg_id: str | None = None, timestamp: int | None = None
                      ) -> dict[str, Any]:
        event = self._event("user_send_sticker", user_id, timestamp)
        event["message"] = {
            "msg_id": msg_id or new_id(),
            "attachments": [{"type": "sticker", "payload": {"id": sticker_id, "url": url}}],
        }
        return event

    def location_event(self, user_id: str, latitude: float | str, longitude: float | str,
                       msg_id: str | None = None, timestamp: int | None = None
                       ) -> dict[str, Any]:
        """Coordinates as strings, as chatwoot and ChatbotX read them (a str passes as is)."""
        event = self._event("user_send_location", user_id, timestamp)
        event["message"] = {
            "msg_id": msg_id or new_id(),
            "attachments": [{"type": "location", "payload": {"coordinates": {
                "latitude": str(latitude), "longitude": str(longitude)}}}],
        }
        return event

    def raw_event(self, event: Mapping[str, Any],
                  timestamp: int | None = None) -> tuple[bytes, str]:
        """The exact bytes `post_event` sends, and the timestamp the signature covers."""
        body = dict(event)
        if timestamp is not None:
            body["timestamp"] = str(timestamp)
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return raw, str(body.get("timestamp", ""))

    async def check_webhook_url(self, webhook_url: str) -> tuple[int, int]:
        """What we assume Zalo sends when the webhook URL is saved: (GET, empty POST)."""
        async with self._session().get(webhook_url) as response:
            await response.read()
            got = response.status
        async with self._session().post(webhook_url, data=b"") as response:
            await response.read()
            return got, response.status

    async def post_event(self, webhook_url: str, event: Mapping[str, Any], *,
                         sign: bool = True, signature: str | None = None,
                         timestamp: int | None = None) -> int:
        """POST `event` to our webhook as Zalo would and return the HTTP status.

        `timestamp` replaces the event's own (for stale events; still correctly
        signed); `signature` sends that header value instead of the right one;
        `sign=False` sends no signature header at all.
        """
        raw, stamp = self.raw_event(event, timestamp)
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[OA_SIGNATURE_HEADER] = signature
        elif sign:
            headers[OA_SIGNATURE_HEADER] = oa_signature_header(self.app_id, raw, stamp,
                                                               self.oa_secret_key)
        async with self._session().post(webhook_url, data=raw, headers=headers) as response:
            await response.read()
            return response.status


class FakeZaloBot(_FakeServer):
    """The Bot Platform for one bot token: `{base_url}/bot<token>/<method>`.

    Updates injected while no webhook is set wait for getUpdates (one per call); while
    one is set they are POSTed to it at once, wrapped in `{"ok": true, "result": ...}`
    as the docs show, or flat (`webhook_wrapped=False`, or per injection), and
    `deliveries` keeps the HTTP statuses our webhook answered.
    """

    def __init__(self, *, token: str = "1459232241454765289:fake-bot-token-abcdef",
                 bot_id: str = "1459232241454765289", account_name: str = "bot.FakeCrew",
                 webhook_wrapped: bool = True) -> None:
        super().__init__()
        self.token = token
        self.bot_id = bot_id
        self.account_name = account_name
        self.webhook_wrapped = webhook_wrapped
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_updated_at = 0
        self.sent: list[SentBot] = []
        self.actions: list[tuple[str, str]] = []
        self.deliveries: list[int] = []
        self._pending: deque[Any] = deque()

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)

    # -- updates ----------------------------------------------------------------------

    def text_update(self, chat_id: str, text: str, user_id: str | None = None,
                    display_name: str = "Crew", message_id: str | None = None,
                    date: int | None = None, chat_type: str = "PRIVATE") -> dict[str, Any]:
        """A `message.text.received` update with the docs' field names."""
        return {
            "event_name": "message.text.received",
            "message": {
                "from": {"id": user_id or chat_id, "display_name": display_name,
                         "is_bot": False},
                "chat": {"id": chat_id, "chat_type": chat_type},
                "text": text,
                "message_id": message_id or new_id(),
                "date": date if date is not None else now_ms(),
            },
        }

    def image_update(self, chat_id: str, photo_url: str, caption: str = "",
                     user_id: str | None = None, display_name: str = "Crew"
                     ) -> dict[str, Any]:
        update = self.text_update(chat_id, "", user_id, display_name)
        update["event_name"] = "message.image.received"
        message = update["message"]
        del message["text"]
        message["photo_url"] = photo_url
        if caption:
            message["caption"] = caption
        return update

    def voice_update(self, chat_id: str, voice_url: str = "https://voice.example/v.aac",
                     user_id: str | None = None) -> dict[str, Any]:
        """A `message.voice.received` update: the recording's `voice_url`, no text."""
        update = self.text_update(chat_id, "", user_id)
        update["event_name"] = "message.voice.received"
        del update["message"]["text"]
        update["message"]["voice_url"] = voice_url
        return update

    def unsupported_update(self, chat_id: str, user_id: str | None = None) -> dict[str, Any]:
        """`message.unsupported.received`: who and where, but no content at all."""
        update = self.text_update(chat_id, "", user_id)
        update["event_name"] = "message.unsupported.received"
        del update["message"]["text"]
        return update

    async def inject_text(self, chat_id: str, text: str, user_id: str | None = None,
                          display_name: str = "Crew", wrapped: bool | None = None,
                          chat_type: str = "PRIVATE") -> dict[str, Any]:
        """A user writes `text`; returns the update as Zalo would deliver it."""
        update = self.text_update(chat_id, text, user_id, display_name, chat_type=chat_type)
        wrap = self.webhook_wrapped if wrapped is None else wrapped
        await self._deliver(update, wrap)
        return update

    def texts(self, chat_id: str) -> list[str]:
        """The text (or photo caption) of every message sent to `chat_id`, in order."""
        return [sent.text for sent in self.sent if sent.chat_id == chat_id]

    def calls_to(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]

    async def inject(self, raw: Any, wrapped: bool | None = None) -> Any:
        """Deliver `raw` as it is (even if it is not a valid update)."""
        await self._deliver(raw, self.webhook_wrapped if wrapped is None else wrapped)
        return raw

    async def _deliver(self, update: Any, wrapped: bool) -> None:
        if self.webhook_url:
            status = await self.post_webhook(update, self.webhook_secret, wrapped=wrapped)
            self.deliveries.append(status)
            return
        async with self._cond:
            self._pending.append(update)
            self._cond.notify_all()

    async def post_webhook(self, update: Any, secret: str | None, *, url: str | None = None,
                           wrapped: bool = False) -> int:
        """POST one update to the webhook (or `url`) with `secret` as the secret header."""
        body = {"ok": True, "result": update} if wrapped else update
        headers = {BOT_SECRET_HEADER: secret} if secret is not None else {}
        target = url or self.webhook_url
        async with self._session().post(target, json=body, headers=headers) as response:
            await response.read()
            return response.status

    # -- API ---------------------------------------------------------------------------

    async def _bot_error(self, call: Call, code: int, description: str = "") -> web.Response:
        await self._finish(call, f"error {code}")
        return web.json_response({"ok": False, "error_code": code,
                                  "description": description or BOT_DESCRIPTIONS.get(
                                      code, "Error")})

    async def _ok(self, call: Call, result: Any = None) -> web.Response:
        await self._finish(call, "ok")
        body: dict[str, Any] = {"ok": True}
        if result is not None:
            body["result"] = result
        return web.json_response(body)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _json_or_none(request) if request.can_read_body else {}
        call = await self._record(method, params if isinstance(params, dict) else {})
        if request.match_info["token"] != self.token:
            return await self._bot_error(call, 401)
        if not isinstance(params, dict):
            return await self._bot_error(call, 400, "Bad Request: body is not a JSON object")
        await self._maybe_delay(method)
        chat_id = params.get("chat_id")
        failure = self._take_failure(method, chat_id if isinstance(chat_id, str) else None)
        if failure is not None:
            if failure >= 500:
                return await self._http_failure(call, failure)
            return await self._bot_error(call, failure)
        handler = {
            "getMe": self._get_me, "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info, "sendMessage": self._send_message,
            "sendPhoto": self._send_photo, "sendChatAction": self._send_chat_action,
        }.get(method)
        if handler is None:
            return await self._bot_error(call, 404, "Not Found: unknown method")
        return await handler(call, params)

    async def _get_me(self, call: Call, params: dict[str, Any]) -> web.Response:
        return await self._ok(call, {"id": self.bot_id, "account_name": self.account_name,
                                     "account_type": "BASIC", "can_join_groups": False})

    async def _get_updates(self, call: Call, params: dict[str, Any]) -> web.Response:
        if self.webhook_url:
            return await self._bot_error(call, 409)
        try:
            seconds = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            return await self._bot_error(call, 400, "Bad Request: timeout is not a number")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        async with self._cond:
            while not self._pending:
                remaining = deadline - loop.time()
                if remaining <= 0 or self._stopping.is_set():
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), remaining)
            update = self._pending.popleft() if self._pending else None
        if update is None:
            return await self._bot_error(call, 408)
        return await self._ok(call, update)

    async def _set_webhook(self, call: Call, params: dict[str, Any]) -> web.Response:
        url = params.get("url")
        secret = params.get("secret_token")
        if not isinstance(url, str) or not url:
            return await self._bot_error(call, 400, "Bad Request: url is required")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return await self._bot_error(call, 400,
                                         "Bad Request: secret_token must be 8-256 characters")
        self.webhook_url, self.webhook_secret, self.webhook_updated_at = url, secret, now_ms()
        return await self._ok(call, {"url": url, "updated_at": self.webhook_updated_at})

    async def _delete_webhook(self, call: Call, params: dict[str, Any]) -> web.Response:
        self.webhook_url, self.webhook_secret, self.webhook_updated_at = "", "", now_ms()
        return await self._ok(call, {"url": "", "updated_at": self.webhook_updated_at})

    async def _get_webhook_info(self, call: Call, params: dict[str, Any]) -> web.Response:
        return await self._ok(call, {"url": self.webhook_url,
                                     "updated_at": self.webhook_updated_at})

    async def _send(self, call: Call, method: str, chat_id: Any, text: str,
                    photo: str = "") -> web.Response:
        if not isinstance(chat_id, str) or not chat_id:
            return await self._bot_error(call, 400, "Bad Request: chat_id is required")
        message_id = new_id()
        self.sent.append(SentBot(method, chat_id, text, photo, message_id))
        return await self._ok(call, {"message_id": message_id, "date": now_ms()})

    async def _send_message(self, call: Call, params: dict[str, Any]) -> web.Response:
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return await self._bot_error(call, 400,
                                         "Bad Request: text must be 1 to 2000 characters")
        return await self._send(call, "sendMessage", params.get("chat_id"), text)

    async def _send_photo(self, call: Call, params: dict[str, Any]) -> web.Response:
        photo = params.get("photo")
        caption = params.get("caption", "")
        if not isinstance(photo, str) or not photo:
            return await self._bot_error(call, 400, "Bad Request: photo is required")
        if not isinstance(caption, str) or len(caption) > 2000:
            return await self._bot_error(call, 400,
                                         "Bad Request: caption must be up to 2000 characters")
        return await self._send(call, "sendPhoto", params.get("chat_id"), caption, photo)

    async def _send_chat_action(self, call: Call, params: dict[str, Any]) -> web.Response:
        chat_id = params.get("chat_id")
        action = params.get("action")
        if not isinstance(chat_id, str) or action not in ("typing", "upload_photo"):
            return await self._bot_error(call, 400, "Bad Request: chat_id and action")
        self.actions.append((chat_id, action))
        return await self._ok(call)


def buttons_of(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a consultation message (its template payload), [] for none."""
    attachment = message.get("attachment") or {}
    payload = attachment.get("payload") if isinstance(attachment, Mapping) else None
    buttons = payload.get("buttons") if isinstance(payload, Mapping) else None
    return list(buttons) if isinstance(buttons, list) else []
