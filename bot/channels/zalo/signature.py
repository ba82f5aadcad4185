"""Is this webhook request really from Zalo, and is it recent?

OA webhooks carry `X-ZEvent-Signature: mac=<hex>`, where the hex is
sha256(app_id + raw body + timestamp + OA secret key): a plain hash over the
concatenation, not an HMAC, with the `timestamp` taken from the JSON body and the OA
secret key (not the app secret) of the OA the app is linked to. The raw body must be
hashed as received: re-serialised JSON would not match.

Bot Platform webhooks carry the `secret_token` given to setWebhook, verbatim, in
`X-Bot-Api-Secret-Token`.

Both checks compare in constant time. A valid signature does not make a request fresh
(a captured request can be replayed), hence `is_fresh` on the event's own timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

OA_SIGNATURE_HEADER = "X-ZEvent-Signature"
OA_SIGNATURE_PREFIX = "mac="
BOT_SECRET_HEADER = "X-Bot-Api-Secret-Token"


def oa_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The hex digest Zalo puts after `mac=` for this body."""
    digest = hashlib.sha256()
    digest.update(app_id.encode("utf-8"))
    digest.update(raw_body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(oa_secret_key.encode("utf-8"))
    return digest.hexdigest()


def oa_signature_header(app_id: str, raw_body: bytes, timestamp: str,
                        oa_secret_key: str) -> str:
    """The whole header value, `mac=<hex>`, as Zalo sends it."""
    return OA_SIGNATURE_PREFIX + oa_signature(app_id, raw_body, timestamp, oa_secret_key)


def verify_oa_signature(header_value: str | None, app_id: str, raw_body: bytes,
                        timestamp: str, oa_secret_key: str) -> bool:
    """True when `header_value` is the MAC of this body; a missing header is False."""
    if not header_value or not oa_secret_key:
        return False
    value = header_value.strip()
    if value[:len(OA_SIGNATURE_PREFIX)].lower() == OA_SIGNATURE_PREFIX:
        value = value[len(OA_SIGNATURE_PREFIX):]
    expected = oa_signature(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(value.lower().encode("ascii", "replace"),
                               expected.encode("ascii"))


def body_timestamp(raw_body: bytes) -> str | None:
    """The `timestamp` the signature covers, as its digits, or None if there is none.

    Zalo sends it as a string; a JSON integer gives the same digits.
    """
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("timestamp")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value:
        return value
    return None


def verify_oa_request(header_value: str | None, raw_body: bytes, app_id: str,
                      oa_secret_key: str) -> bool:
    """`verify_oa_signature` with the timestamp read from the body itself.

    `app_id` is ours (configured), not the body's: a body claiming another app must fail.
    """
    timestamp = body_timestamp(raw_body)
    if timestamp is None:
        return False
    return verify_oa_signature(header_value, app_id, raw_body, timestamp, oa_secret_key)


def verify_bot_secret(header_value: str | None, secret_token: str) -> bool:
    """True when the Bot Platform secret header matches the secret given to setWebhook."""
    if not header_value or not secret_token:
        return False
    return hmac.compare_digest(header_value.encode("utf-8"), secret_token.encode("utf-8"))


def is_fresh(timestamp_ms: int | str, now: datetime, window_seconds: float) -> bool:
    """True when the event time is within `window_seconds` of `now`, either side.

    Zalo timestamps are milliseconds since the epoch (a string in OA webhooks). A little
    future is allowed for clock skew; anything unreadable is not fresh.
    """
    if isinstance(timestamp_ms, bool):
        return False
    if isinstance(timestamp_ms, str):
        if not timestamp_ms.strip().isdigit():
            return False
        timestamp_ms = int(timestamp_ms.strip())
    now_ms = now.timestamp() * 1000
    return abs(now_ms - timestamp_ms) <= window_seconds * 1000
