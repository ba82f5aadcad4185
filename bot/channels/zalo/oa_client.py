"""A thin client for the Zalo Official Account Open API v3 and its OAuth v4 server.

It knows URLs, headers and body shapes, and turns every failure into a `ZaloError`
subclass; it holds no token of its own. Tokens are arguments because they live in the
database and rotate (a refresh token works once), so the channel owns the policy of
when to refresh, where to store the new pair, and what to do with a dead one.

Nothing here logs or raises a token: log lines name the call and the HTTP status only,
and error messages come from Zalo's error text or fixed strings.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.channels.zalo.errors import (
    ZaloBadRequest,
    ZaloServerError,
    error_from,
    json_object,
)
from bot.channels.zalo.events import ACTION_PREFIX
from bot.channels.zalo.http import SessionClient

log = logging.getLogger("crewbot.zalo.oa")

DEFAULT_API_BASE_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE_URL = "https://oauth.zaloapp.com"
# Zalo expects its webhooks answered within 2 s, but our own calls can wait longer: a
# slow send is still better than a duplicate one from an early timeout and retry.
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)

SEND_CS_PATH = "/v3.0/oa/message/cs"
USER_DETAIL_PATH = "/v3.0/oa/user/detail"
ACCESS_TOKEN_PATH = "/v4/oa/access_token"
# Uploads for consultation messages: multipart field `file`, the `access_token` header,
# answered {"error": 0, "data": {"attachment_id": ...}} for an image (then sent in a
# `media` template) and {"error": 0, "data": {"token": ...}} for a file (then sent as
# an attachment of type `file`). As the official SDKs call them: ZaloDotNetSDK's
# src/sdk/oa/ZaloClient.cs (uploadImageForOfficialAccountAPI,
# uploadFileForOfficialAccountAPI, sendImageMessageToUserIdByAttachmentIdV3,
# sendFileToUserIdV3) and zalo-php-sdk's src/Builder/MessageBuilder.php (its `media`
# and `file` messages); the answers' `data.attachment_id` / `data.token` as the
# open-source integrations read them (an Odoo module, Node.js services). The limits
# (images JPG or PNG up to 1 MB; files PDF, DOC or DOCX up to 5 MB) are those the
# integrations quote (nextlevelbuilder/goclaw's Zalo OA channel; eSMS's "attached
# photo" page for the image limit); Zalo's own pages were not reachable to confirm.
UPLOAD_IMAGE_PATH = "/v2.0/oa/upload/image"
UPLOAD_FILE_PATH = "/v2.0/oa/upload/file"
MAX_IMAGE_BYTES = 1024 * 1024
MAX_FILE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# Limits of a consultation message with buttons (the text limit is
# assumed). Zalo answers an oversized message with an error (-210 "Parameter exceeds
# allowable limit") rather than trimming it, so the channel must split or shorten first.
MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000


@dataclass(frozen=True)
class TokenPair:
    """An OA access token with the refresh token that replaces it, and when it expires.

    The tokens are left out of `repr` so that logging a pair, or an exception holding
    one, does not write them anywhere.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime


def text_message(text: str) -> dict[str, Any]:
    """The `message` of a plain consultation text."""
    return {"text": text}


# A query button Zalo does not echo into the chat: the user sees the reply, not the
# payload "#menu:permits" as if they had typed it. The official SDKs build it
# (ZaloDotNetSDK QueryHideButton, zalo-php-sdk buildActionQueryHide).
QUERY_BUTTON_TYPE = "oa.query.hide"


def query_button(title: str, action: str) -> dict[str, Any]:
    """An `oa.query.hide` button: pressing it sends `#<action>` to the OA, unseen.

    Zalo delivers that as an ordinary `user_send_text` whose text is the payload, so
    the prefix is what lets `parse_oa_event` tell a pressed button from typed text.
    """
    payload = ACTION_PREFIX + action
    if len(title) > MAX_BUTTON_TITLE:
        raise ValueError(f"button title over {MAX_BUTTON_TITLE} characters")
    if len(payload) > MAX_BUTTON_PAYLOAD:
        raise ValueError(f"button action over {MAX_BUTTON_PAYLOAD - len(ACTION_PREFIX)} "
                         "characters")
    return {"title": title, "type": QUERY_BUTTON_TYPE, "payload": payload}


def link_button(title: str, url: str) -> dict[str, Any]:
    """An `oa.open.url` button, which opens `url` and sends nothing back to the OA."""
    if len(title) > MAX_BUTTON_TITLE:
        raise ValueError(f"button title over {MAX_BUTTON_TITLE} characters")
    return {"title": title, "type": "oa.open.url", "payload": {"url": url}}


def buttons_message(text: str,
                    buttons: Sequence[tuple[str, str] | Mapping[str, Any]]) -> dict[str, Any]:
    """A text with up to five buttons under it.

    `(title, action)` pairs become `oa.query.hide` buttons; ready-made button dicts
    (`link_button(...)`) are taken as they are. The shape is the text message plus an
    `attachment` of type `template` whose `payload` holds only `buttons`.
    """
    if not buttons:
        return text_message(text)
    if len(buttons) > MAX_BUTTONS:
        raise ValueError(f"at most {MAX_BUTTONS} buttons per Zalo message")
    built = [dict(b) if isinstance(b, Mapping) else query_button(*b) for b in buttons]
    return {"text": text,
            "attachment": {"type": "template", "payload": {"buttons": built}}}


def image_message(url: str, text: str = "") -> dict[str, Any]:
    """An image by URL (the `media` template), with an optional text above it."""
    message: dict[str, Any] = {
        "attachment": {"type": "template", "payload": {
            "template_type": "media",
            "elements": [{"media_type": "image", "url": url}],
        }},
    }
    if text:
        message["text"] = text
    return message


def uploaded_image_message(attachment_id: str) -> dict[str, Any]:
    """An image uploaded with `upload_image`, by its `attachment_id` (`media` template)."""
    return {"attachment": {"type": "template", "payload": {
        "template_type": "media",
        "elements": [{"media_type": "image", "attachment_id": attachment_id}],
    }}}


def file_message(token: str) -> dict[str, Any]:
    """A file uploaded with `upload_file`, by its `token`."""
    return {"attachment": {"type": "file", "payload": {"token": token}}}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


class OAClient(SessionClient):
    """Calls to one Zalo app's OA API over one `aiohttp.ClientSession`.

    The session is created on first use (or passed in, and then left open for its
    owner); `close()` releases the one this client made.
    """

    def __init__(self, app_id: str, app_secret: str, *,
                 api_base_url: str = DEFAULT_API_BASE_URL,
                 oauth_base_url: str = DEFAULT_OAUTH_BASE_URL,
                 session: aiohttp.ClientSession | None = None,
                 timeout: aiohttp.ClientTimeout | None = None,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.api_base_url = (api_base_url or DEFAULT_API_BASE_URL).rstrip("/")
        self.oauth_base_url = (oauth_base_url or DEFAULT_OAUTH_BASE_URL).rstrip("/")
        super().__init__(session, timeout or DEFAULT_TIMEOUT)
        self._clock = clock

    def __repr__(self) -> str:
        return (f"OAClient(app_id={self.app_id!r}, api_base_url={self.api_base_url!r}, "
                f"oauth_base_url={self.oauth_base_url!r})")
    async def _call(self, name: str, method: str, url: str, *,
                    headers: Mapping[str, str],
                    json_body: Mapping[str, Any] | None = None,
                    form: Mapping[str, str] | aiohttp.FormData | None = None,
                    params: Mapping[str, str] | None = None) -> dict[str, Any]:
        status, raw = await self._fetch(name, method, url, headers=dict(headers),
                                        json=json_body, data=form, params=params)
        body = json_object(raw)
        error = error_from(body, status)
        log.debug("zalo call=%s status=%s error=%s", name, status,
                  error.code if error is not None else 0)
        if error is not None:
            raise error
        if body is None:
            raise ZaloServerError(0, f"{name}: answer is not a JSON object", status)
        return body

    async def send_cs(self, access_token: str, user_id: str,
                      message: Mapping[str, Any]) -> str:
        """Send a consultation message and return Zalo's `message_id` for it.

        Consultation messages only reach users who wrote to the OA recently; outside
        that window Zalo answers -230 (`ZaloOutsideWindow`).
        """
        body = await self._call(
            "message/cs", "POST", self.api_base_url + SEND_CS_PATH,
            headers={"access_token": access_token},
            json_body={"recipient": {"user_id": user_id}, "message": dict(message)})
        data = body.get("data")
        message_id = data.get("message_id") if isinstance(data, dict) else None
        if not isinstance(message_id, str) or not message_id:
            # Zalo said success, so the message is out: sending it again would repeat it.
            log.warning("zalo call=message/cs status=ok message_id=missing")
            return ""
        return message_id

    async def upload_image(self, access_token: str, data: bytes, name: str,
                           content_type: str) -> str:
        """Upload a JPG or PNG (up to 1 MB) and return its `attachment_id`."""
        return await self._upload("upload/image", UPLOAD_IMAGE_PATH, "attachment_id",
                                  access_token, data, name, content_type)

    async def upload_file(self, access_token: str, data: bytes, name: str,
                          content_type: str) -> str:
        """Upload a PDF, DOC or DOCX (up to 5 MB) and return its `token`."""
        return await self._upload("upload/file", UPLOAD_FILE_PATH, "token", access_token,
                                  data, name, content_type)

    async def _upload(self, name: str, path: str, key: str, access_token: str,
                      data: bytes, filename: str, content_type: str) -> str:
        # A new form each call (a form is sent once). The name goes as it is, UTF-8 in
        # quotes as browsers send it, not percent-encoded: "Tờ khai.pdf" stays readable.
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", data, filename=filename, content_type=content_type)
        body = await self._call(name, "POST", self.api_base_url + path,
                                headers={"access_token": access_token}, form=form)
        answer = body.get("data")
        value = answer.get(key) if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            # Nothing to send without it; an upload repeated later costs nothing.
            raise ZaloServerError(0, f"{name}: answer without {key}")
        log.info("zalo call=%s bytes=%s", name, len(data))
        return value

    async def get_profile(self, access_token: str, user_id: str) -> dict[str, Any]:
        """The user's profile (`display_name`, `avatars`, `user_is_follower`...)."""
        body = await self._call(
            "user/detail", "GET", self.api_base_url + USER_DETAIL_PATH,
            headers={"access_token": access_token},
            params={"data": json.dumps({"user_id": user_id})})
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Trade a refresh token for a new access token AND a new refresh token.

        The old refresh token stops working: store the returned pair before using it,
        or a crash in between loses the OA until someone authorizes the app again.
        A dead refresh token raises `ZaloRefreshTokenInvalid`.
        """
        body = await self._call(
            "oauth/refresh", "POST", self.oauth_base_url + ACCESS_TOKEN_PATH,
            headers={"secret_key": self._app_secret},
            form={"refresh_token": refresh_token, "app_id": self.app_id,
                  "grant_type": "refresh_token"})
        return self._token_pair(body)

    async def authorize(self, code: str, code_verifier: str | None = None) -> TokenPair:
        """Exchange the authorization code an OA admin obtained for the first pair."""
        form = {"code": code, "app_id": self.app_id, "grant_type": "authorization_code"}
        if code_verifier:
            form["code_verifier"] = code_verifier
        body = await self._call(
            "oauth/authorize", "POST", self.oauth_base_url + ACCESS_TOKEN_PATH,
            headers={"secret_key": self._app_secret}, form=form)
        return self._token_pair(body)

    def _token_pair(self, body: Mapping[str, Any]) -> TokenPair:
        access = body.get("access_token")
        refresh = body.get("refresh_token")
        seconds = _seconds(body.get("expires_in"))
        if isinstance(access, str) and access and isinstance(refresh, str) and refresh \
                and seconds is not None:
            return TokenPair(access, refresh, self._clock() + timedelta(seconds=seconds))
        missing = [name for name, ok in (("access_token", isinstance(access, str) and access),
                                         ("refresh_token", isinstance(refresh, str) and refresh),
                                         ("expires_in", seconds is not None)) if not ok]
        # Name the fields only: the body itself may hold half a token pair.
        raise ZaloBadRequest(0, "token answer without " + ", ".join(missing))
