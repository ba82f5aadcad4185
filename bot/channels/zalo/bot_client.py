"""A thin client for the Zalo Bot Platform (bot-api.zaloplatforms.com).

The API is Telegram-like: POST JSON to `{base_url}/bot{token}/{method}` and read
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.
Two differences matter to callers. getUpdates hands out one update per call, not a
list, and an idle long poll ends with `ok: false, error_code: 408` ("Request timeout"),
which is simply "nothing new"; `get_updates` returns [] for it. And getUpdates does not
work while a webhook is set (deleteWebhook first).

The token is part of every URL, so no URL ever goes into a log line or an exception:
failures below HTTP are reported by exception type only, with the token redacted from
anything else this module says.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.channels.zalo.errors import (
    BOT_TIMEOUT_CODE,
    ZaloServerError,
    error_from,
    json_object,
    redact,
)
from bot.channels.zalo.http import SessionClient

log = logging.getLogger("crewbot.zalo.bot")

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
# Beyond the long-poll time itself, how long getUpdates may take before we give up.
POLL_GRACE_SECONDS = 10
# sendMessage text and sendPhoto caption: 1 to 2000 characters.
MAX_TEXT = 2000
SECRET_TOKEN_LENGTH = (8, 256)


class BotClient(SessionClient):
    """Calls for one bot token over one `aiohttp.ClientSession` (lazy, or passed in)."""

    def __init__(self, token: str, *, base_url: str = DEFAULT_BASE_URL,
                 session: aiohttp.ClientSession | None = None,
                 timeout: aiohttp.ClientTimeout | None = None) -> None:
        self._token = token
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        super().__init__(session, timeout or DEFAULT_TIMEOUT)

    def __repr__(self) -> str:
        return f"BotClient(base_url={self.base_url!r})"
    async def _post(self, method: str, params: Mapping[str, Any] | None = None, *,
                    http_timeout: aiohttp.ClientTimeout | None = None
                    ) -> tuple[dict[str, Any], int]:
        """The whole answer of one call and its HTTP status; the caller reads errors."""
        url = f"{self.base_url}/bot{self._token}/{method}"
        status, raw = await self._fetch(method, "POST", url, http_timeout,
                                        json=dict(params or {}))
        body = json_object(raw)
        log.debug("zalo bot method=%s status=%s ok=%s", method, status,
                  body.get("ok") if body is not None else None)
        if body is None:
            raise error_from(None, status) or ZaloServerError(
                0, f"{method}: answer is not a JSON object", status)
        for key in ("description", "message"):
            if isinstance(body.get(key), str):
                # Should Zalo ever echo the request path, the token stays out of errors.
                body[key] = redact(body[key], self._token)
        return body, status

    async def call(self, method: str, params: Mapping[str, Any] | None = None, *,
                   http_timeout: aiohttp.ClientTimeout | None = None) -> Any:
        """The `result` of one method call; a failed call raises its `ZaloError`."""
        body, status = await self._post(method, params, http_timeout=http_timeout)
        error = error_from(body, status)
        if error is not None:
            raise error
        return body.get("result")

    async def get_me(self) -> dict[str, Any]:
        """The bot's `id`, `account_name`, `account_type`; a wrong token raises."""
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    # `timeout` is the API's own long-poll parameter (seconds Zalo holds the call), not a
    # cancellation scope for this coroutine, hence the name despite ASYNC109.
    async def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for news: [] when idle, else one update.

        A list, so a future API that returns several needs no change here; the update
        is returned as Zalo sent it (parse it with `events.parse_bot_update`).
        """
        http_timeout = aiohttp.ClientTimeout(total=timeout + POLL_GRACE_SECONDS,
                                             connect=self._timeout.connect)
        body, status = await self._post("getUpdates", {"timeout": str(timeout)},
                                        http_timeout=http_timeout)
        if body.get("ok") is not True and body.get("error_code") == BOT_TIMEOUT_CODE:
            return []
        error = error_from(body, status)
        if error is not None:
            raise error
        result = body.get("result")
        if isinstance(result, list):
            return [update for update in result if isinstance(update, dict)]
        if isinstance(result, dict) and result:
            return [result]
        return []

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        """Have Zalo POST updates to `url` with `secret_token` in X-Bot-Api-Secret-Token."""
        low, high = SECRET_TOKEN_LENGTH
        if not low <= len(secret_token) <= high:
            raise ValueError(f"the webhook secret must be {low} to {high} characters")
        result = await self.call("setWebhook", {"url": url, "secret_token": secret_token})
        return result if isinstance(result, dict) else {}

    async def delete_webhook(self) -> dict[str, Any]:
        """Stop webhook delivery, so that getUpdates works again."""
        result = await self.call("deleteWebhook")
        return result if isinstance(result, dict) else {}

    async def get_webhook_info(self) -> dict[str, Any]:
        """The webhook `url` Zalo has (empty when none) and `updated_at`."""
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}

    async def send_message(self, chat_id: str, text: str) -> str:
        """Send a text (1 to 2000 characters) and return its `message_id`."""
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return _message_id(result)

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> str:
        """Send an image by URL, with an optional caption, and return its `message_id`."""
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        result = await self.call("sendPhoto", params)
        return _message_id(result)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show "typing..." (the only action Zalo documents as available) for a moment."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


def _message_id(result: Any) -> str:
    if isinstance(result, dict):
        value = result.get("message_id")
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    # Zalo said ok, so the message is out: an empty id beats sending it twice.
    return ""
