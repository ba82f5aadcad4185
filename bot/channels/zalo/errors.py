"""What went wrong when talking to Zalo, as types the channel can act on.

Zalo reports most failures inside a normal HTTP 200 answer: the Open API and the OAuth
server put a negative `error` code in the body, the Bot Platform answers
`{"ok": false, "error_code": ..., "description": ...}`. `error_from` reads both shapes
(and bare HTTP failures) and returns the subclass that tells the caller what to do:
wait and retry (`retryable`), refresh the access token, stop writing to this user,
re-authorize the app, or give up on this one message.

No exception built here carries a token: messages come from Zalo's own error text or
from fixed strings, and `redact` is there for the few places that must mention
something which could contain one (a URL of the Bot Platform, for instance).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

# Codes of the OA Open API error table (developers.zalo.me, "Mã lỗi"), as quoted by
# the integrations the README lists; the OAuth ones are the v4 server's.
RATE_LIMIT_CODES = frozenset({-32})
# -216 "Access token is invalid", -220 "access_token is expired or removed"; -124 is the
# ZNS side's "access token invalid", which the same OA token can get.
TOKEN_INVALID_CODES = frozenset({-216, -220, -124})
# -230 "User has not interacted with the OA in the past 7 days", -232 "User has not
# interacted, or the last interaction expired": the consultation window is shut.
OUTSIDE_WINDOW_CODES = frozenset({-230, -232})
# -213 not a follower, -227 user banned or inactive > 45 days, -244 user restricted
# this kind of message from the OA: nothing we send to this user will get through.
USER_UNREACHABLE_CODES = frozenset({-213, -227, -244})
# -211 "Out of quota", -218 "Out of quota receive" (per-user limit), -321 the Zalo
# Cloud Account cannot pay.
QUOTA_CODES = frozenset({-211, -218, -321})
# OAuth v4 (/v4/oa/access_token): -14014 invalid refresh token, -14020 refresh token
# expired. Either way the stored refresh token is dead and a human must re-authorize.
REFRESH_TOKEN_INVALID_CODES = frozenset({-14014, -14020})

# Bot Platform `error_code`s, which follow HTTP status numbers.
BOT_TOKEN_INVALID_CODES = frozenset({401, 403})
BOT_RATE_LIMIT_CODES = frozenset({429})
BOT_TIMEOUT_CODE = 408


class ZaloError(Exception):
    """A call to Zalo failed; `code` is Zalo's (0 when the failure was below HTTP)."""

    def __init__(self, code: int, message: str, http_status: int | None = None) -> None:
        super().__init__(code, message, http_status)
        self.code = code
        self.message = message
        self.http_status = http_status

    # True when the very same request may succeed later without any change by us.
    retryable: ClassVar[bool] = False

    def __str__(self) -> str:
        http = f" (HTTP {self.http_status})" if self.http_status is not None else ""
        return f"Zalo error {self.code}{http}: {self.message}"


class ZaloRateLimited(ZaloError):
    """Too many calls (-32, Bot Platform 429): back off, then send the same thing again."""

    retryable = True


class ZaloTokenInvalid(ZaloError):
    """The access token (or bot token) is expired, revoked or wrong: refresh, then retry."""


class ZaloOutsideWindow(ZaloError):
    """The user has not written to the OA recently enough for a consultation message."""


class ZaloUserUnreachable(ZaloError):
    """This user cannot receive from the OA at all (not following, banned, opted out)."""


class ZaloQuotaExceeded(ZaloError):
    """The OA's (or this user's) message quota is used up; waiting minutes will not help."""


class ZaloServerError(ZaloError):
    """Zalo answered 5xx, or did not answer at all (network error, timeout)."""

    retryable = True


class ZaloRefreshTokenInvalid(ZaloError):
    """The refresh token is dead (already used, expired, revoked): re-authorize the app."""


class ZaloBadRequest(ZaloError):
    """Zalo refused this request as it is (bad parameter, unsupported message...)."""


def json_object(raw: bytes) -> dict[str, Any] | None:
    """The JSON object in an answer body, or None: gateways answer 502 pages in HTML."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def redact(text: str, *secrets: str) -> str:
    """`text` with every non-empty secret replaced, for messages built around URLs."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _first_text(body: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _oa_error(code: int, message: str, http_status: int | None) -> ZaloError:
    if code in RATE_LIMIT_CODES:
        return ZaloRateLimited(code, message, http_status)
    if code in TOKEN_INVALID_CODES:
        return ZaloTokenInvalid(code, message, http_status)
    if code in OUTSIDE_WINDOW_CODES:
        return ZaloOutsideWindow(code, message, http_status)
    if code in USER_UNREACHABLE_CODES:
        return ZaloUserUnreachable(code, message, http_status)
    if code in QUOTA_CODES:
        return ZaloQuotaExceeded(code, message, http_status)
    if code in REFRESH_TOKEN_INVALID_CODES:
        return ZaloRefreshTokenInvalid(code, message, http_status)
    if http_status is not None and http_status >= 500:
        return ZaloServerError(code, message, http_status)
    return ZaloBadRequest(code, message, http_status)


def _bot_error(code: int, message: str, http_status: int | None) -> ZaloError:
    if code in BOT_TOKEN_INVALID_CODES:
        return ZaloTokenInvalid(code, message, http_status)
    if code in BOT_RATE_LIMIT_CODES:
        return ZaloRateLimited(code, message, http_status)
    if code == BOT_TIMEOUT_CODE or code >= 500 or (http_status or 0) >= 500:
        return ZaloServerError(code, message, http_status)
    return ZaloBadRequest(code, message, http_status)


def _http_error(http_status: int) -> ZaloError | None:
    if http_status >= 500:
        return ZaloServerError(0, f"HTTP {http_status} from Zalo", http_status)
    if http_status == 429:
        return ZaloRateLimited(0, "HTTP 429 from Zalo", http_status)
    if http_status in (401, 403):
        return ZaloTokenInvalid(0, f"HTTP {http_status} from Zalo", http_status)
    if http_status >= 400:
        return ZaloBadRequest(0, f"HTTP {http_status} from Zalo", http_status)
    return None


def error_from(body: Mapping[str, Any] | None, http_status: int) -> ZaloError | None:
    """The error an answer carries, or None when it is a success.

    Reads the Open API / OAuth shape (`{"error": -216, "message": ...}`, OAuth adding
    `error_name`, `error_reason`, `error_description`), the Bot Platform shape
    (`{"ok": false, "error_code": ..., "description": ...}`) and, when the body says
    nothing (not JSON, empty), the HTTP status alone.
    """
    if body is None:
        return _http_error(http_status)
    if "ok" in body:
        if body.get("ok") is True:
            return _http_error(http_status) if http_status >= 500 else None
        code = _int_or_none(body.get("error_code"))
        message = _first_text(body, "description", "message") or "Bot Platform call failed"
        if code is None:
            return _http_error(http_status) or ZaloBadRequest(0, message, http_status)
        return _bot_error(code, message, http_status)
    if "error" in body:
        code = _int_or_none(body.get("error"))
        message = _first_text(body, "message", "error_description", "error_reason",
                              "error_name")
        if code is None:
            # Some OAuth answers put a word in `error`; keep it as the message.
            word = body.get("error")
            text = message or (word if isinstance(word, str) else "") or "Zalo call failed"
            return _http_error(http_status) or ZaloBadRequest(0, text, http_status)
        if code == 0:
            return _http_error(http_status) if http_status >= 500 else None
        return _oa_error(code, message or f"error {code}", http_status)
    return _http_error(http_status)
