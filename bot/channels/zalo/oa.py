"""Zalo Official Account: signed webhooks in, consultation messages out.

The webhook checks, in this order and before anything reaches the database: body size
(413), a signature header at all (401), JSON (400), the signature over the raw body
(`X-ZEvent-Signature`, compared in constant time, 403), the event's timestamp within
`signature_window_seconds` (a replayed capture is refused, 403), the event's shape
(400) and its name (400 for names Zalo does not document; receipts, unfollows and the
OA's own echoed messages are answered 200 and not stored).

Sends go through the outbox to `OASender`, which gets a token from the `TokenStore`
(refreshed ahead of expiry, and once more when Zalo answers -216/-220), waits its turn
on an aiolimiter rate limit, and maps Zalo's error codes onto the outbox's outcomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiolimiter import AsyncLimiter

from bot.channels.base import RetryLater
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
from bot.channels.zalo.oa_client import DEFAULT_API_BASE_URL, MAX_TEXT, OAClient
from bot.channels.zalo.render import oa_messages
from bot.channels.zalo.signature import OA_SIGNATURE_HEADER, is_fresh, verify_oa_request
from bot.channels.zalo.tokens import TokenStore
from bot.config import Config
from bot.messages import Reply
from bot.storage.models import utcnow

if TYPE_CHECKING:
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("crewbot.zalo.oa")

# Event names the OA webhook documents (see zalo-notes). Others are refused with 400.
KNOWN_EVENTS = frozenset({
    "user_send_text", "user_send_image", "user_send_gif", "user_send_file",
    "user_send_sticker", "user_send_audio", "user_send_video", "user_send_location",
    "user_send_link", "user_send_business_card", "anonymous_send_text", "follow", "unfollow",
    "oa_send_text", "oa_send_image", "oa_send_gif", "oa_send_file", "oa_send_sticker",
    "oa_send_list", "user_received_message", "user_seen_message", "user_reacted_message",
    "oa_reacted_message", "user_click_chatnow", "user_submit_info", "add_user_to_tag",
    "shop_has_order", "change_oa_daily_quota", "change_oa_template_tags",
})


class OASender:
    """Sends one outbox row as one or more consultation messages."""

    name = CHANNEL
    text_limit = MAX_TEXT

    def __init__(self, client: OAClient, tokens: TokenStore, limiter: AsyncLimiter) -> None:
        self.client = client
        self.tokens = tokens
        self.limiter = limiter
        self.progress = Progress()
        self.not_authorized_retry = NOT_AUTHORIZED_RETRY_SECONDS

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        """Zalo cannot edit a sent message, so `edit_ref` is ignored: the reply goes anew."""
        messages = oa_messages(reply)
        if not messages:
            return ""
        key = Progress.key(chat_id, reply)
        parts = [functools.partial(self._send_one, chat_id, message) for message in messages]
        try:
            return await self.progress.send(key, parts)
        except ZaloError as error:
            result = outcome(error, self.not_authorized_retry)
            if not isinstance(result, RetryLater):
                self.progress.forget(key)
            raise result from error

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
                               AsyncLimiter(settings.sends_per_second, 1.0))
        self._stop = asyncio.Event()
        self._refresher: asyncio.Task[None] | None = None

    def add_routes(self, server: WebServer) -> None:
        server.app.router.add_post(self.settings.webhook_path, self.webhook)
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
        log.info("zalo started api=oa app_id=%s webhook=%s tokens_ok=%s%s",
                 self.settings.app_id, self.settings.webhook_path, ok,
                 f" problem={problem!r}" if problem else "")

    async def stop(self) -> None:
        self._stop.set()
        if self._refresher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self.drain()
        await self.client.close()

    async def webhook(self, request: web.Request) -> web.Response:
        try:
            raw = await read_body(request)
        except BodyTooLarge:
            return refuse(413, "body too large")
        signature = request.headers.get(OA_SIGNATURE_HEADER)
        if not signature:
            return refuse(401, "signature missing")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return refuse(400, "malformed JSON")
        settings = self.settings
        if not verify_oa_request(signature, raw, settings.app_id, settings.oa_secret_key):
            log.warning("zalo webhook refused reason=bad_signature")
            return refuse(403, "bad signature")
        stamp = body.get("timestamp") if isinstance(body, dict) else None
        if not isinstance(stamp, str | int) or not is_fresh(
                stamp, utcnow(), settings.signature_window_seconds):
            log.warning("zalo webhook refused reason=stale_timestamp")
            return refuse(403, "stale event")
        try:
            event = parse_oa_event(body)
        except MalformedEvent as error:
            return refuse(400, f"malformed event: {error}")
        if event.event_name not in KNOWN_EVENTS:
            return refuse(400, "unknown event")
        incoming = await self.to_incoming(event)
        if incoming is None:
            return web.json_response({"ok": True})
        if not await self.submit(incoming, background=True):  # 200 once stored
            return refuse(500, "not stored, send again")
        return web.json_response({"ok": True})
