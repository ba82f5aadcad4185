"""Zalo Official Account: signed webhooks in, consultation messages out.

What Zalo expects of the webhook (its docs, as quoted by hainh.me's write-up of the OA
webhook): an HTTP 200 within two seconds for every event; anything else is sent again
for up to 12 hours, and a webhook that keeps failing is disabled for the app. So the
route answers 200 to every correctly signed event, handled or not, and keeps
non-200 answers for requests that are not Zalo's:

- more than 64 KB: 413;
- an empty body (or `{}`), and a GET on the path: 200 and nothing else. That is the
  URL check when the webhook is saved; no source shows its exact shape (a GET, or an
  unsigned POST with nothing in it), and answering both costs nothing;
- no `X-ZEvent-Signature`: 401; a signature that is not sha256(app id + raw body +
  timestamp + OA secret key), compared in constant time: 403;
- an event whose `timestamp` is further from now than the window: 403. Zalo's
  retries keep the original timestamp, so the window is at least `MIN_WINDOW_SECONDS`
  (13 hours: the 12 of retries and an hour of clock skew), whatever
  `signature_window_seconds` says; `msg_id` makes a replay inside it harmless;
- correctly signed but not an event we can read: 200 and a WARNING (see `webhook`);
- correctly signed: one INFO line with `event_name`, then the event is stored and
  handled (or, for receipts, echoes, reactions and events Zalo may add, left alone),
  and the answer is 200; a failure to store answers 500 so that Zalo sends it again.

Sends go through the outbox to `OASender`, which gets a token from the `TokenStore`
(refreshed ahead of expiry, and once more when Zalo answers -216/-220), waits its turn
on an aiolimiter rate limit, and maps Zalo's error codes onto the outbox's outcomes.

A file from another platform (a staff member's photo or PDF in the Telegram desk) is
fetched from that platform's media source, uploaded (`/v2.0/oa/upload/image` or
`/upload/file`) and sent by the id Zalo gives back. What Zalo does not take (an image
over 1 MB, a file over 5 MB, anything but JPG, PNG, PDF, DOC and DOCX, told by the name
and by the first bytes) is refused before any upload, in words the desk is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiolimiter import AsyncLimiter

from bot.channels.base import (
    DeliveryError,
    Media,
    MediaSources,
    RetryLater,
    TooLarge,
    Undeliverable,
    size_text,
)
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
from bot.channels.zalo.events import MalformedEvent, parse_oa_event
from bot.channels.zalo.oa_client import (
    DEFAULT_API_BASE_URL,
    FILE_TYPES,
    IMAGE_TYPES,
    MAX_FILE_BYTES,
    MAX_IMAGE_BYTES,
    MAX_TEXT,
    OAClient,
    file_message,
    image_message,
    text_message,
    uploaded_image_message,
)
from bot.channels.zalo.render import oa_messages
from bot.channels.zalo.signature import OA_SIGNATURE_HEADER, is_fresh, verify_oa_request
from bot.channels.zalo.tokens import TokenStore
from bot.config import Config
from bot.messages import Attachment, Reply
from bot.storage.models import utcnow

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("crewbot.zalo.oa")

# Zalo retries an event for 12 hours with its original timestamp; an hour more covers
# clock skew between Zalo and us.
MIN_WINDOW_SECONDS = 13 * 3600
# A URL check's echo (`challenge` / `hub.challenge`): short, and nothing but a token.
MAX_CHALLENGE = 256


# What a file is, by its first bytes, whatever its name says. OLE2 is DOC (and XLS,
# PPT...), a ZIP is DOCX (and XLSX...): those two are taken with their extension only.
_SIGNATURES = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"%PDF-", ".pdf"),
               (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".doc"), (b"PK\x03\x04", ".docx"))
ACCEPTED = "Zalo takes JPG and PNG images and PDF, DOC and DOCX files only"


@dataclass(frozen=True)
class Upload:
    """How a file goes to Zalo: as an image or a file, its name and content type."""

    image: bool
    name: str
    content_type: str

    @property
    def limit(self) -> int:
        return MAX_IMAGE_BYTES if self.image else MAX_FILE_BYTES


def _label(attachment: Attachment) -> str:
    if attachment.name:
        return attachment.name
    return "the photo" if attachment.kind == "photo" else "the file"


def _too_big(attachment: Attachment, size: int | None, limit: int) -> str:
    kind = "images" if limit == MAX_IMAGE_BYTES else "files"
    weight = f"is {size_text(size)}" if size is not None else f"is over {size_text(limit)}"
    return f"{_label(attachment)} {weight}; Zalo takes {kind} up to {size_text(limit)}"


def upload_limit(attachment: Attachment) -> int:
    """The most worth fetching for `attachment`, judged by its kind and name before any
    download; a type Zalo never takes is refused here (`Undeliverable`)."""
    suffix = PurePosixPath(attachment.name).suffix.lower()
    if attachment.kind == "photo" or suffix in IMAGE_TYPES:
        return MAX_IMAGE_BYTES
    if suffix in FILE_TYPES or not suffix:  # nameless: the bytes will tell
        return MAX_FILE_BYTES
    raise Undeliverable(f"{ACCEPTED}; {_label(attachment)} is not one of them")


def identify(attachment: Attachment, media: Media) -> Upload:
    """What the fetched bytes are and how they go up; `Undeliverable` for anything Zalo
    does not take, by type or by size."""
    suffix = PurePosixPath(media.name).suffix.lower()
    found = next((kind for magic, kind in _SIGNATURES if media.data.startswith(magic)), "")
    if found in (".doc", ".docx") and suffix != found:
        found = ""  # a spreadsheet, a presentation, an archive...
    if not found:
        raise Undeliverable(f"{ACCEPTED}; {_label(attachment)} is not one of them")
    image = found in IMAGE_TYPES
    content_type = (IMAGE_TYPES if image else FILE_TYPES)[found]
    name = media.name
    if IMAGE_TYPES.get(suffix, FILE_TYPES.get(suffix)) != content_type:
        # The name Zalo shows ends as the content is, whatever the sender called it.
        name = (PurePosixPath(media.name).stem or ("photo" if image else "file")) + found
    upload = Upload(image, name, content_type)
    if len(media.data) > upload.limit:
        raise Undeliverable(_too_big(attachment, len(media.data), upload.limit))
    return upload


class OASender:
    """Sends one outbox row as one or more consultation messages."""

    name = CHANNEL
    text_limit = MAX_TEXT
    edits = False

    def __init__(self, client: OAClient, tokens: TokenStore, limiter: AsyncLimiter,
                 media: MediaSources | None = None) -> None:
        self.client = client
        self.tokens = tokens
        self.limiter = limiter
        self.media = media if media is not None else MediaSources()
        self.progress = Progress()
        self.not_authorized_retry = NOT_AUTHORIZED_RETRY_SECONDS

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        """Zalo cannot edit a sent message, so `edit_ref` is ignored: the reply goes anew.

        An attachment goes first, as a message of its own (Zalo puts no caption on a
        file); the outbox sends one from another platform as a row of its own.
        """
        parts = [functools.partial(self._send_one, chat_id, message)
                 for message in oa_messages(reply)]
        if reply.attachment is not None:
            parts.insert(0, functools.partial(self._send_attachment, chat_id,
                                              reply.attachment))
        if not parts:
            return ""
        key = Progress.key(chat_id, reply)
        try:
            return await self.progress.send(key, parts)
        except ZaloError as error:
            result = outcome(error, self.not_authorized_retry)
            if not isinstance(result, RetryLater):
                self.progress.forget(key)
            raise result from error
        except DeliveryError as error:  # fetching the file from its own platform
            if not isinstance(error, RetryLater):
                self.progress.forget(key)
            raise

    async def _send_attachment(self, chat_id: str, attachment: Attachment) -> str:
        return await self._send_one(chat_id, await self._attachment_message(attachment))

    async def _attachment_message(self, attachment: Attachment) -> dict[str, Any]:
        """The consultation message that carries `attachment`, uploading it if need be."""
        if not attachment.channel:  # a public link
            if attachment.kind == "photo":
                return image_message(attachment.ref)
            return text_message(f"{_label(attachment)}: {attachment.ref}")
        source = self.media.get(attachment.channel)
        if source is None:
            raise RetryLater(f"no {attachment.channel} channel running to fetch the file from")
        limit = upload_limit(attachment)
        try:
            media = await source.fetch(attachment, limit)
        except TooLarge as error:
            raise Undeliverable(_too_big(attachment, error.size, limit)) from error
        upload = identify(attachment, media)
        if upload.image:
            attachment_id = await self._upload(self.client.upload_image, media.data, upload)
            return uploaded_image_message(attachment_id)
        return file_message(await self._upload(self.client.upload_file, media.data, upload))

    async def _upload(self, call: Callable[[str, bytes, str, str], Awaitable[str]],
                      data: bytes, upload: Upload) -> str:
        token = await self.tokens.access_token()
        try:
            async with self.limiter:
                return await call(token, data, upload.name, upload.content_type)
        except ZaloTokenInvalid as error:
            log.info("zalo access token refused code=%s; refreshing", error.code)
        token = await self.tokens.refresh(stale=token)
        async with self.limiter:
            return await call(token, data, upload.name, upload.content_type)

    async def _send_one(self, chat_id: str, message: dict[str, Any]) -> str:
        token = await self.tokens.access_token()
        try:
            async with self.limiter:
                return await self.client.send_cs(token, chat_id, message)
        except ZaloTokenInvalid as error:
            log.info("zalo access token refused code=%s; refreshing", error.code)
        token = await self.tokens.refresh(stale=token)
        async with self.limiter:
            return await self.client.send_cs(token, chat_id, message)


class OAChannel(ZaloChannel):
    def __init__(self, app: App, config: Config) -> None:
        super().__init__(app, config)
        settings = self.settings
        self.client = OAClient(settings.app_id, settings.app_secret,
                               api_base_url=settings.api_base_url or DEFAULT_API_BASE_URL,
                               oauth_base_url=settings.oauth_base_url)
        self.tokens = TokenStore(app.db, self.client, settings.app_id, settings.refresh_token)
        self.sender = OASender(self.client, self.tokens,
                               AsyncLimiter(settings.sends_per_second, 1.0),
                               app.outbox.media)
        self._stop = asyncio.Event()
        self._refresher: asyncio.Task[None] | None = None
        self.window_seconds = float(max(self.settings.signature_window_seconds,
                                        MIN_WINDOW_SECONDS))

    def add_routes(self, server: WebServer) -> None:
        server.app.router.add_post(self.settings.webhook_path, self.webhook)
        server.app.router.add_get(self.settings.webhook_path, self.url_check)
        self.add_health(server)

    def health(self) -> tuple[bool, str]:
        if not self.healthy:
            return self.healthy, self.problem
        return self.tokens.health()

    async def start(self) -> None:
        """Load (or seed) the token pair and refresh it if due; a dead one does not stop us.

        The webhook keeps storing what users write while the tokens are sorted out, and
        `/healthz` says what to do.
        """
        self.app.outbox.register(self.sender)
        try:
            await self.tokens.check()
        except ZaloError as error:
            log.warning("zalo tokens not ready at start app_id=%s error=%s",
                        self.settings.app_id, error)
        self._refresher = asyncio.create_task(self.tokens.run(self._stop), name="zalo-tokens")
        self.healthy, self.problem = True, ""
        ok, problem = self.tokens.health()
        log.info("zalo started api=oa app_id=%s webhook=%s window_s=%.0f tokens_ok=%s%s",
                 self.settings.app_id, self.settings.webhook_path, self.window_seconds, ok,
                 f" problem={problem!r}" if problem else "")

    async def stop(self) -> None:
        self._stop.set()
        if self._refresher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self.drain()
        await self.client.close()

    async def url_check(self, request: web.Request) -> web.Response:
        """A GET on the webhook path: 200, echoing a `challenge` if one is asked for.

        Zalo's docs do not show what it sends when the URL is saved; some integrations
        expect a GET with a challenge to echo. Echoing a short token is harmless.
        """
        challenge = request.query.get("challenge") or request.query.get("hub.challenge")
        log.info("zalo webhook url_check method=GET challenge=%s", bool(challenge))
        if challenge and len(challenge) <= MAX_CHALLENGE and challenge.isascii() \
                and challenge.replace("-", "").replace("_", "").isalnum():
            return web.Response(text=challenge, content_type="text/plain")
        return web.json_response({"ok": True})

    async def webhook(self, request: web.Request) -> web.Response:
        """One POST from Zalo (or not): see the module docstring for every answer.

        A body that is correctly signed but is not an event we can read (a field
        missing or of the wrong type) gets 200 and a WARNING, and nothing is stored:
        the signature proves Zalo sent it, so a 4xx would not make Zalo send anything
        better, only send the same body again for 12 hours and then disable the
        webhook, cutting off every user to stop one odd event. The WARNING is where a
        change in Zalo's format shows up.
        """
        try:
            raw = await read_body(request)
        except BodyTooLarge:
            return refuse(413, "body too large")
        if not raw.strip() or raw.strip() == b"{}":
            log.info("zalo webhook url_check method=POST signed=%s",
                     OA_SIGNATURE_HEADER in request.headers)
            return web.json_response({"ok": True})
        signature = request.headers.get(OA_SIGNATURE_HEADER)
        if not signature:
            log.warning("zalo webhook refused reason=signature_missing")
            return refuse(401, "signature missing")
        settings = self.settings
        if not verify_oa_request(signature, raw, settings.app_id, settings.oa_secret_key):
            log.warning("zalo webhook refused reason=bad_signature")
            return refuse(403, "bad signature")
        body = json.loads(raw.decode("utf-8"))  # verified, so it is a JSON object
        stamp = body.get("timestamp")
        if not is_fresh(stamp, utcnow(), self.window_seconds):
            log.warning("zalo webhook refused reason=stale_timestamp timestamp=%s",
                        str(stamp)[:20])
            return refuse(403, "stale event")
        name = body.get("event_name")
        try:
            event = parse_oa_event(body)
        except MalformedEvent as error:
            log.warning("zalo webhook malformed event_name=%s reason=%r; answered 200, "
                        "nothing stored", str(name)[:64], str(error))
            return web.json_response({"ok": True})
        incoming = await self.to_incoming(event)
        log.info("zalo webhook event event_name=%s msg_id=%s handled=%s",
                 event.event_name[:64], event.msg_id[:64], incoming is not None)
        if incoming is None:
            return web.json_response({"ok": True})
        if not await self.submit(incoming, background=True):  # 200 once stored
            return refuse(503, "storage unavailable, send again")
        return web.json_response({"ok": True})
