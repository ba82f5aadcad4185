"""Zalo webhook and poll bodies as one small value, `ZaloEvent`, or `MalformedEvent`.

Both Zalo products describe "a user did something" in their own JSON; the channel
wants one shape to turn into `Incoming` and to deduplicate on (`msg_id`). Parsing is
pure (no I/O, no clock), so the webhook route can decide what to answer before it
writes anything, and tests can feed bodies straight in.

Field names follow what Zalo's docs and the integrations built on them show. OA
webhooks carry `event_name`, `app_id`, `sender.id`, `recipient.id`, `follower.id`,
`message.msg_id`, `message.text`, `message.attachments[].payload` and `timestamp`
(milliseconds, as a string). A shared location sits in
`attachments[].payload.coordinates` as `latitude` / `longitude` strings (chatwoot's
Zalo::IncomingMessageService, ChatbotX's Zalo webhook schema); numbers, `lat` / `long`
and a `message.location` object are accepted too, because third-party write-ups show
them. A business card puts the card's name in `message.text` and its phone number in a
JSON string in `payload.description` (chatwoot's Zalo::Messages::BusinessCardService).

Bot Platform updates carry `event_name` and `message` with `message_id`, `from.id`,
`from.is_bot`, `chat.id`, `chat.chat_type` (PRIVATE or GROUP), `text`, `caption`,
`photo_url` (or `photo`), `sticker`, `voice_url` and `date` (milliseconds), either at
the top level or under `{"ok": true, "result": ...}` (the documented webhook body).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Our convention for OA query buttons: the payload is "#" + action. Zalo delivers a
# pressed `oa.query.hide` button as an ordinary `user_send_text` whose text is the
# payload (it is only hidden from the chat), so only a marker tells it from typed
# text. "#" is also what the OA webhook's optional syntax filter keys on, and what
# Zalo's own samples use for payloads.
ACTION_PREFIX = "#"

KINDS = frozenset({"text", "button", "follow", "unfollow", "image", "sticker", "location",
                   "file", "audio", "video", "link", "contact", "other"})

_OA_USER_EVENTS = {
    "user_send_text": "text",
    "user_send_image": "image",
    "user_send_gif": "image",
    "user_send_sticker": "sticker",
    "user_send_location": "location",
    "user_send_file": "file",
    "user_send_audio": "audio",
    "user_send_video": "video",
    "user_send_link": "link",
    "user_send_business_card": "contact",
}
_OA_FOLLOW_EVENTS = {"follow": "follow", "unfollow": "unfollow"}

_BOT_EVENTS = {
    "message.text.received": "text",
    "message.image.received": "image",
    "message.sticker.received": "sticker",
    "message.voice.received": "audio",
}
# Documented, carries a message, but no content to read (Zalo withholds it).
BOT_UNSUPPORTED = "message.unsupported.received"


class MalformedEvent(ValueError):
    """The body is not an event we can trust: a required field is missing or mistyped."""


@dataclass(frozen=True, slots=True)
class ZaloEvent:
    """One thing a Zalo user did, whichever product reported it.

    `kind` is one of `KINDS`; anything Zalo may add later is "other", which is valid
    (answer 200, ignore). `chat_id` is where a reply goes: the user's id on the OA API
    (chats are one to one), the chat's id on the Bot Platform. `msg_id` identifies the
    event for deduplication; events without one (follow) get `event:user:timestamp`.
    `payload` is a pressed button's action (a Bot Platform sticker's id); `attachment_url`
    the image, sticker, file, voice or link; `is_group` is a Bot Platform group chat.
    `text` of a business card ("contact") is the card's name, not words the user wrote.
    """

    kind: str
    event_name: str
    user_id: str
    chat_id: str
    msg_id: str
    text: str
    timestamp_ms: int
    payload: str = ""
    latitude: float | None = None
    longitude: float | None = None
    language_hint: str = ""
    display_name: str = ""
    app_id: str = ""
    attachment_url: str = ""
    is_group: bool = False


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{where} is not an object")
    return value


def _optional_object(parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    return _object(value, where)


def _id(value: Any, where: str, *, required: bool) -> str:
    """Zalo ids are strings of digits or hex; a JSON number is accepted as the same id."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or value == "":
        if required:
            raise MalformedEvent(f"{where} is missing")
        return ""
    raise MalformedEvent(f"{where} is not a string")


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent(f"{where} is not a string")
    return value


def _millis(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise MalformedEvent(f"{where} is not a number")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str) and value.strip().isdigit():
        result = int(value.strip())
    elif value is None:
        raise MalformedEvent(f"{where} is missing")
    else:
        raise MalformedEvent(f"{where} is not a number")
    # A value in seconds (ten digits until 2286) is read as seconds, not 1970.
    return result * 1000 if 0 < result < 100_000_000_000 else result


def _coordinate(value: Any, where: str) -> float:
    if isinstance(value, bool) or value is None:
        raise MalformedEvent(f"{where} is missing")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MalformedEvent(f"{where} is not a number") from None


def _event_name(body: Mapping[str, Any]) -> str:
    name = body.get("event_name")
    if not isinstance(name, str) or not name:
        raise MalformedEvent("event_name is missing")
    return name


def _attachments(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = message.get("attachments")
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedEvent("message.attachments is not a list")
    return [_object(item, "message.attachments[]") for item in value]


def _attachment_url(attachments: list[Mapping[str, Any]]) -> str:
    for attachment in attachments:
        payload = attachment.get("payload")
        if isinstance(payload, Mapping):
            url = payload.get("url")
            if isinstance(url, str) and url:
                return url
    return ""


def _oa_location(message: Mapping[str, Any],
                 attachments: list[Mapping[str, Any]]) -> tuple[float, float]:
    """Coordinates from `attachments[].payload.coordinates` (or `message.location`)."""
    candidates: list[Any] = []
    for attachment in attachments:
        payload = attachment.get("payload")
        if isinstance(payload, Mapping):
            candidates.append(payload.get("coordinates"))
    candidates.append(message.get("location"))
    for candidate in candidates:
        if isinstance(candidate, Mapping):
            lat = candidate.get("latitude", candidate.get("lat"))
            lon = candidate.get("longitude", candidate.get("long", candidate.get("lng")))
            return (_coordinate(lat, "latitude"), _coordinate(lon, "longitude"))
    raise MalformedEvent("location event without coordinates")


def parse_oa_event(body: Any) -> ZaloEvent:
    """An OA webhook body as a `ZaloEvent`; raises `MalformedEvent` if it cannot be one."""
    body = _object(body, "body")
    name = _event_name(body)
    timestamp = _millis(body.get("timestamp"), "timestamp")
    app_id = _id(body.get("app_id"), "app_id", required=False)
    sender = _optional_object(body, "sender", "sender")
    recipient = _optional_object(body, "recipient", "recipient")
    follower = _optional_object(body, "follower", "follower")
    message = _optional_object(body, "message", "message")

    if name in _OA_FOLLOW_EVENTS:
        user_id = _id(follower.get("id"), "follower.id", required=True)
        return ZaloEvent(kind=_OA_FOLLOW_EVENTS[name], event_name=name, user_id=user_id,
                         chat_id=user_id, msg_id=f"{name}:{user_id}:{timestamp}", text="",
                         timestamp_ms=timestamp, app_id=app_id)

    if name in _OA_USER_EVENTS:
        kind = _OA_USER_EVENTS[name]
        user_id = _id(sender.get("id"), "sender.id", required=True)
        if not message:
            raise MalformedEvent("message is missing")
        msg_id = _id(message.get("msg_id"), "message.msg_id", required=True)
        text = _text(message.get("text"), "message.text")
        attachments = _attachments(message)
        payload = ""
        latitude = longitude = None
        if kind == "text" and text.startswith(ACTION_PREFIX) and len(text) > len(ACTION_PREFIX):
            kind, payload = "button", text[len(ACTION_PREFIX):]
        elif kind == "location":
            latitude, longitude = _oa_location(message, attachments)
        return ZaloEvent(kind=kind, event_name=name, user_id=user_id, chat_id=user_id,
                         msg_id=msg_id, text=text, timestamp_ms=timestamp, payload=payload,
                         latitude=latitude, longitude=longitude, app_id=app_id,
                         attachment_url=_attachment_url(attachments))

    # Anything else (the OA's own messages echoed as oa_send_*, seen/received receipts,
    # links, audio...) is "other". The user is whoever is not the OA: the recipient of
    # oa_* events, the sender or follower otherwise.
    user_field = recipient if name.startswith("oa_") else (sender or follower)
    user_id = _id(user_field.get("id"), "user id", required=False)
    msg_id = _id(message.get("msg_id"), "message.msg_id", required=False)
    return ZaloEvent(kind="other", event_name=name, user_id=user_id, chat_id=user_id,
                     msg_id=msg_id or f"{name}:{user_id}:{timestamp}",
                     text=_text(message.get("text"), "message.text"),
                     timestamp_ms=timestamp, app_id=app_id,
                     attachment_url=_attachment_url(_attachments(message)))


def unwrap_bot_update(body: Any) -> Mapping[str, Any]:
    """The update itself, from a flat body or from `{"ok": true, "result": {...}}`."""
    outer = _object(body, "body")
    if "ok" in outer and "event_name" not in outer:
        if outer.get("ok") is not True:
            raise MalformedEvent("an error answer, not an update")
        return _object(outer.get("result"), "result")
    return outer


def _bare_other(name: str) -> ZaloEvent:
    return ZaloEvent(kind="other", event_name=name, user_id="", chat_id="", msg_id="",
                     text="", timestamp_ms=0)


def parse_bot_update(body: Any) -> ZaloEvent:
    """A Bot Platform update (flat or wrapped) as a `ZaloEvent`, or `MalformedEvent`.

    An event name the docs do not list is "other" whatever its message looks like:
    Zalo may add events, and one we would ignore anyway must not count as broken.
    """
    update = unwrap_bot_update(body)
    name = _event_name(update)
    if name not in _BOT_EVENTS and name != BOT_UNSUPPORTED:
        return _bare_other(name)
    kind = _BOT_EVENTS.get(name, "other")
    message = _optional_object(update, "message", "message")
    if not message:
        if kind == "other":
            return _bare_other(name)
        raise MalformedEvent("message is missing")
    sender = _object(message.get("from"), "message.from")
    chat = _object(message.get("chat"), "message.chat")
    user_id = _id(sender.get("id"), "message.from.id", required=True)
    chat_id = _id(chat.get("id"), "message.chat.id", required=True)
    msg_id = _id(message.get("message_id"), "message.message_id", required=True)
    timestamp = _millis(message.get("date"), "message.date")
    text = _text(message.get("text"), "message.text")
    if kind in ("image", "audio") and not text:
        text = _text(message.get("caption"), "message.caption")
    display_name = ""
    for key in ("display_name", "name", "first_name"):
        display_name = _text(sender.get(key), f"message.from.{key}")
        if display_name:
            break
    url = ""
    for key in ("photo_url", "photo", "voice_url", "url"):
        candidate = message.get(key)
        if isinstance(candidate, str) and candidate:
            url = candidate
            break
    payload = ""
    if kind == "sticker":
        payload = _text(message.get("sticker"), "message.sticker")
    if sender.get("is_bot") is True:
        kind = "other"  # another bot in a group: answering it could start a loop
    language = sender.get("language_code")
    chat_type = chat.get("chat_type")
    return ZaloEvent(kind=kind, event_name=name, user_id=user_id, chat_id=chat_id,
                     msg_id=msg_id, text=text, timestamp_ms=timestamp, payload=payload,
                     language_hint=language if isinstance(language, str) else "",
                     display_name=display_name, attachment_url=url,
                     is_group=isinstance(chat_type, str) and chat_type.upper() == "GROUP")


def update_id(body: Any) -> str:
    """The message id of a poll or webhook body, however broken the rest is, for logs."""
    try:
        update = unwrap_bot_update(body)
        message = update.get("message")
        if isinstance(message, Mapping):
            value = message.get("message_id")
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)[:64]
    except MalformedEvent:
        pass
    return "?"
