"""The Zalo clients, webhook signature and event parsing, against the fake Zalo servers.

Real HTTP on 127.0.0.1, real clients, nothing patched. No test waits on the clock:
long polls are awaited through the fake's `wait_for`, idle polls use timeout 0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.base import Media, Undeliverable
from bot.channels.zalo.bot_client import BotClient
from bot.channels.zalo.errors import (
    ZaloBadRequest,
    ZaloError,
    ZaloOutsideWindow,
    ZaloQuotaExceeded,
    ZaloRateLimited,
    ZaloRefreshTokenInvalid,
    ZaloServerError,
    ZaloTokenInvalid,
    ZaloUserUnreachable,
    error_from,
)
from bot.channels.zalo.events import (
    MalformedEvent,
    ZaloEvent,
    parse_bot_update,
    parse_oa_event,
    update_id,
)
from bot.channels.zalo.oa import Upload, identify, upload_limit
from bot.channels.zalo.oa_client import (
    OAClient,
    buttons_message,
    file_message,
    image_message,
    link_button,
    text_message,
    uploaded_image_message,
)
from bot.channels.zalo.signature import (
    BOT_SECRET_HEADER,
    OA_SIGNATURE_HEADER,
    is_fresh,
    oa_signature,
    oa_signature_header,
    verify_bot_secret,
    verify_oa_request,
    verify_oa_signature,
)
from bot.messages import Attachment
from tests.fakes.zalo_api import FakeZaloBot, FakeZaloOA, SentOA

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake


@pytest.fixture
async def oa_client(oa: FakeZaloOA) -> AsyncIterator[OAClient]:
    client = OAClient(oa.app_id, oa.app_secret, api_base_url=oa.base_url,
                      oauth_base_url=oa.base_url, clock=lambda: NOW)
    yield client
    await client.close()


@pytest.fixture
async def bot() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot() as fake:
        yield fake


@pytest.fixture
async def bot_client(bot: FakeZaloBot) -> AsyncIterator[BotClient]:
    client = BotClient(bot.token, base_url=bot.base_url)
    yield client
    await client.close()


def dead_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes


@dataclass
class Receiver:
    """A stand-in for our webhook route: answers what `check` says, keeps every request."""

    check: Callable[[web.Request, bytes], int]
    requests: list[Received] = field(default_factory=list)
    server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(Received(dict(request.headers), raw))
        return web.Response(status=self.check(request, raw))

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.server = TestServer(app)
        await self.server.start_server()
        return str(self.server.make_url("/hook"))

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()


@pytest.fixture
async def receiver_factory() -> AsyncIterator[Callable[[Callable[[web.Request, bytes], int]],
                                                       Awaitable[tuple[Receiver, str]]]]:
    started: list[Receiver] = []

    async def make(check: Callable[[web.Request, bytes], int]) -> tuple[Receiver, str]:
        receiver = Receiver(check)
        url = await receiver.start()
        started.append(receiver)
        return receiver, url

    yield make
    for receiver in started:
        await receiver.close()


# -- OA: sending -------------------------------------------------------------------------


async def test_send_cs_text(oa: FakeZaloOA, oa_client: OAClient) -> None:
    message_id = await oa_client.send_cs(oa.access_token, "6142494823", text_message("Xin chào"))
    assert message_id
    assert oa.sent == [SentOA("6142494823", {"text": "Xin chào"}, message_id)]
    call = oa.calls[-1]
    assert call.params["body"]["recipient"] == {"user_id": "6142494823"}


async def test_send_cs_buttons_and_pressing_one(oa: FakeZaloOA, oa_client: OAClient) -> None:
    message = buttons_message("What do you need?", [
        ("Permits", "menu:permits"), ("Vendors", "menu:vendors"),
        link_button("Map", "https://maps.example/hanoi"),
    ])
    await oa_client.send_cs(oa.access_token, "u1", message)
    sent = oa.sent[0].message
    assert sent["text"] == "What do you need?"
    assert sent["attachment"]["type"] == "template"
    buttons = sent["attachment"]["payload"]["buttons"]
    assert buttons[0] == {"title": "Permits", "type": "oa.query.hide", "payload": "#menu:permits"}
    assert buttons[2] == {"title": "Map", "type": "oa.open.url",
                          "payload": {"url": "https://maps.example/hanoi"}}
    # Pressing a query button sends its payload as a text, hidden from the chat.
    event = oa.press("u1", oa.sent[0], "Vendors")
    assert event is not None and event["event_name"] == "user_send_text"
    pressed = parse_oa_event(event)
    assert (pressed.kind, pressed.payload, pressed.user_id) == ("button", "menu:vendors", "u1")
    assert oa.shown_as_user("u1") == []
    assert oa.press("u1", oa.sent[0], "Map") is None  # a link opens, sends nothing


async def test_send_cs_refuses_a_button_type_zalo_does_not_have(
        oa: FakeZaloOA, oa_client: OAClient) -> None:
    message = buttons_message("?", [{"title": "x", "type": "oa.query.maybe", "payload": "#x"}])
    with pytest.raises(ZaloBadRequest):
        await oa_client.send_cs(oa.access_token, "u1", message)


def test_message_builders_refuse_what_zalo_would() -> None:
    with pytest.raises(ValueError):
        buttons_message("too many", [(f"b{i}", f"a{i}") for i in range(6)])
    with pytest.raises(ValueError):
        buttons_message("long", [("x" * 101, "a")])
    assert buttons_message("no buttons", []) == {"text": "no buttons"}
    image = image_message("https://img.example/a.jpg", "caption")
    assert image["attachment"]["payload"]["elements"] == [
        {"media_type": "image", "url": "https://img.example/a.jpg"}]


async def test_uploaded_image_and_file_are_sent_by_the_ids_zalo_hands_out(
        oa: FakeZaloOA, oa_client: OAClient) -> None:
    """`/v2.0/oa/upload/image` answers an `attachment_id` for a `media` template,
    `/v2.0/oa/upload/file` a `token` for a `file` attachment (the SDKs' shapes)."""
    jpeg, pdf = b"\xff\xd8\xff\xe0 photo", b"%PDF-1.7 form"
    image_id = await oa_client.upload_image(oa.access_token, jpeg, "bản đồ.jpg", "image/jpeg")
    token = await oa_client.upload_file(oa.access_token, pdf, "Tờ khai.pdf", "application/pdf")
    assert [(u.kind, u.filename, u.content_type, u.data, u.id) for u in oa.uploads] == [
        ("image", "bản đồ.jpg", "image/jpeg", jpeg, image_id),
        ("file", "Tờ khai.pdf", "application/pdf", pdf, token)]
    assert oa.calls_to("upload/image")[0].params["access_token"] == oa.access_token
    await oa_client.send_cs(oa.access_token, "u1", uploaded_image_message(image_id))
    await oa_client.send_cs(oa.access_token, "u1", file_message(token))
    assert oa.sent[0].message == {"attachment": {"type": "template", "payload": {
        "template_type": "media",
        "elements": [{"media_type": "image", "attachment_id": image_id}]}}}
    assert oa.sent[1].message == {"attachment": {"type": "file", "payload": {"token": token}}}
    assert oa.attachments_to("u1") == [("image", oa.uploads[0]), ("file", oa.uploads[1])]


async def test_uploads_zalo_refuses(oa: FakeZaloOA, oa_client: OAClient) -> None:
    with pytest.raises(ZaloBadRequest) as big:  # over 1 MB
        await oa_client.upload_image(oa.access_token, bytes(1024 * 1024 + 1), "a.jpg",
                                     "image/jpeg")
    assert big.value.code == -210
    with pytest.raises(ZaloBadRequest):  # over 5 MB
        await oa_client.upload_file(oa.access_token, bytes(5 * 1024 * 1024 + 1), "a.pdf",
                                    "application/pdf")
    with pytest.raises(ZaloBadRequest) as kind:
        await oa_client.upload_file(oa.access_token, b"PK\x03\x04", "a.xlsx",
                                    "application/octet-stream")
    assert kind.value.code == -201
    oa.expire_access_token()
    with pytest.raises(ZaloTokenInvalid):
        await oa_client.upload_image(oa.access_token, b"\xff\xd8\xff", "a.jpg", "image/jpeg")
    oa.fail("upload/file", 502)
    with pytest.raises(ZaloServerError):
        await oa_client.upload_file("any", b"%PDF-", "a.pdf", "application/pdf")
    assert oa.uploads == []
    # Ids it never handed out are refused at message/cs.
    new = await oa_client.refresh(oa.refresh_token)
    for message in (uploaded_image_message("0123456789abcdef0123"), file_message("nope")):
        with pytest.raises(ZaloBadRequest):
            await oa_client.send_cs(new.access_token, "u1", message)


def test_what_a_file_from_another_platform_goes_to_zalo_as() -> None:
    """Told by the name before fetching and by the first bytes after: JPG/PNG as an
    image up to 1 MB, PDF/DOC/DOCX as a file up to 5 MB, nothing else."""
    def attachment(name: str, kind: str = "document") -> Attachment:
        return Attachment(kind, "file-id", name, "telegram")

    assert upload_limit(attachment("", "photo")) == 1024 * 1024
    assert upload_limit(attachment("map.PNG")) == 1024 * 1024
    assert upload_limit(attachment("form.docx")) == upload_limit(attachment("")) == 5 * 2**20
    with pytest.raises(Undeliverable, match=r"budget\.xlsx is not one of them"):
        upload_limit(attachment("budget.xlsx"))
    jpeg, zipped = b"\xff\xd8\xff\xe0" + bytes(100), b"PK\x03\x04" + bytes(100)
    assert identify(attachment("", "photo"), Media(jpeg, "file_3.jpg")) == Upload(
        True, "file_3.jpg", "image/jpeg")
    assert identify(attachment("map.png"), Media(jpeg, "map.png")) == Upload(
        True, "map.jpg", "image/jpeg")  # named as it is
    assert identify(attachment("Tờ khai.docx"), Media(zipped, "Tờ khai.docx")).content_type \
        == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert identify(attachment(""), Media(b"%PDF-1.4", "file_9")) == Upload(
        False, "file_9.pdf", "application/pdf")
    with pytest.raises(Undeliverable):  # a ZIP that does not say it is a DOCX
        identify(attachment(""), Media(zipped, "file_10"))
    with pytest.raises(Undeliverable, match=r"the photo is 1\.4 MB; Zalo takes images up to 1 MB"):
        identify(attachment("", "photo"), Media(jpeg + bytes(1_500_000), "file_4.jpg"))


async def test_expired_access_token_is_token_invalid(oa: FakeZaloOA,
                                                     oa_client: OAClient) -> None:
    token = oa.access_token
    oa.expire_access_token()
    with pytest.raises(ZaloTokenInvalid) as info:
        await oa_client.send_cs(token, "u1", text_message("hi"))
    assert info.value.code == -216
    assert info.value.http_status == 200  # Zalo reports errors inside HTTP 200
    assert not info.value.retryable
    assert token not in str(info.value) and token not in repr(info.value)
    assert oa.sent == []


async def test_refresh_rotates_both_tokens(oa: FakeZaloOA, oa_client: OAClient) -> None:
    first = oa.refresh_token
    pair = await oa_client.refresh(first)
    assert pair.access_token == oa.access_token and pair.refresh_token == oa.refresh_token
    assert pair.refresh_token != first
    assert pair.expires_at == NOW + timedelta(seconds=90000)
    assert first not in repr(pair) and pair.access_token not in repr(pair)
    assert await oa_client.send_cs(pair.access_token, "u1", text_message("hi"))

    with pytest.raises(ZaloRefreshTokenInvalid) as info:
        await oa_client.refresh(first)  # single use: the old one is dead
    assert info.value.code == -14014
    assert first not in str(info.value)
    assert oa.refreshes == 1

    again = await oa_client.refresh(pair.refresh_token)
    assert again.refresh_token != pair.refresh_token and oa.refreshes == 2


async def test_authorize_exchanges_a_code_once(oa: FakeZaloOA, oa_client: OAClient) -> None:
    oa.add_authorization_code("auth-code-1", "verifier-43-chars")
    pair = await oa_client.authorize("auth-code-1", "verifier-43-chars")
    assert pair.access_token == oa.access_token
    assert oa.calls[-1].params["grant_type"] == "authorization_code"
    with pytest.raises(ZaloBadRequest):
        await oa_client.authorize("auth-code-1", "verifier-43-chars")


async def test_wrong_app_secret_is_refused(oa: FakeZaloOA) -> None:
    async with OAClient(oa.app_id, "not-the-secret", api_base_url=oa.base_url,
                        oauth_base_url=oa.base_url) as client:
        with pytest.raises(ZaloBadRequest) as info:
            await client.refresh(oa.refresh_token)
    assert "not-the-secret" not in str(info.value)
    assert oa.refreshes == 0


@pytest.mark.parametrize(("error", "kind", "retryable"), [
    (-32, ZaloRateLimited, True),
    (-216, ZaloTokenInvalid, False),
    (-220, ZaloTokenInvalid, False),
    (-230, ZaloOutsideWindow, False),
    (-232, ZaloOutsideWindow, False),
    (-211, ZaloQuotaExceeded, False),
    (-213, ZaloUserUnreachable, False),
    (-201, ZaloBadRequest, False),
    (500, ZaloServerError, True),
    (502, ZaloServerError, True),
])
async def test_send_cs_errors_are_typed(oa: FakeZaloOA, oa_client: OAClient, error: int,
                                        kind: type[ZaloError], retryable: bool) -> None:
    oa.fail("message/cs", error)
    with pytest.raises(kind) as info:
        await oa_client.send_cs(oa.access_token, "u1", text_message("hi"))
    assert type(info.value) is kind
    assert info.value.retryable is retryable
    # The failure was injected once: the same send now goes through.
    assert await oa_client.send_cs(oa.access_token, "u1", text_message("hi"))
    assert len(oa.sent) == 1


async def test_failure_limited_to_one_user(oa: FakeZaloOA, oa_client: OAClient) -> None:
    oa.fail("cs", -230, user_id="u2")
    await oa_client.send_cs(oa.access_token, "u1", text_message("one"))
    with pytest.raises(ZaloOutsideWindow):
        await oa_client.send_cs(oa.access_token, "u2", text_message("two"))
    assert [s.user_id for s in oa.sent] == ["u1"]


async def test_network_error_and_timeout_are_server_errors(oa: FakeZaloOA) -> None:
    async with OAClient(oa.app_id, oa.app_secret, api_base_url=dead_url(),
                        oauth_base_url=dead_url()) as client:
        with pytest.raises(ZaloServerError) as info:
            await client.send_cs(oa.access_token, "u1", text_message("hi"))
    assert info.value.retryable and info.value.code == 0
    assert oa.access_token not in str(info.value)

    oa.delay("message/cs", 60)
    async with OAClient(oa.app_id, oa.app_secret, api_base_url=oa.base_url,
                        oauth_base_url=oa.base_url,
                        timeout=aiohttp.ClientTimeout(total=0.2)) as client:
        with pytest.raises(ZaloServerError):
            await client.send_cs(oa.access_token, "u1", text_message("hi"))
    assert oa.sent == []


async def test_get_profile(oa: FakeZaloOA, oa_client: OAClient) -> None:
    oa.profiles["u7"] = {"user_id": "u7", "display_name": "Minh Anh"}
    profile = await oa_client.get_profile(oa.access_token, "u7")
    assert profile["display_name"] == "Minh Anh"
    oa.expire_access_token()
    with pytest.raises(ZaloTokenInvalid):
        await oa_client.get_profile(oa.access_token, "u7")


async def test_concurrent_sends_are_all_recorded(oa: FakeZaloOA,
                                                 oa_client: OAClient) -> None:
    sends = [asyncio.create_task(oa_client.send_cs(oa.access_token, f"u{i}",
                                                   text_message(str(i)))) for i in range(5)]
    await oa.wait_for(lambda fake: len(fake.sent) == 5)
    ids = await asyncio.gather(*sends)
    assert sorted(s.message_id for s in oa.sent) == sorted(ids)


async def test_no_token_in_log_lines(oa: FakeZaloOA, oa_client: OAClient, bot: FakeZaloBot,
                                     bot_client: BotClient,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    first_access, first_refresh = oa.access_token, oa.refresh_token
    await oa_client.send_cs(first_access, "u1", text_message("hi"))
    pair = await oa_client.refresh(first_refresh)
    oa.expire_access_token()
    with pytest.raises(ZaloTokenInvalid):
        await oa_client.send_cs(pair.access_token, "u1", text_message("hi"))
    await bot_client.send_message("chat-1", "hi")
    await bot_client.get_updates(timeout=0)
    assert caplog.records  # the clients did log
    for secret in (first_access, first_refresh, pair.access_token, pair.refresh_token,
                   oa.app_secret, bot.token, bot.token.split(":")[1]):
        assert secret not in caplog.text


# -- error bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "status", "expected"), [
    ({"error": 0, "message": "Success", "data": {}}, 200, None),
    ({"access_token": "a", "refresh_token": "r", "expires_in": "90000"}, 200, None),
    ({"error": -216, "message": "Access token is invalid"}, 200, ZaloTokenInvalid),
    ({"error": "-220", "message": "expired"}, 200, ZaloTokenInvalid),
    ({"error": -14014, "error_name": "Invalid refresh token"}, 200, ZaloRefreshTokenInvalid),
    ({"error": -14020, "error_description": "expired"}, 400, ZaloRefreshTokenInvalid),
    ({"error": -999, "message": "?"}, 200, ZaloBadRequest),
    ({"ok": True, "result": {}}, 200, None),
    ({"ok": False, "error_code": 401, "description": "Unauthorized"}, 200, ZaloTokenInvalid),
    ({"ok": False, "error_code": 429, "description": "slow down"}, 200, ZaloRateLimited),
    ({"ok": False, "error_code": 400, "description": "Bad Request"}, 200, ZaloBadRequest),
    ({"ok": False, "error_code": 500, "description": "oops"}, 200, ZaloServerError),
    (None, 503, ZaloServerError),
    ({}, 502, ZaloServerError),
    (None, 200, None),
])
def test_error_from(body: dict[str, Any] | None, status: int,
                    expected: type[ZaloError] | None) -> None:
    error = error_from(body, status)
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected


# -- OA webhook signature -----------------------------------------------------------------


def signature_checker(oa: FakeZaloOA) -> Callable[[web.Request, bytes], int]:
    def check(request: web.Request, raw: bytes) -> int:
        header = request.headers.get(OA_SIGNATURE_HEADER)
        return 200 if verify_oa_request(header, raw, oa.app_id, oa.oa_secret_key) else 401
    return check


async def test_signed_event_verifies(oa: FakeZaloOA, receiver_factory: Any) -> None:
    receiver, url = await receiver_factory(signature_checker(oa))
    event = oa.text_event("u1", "Tôi cần giấy phép quay phim")
    assert await oa.post_event(url, event) == 200
    received = receiver.requests[0]
    assert received.headers[OA_SIGNATURE_HEADER].startswith("mac=")
    assert parse_oa_event_bytes(received.raw).text == "Tôi cần giấy phép quay phim"


def parse_oa_event_bytes(raw: bytes) -> ZaloEvent:
    return parse_oa_event(json.loads(raw))


async def test_bad_or_missing_signature_is_refused(oa: FakeZaloOA,
                                                   receiver_factory: Any) -> None:
    receiver, url = await receiver_factory(signature_checker(oa))
    event = oa.text_event("u1", "hi")
    assert await oa.post_event(url, event, sign=False) == 401
    assert await oa.post_event(url, event, signature="mac=" + "0" * 64) == 401
    raw, stamp = oa.raw_event(event)
    wrong_key = oa_signature_header(oa.app_id, raw, stamp, "another-oa-secret")
    assert await oa.post_event(url, event, signature=wrong_key) == 401
    assert len(receiver.requests) == 3


def test_signature_covers_app_body_timestamp_and_key(oa: FakeZaloOA) -> None:
    raw, stamp = oa.raw_event(oa.text_event("u1", "hi", timestamp=NOW_MS))
    header = oa_signature_header(oa.app_id, raw, stamp, oa.oa_secret_key)
    assert header == "mac=" + oa_signature(oa.app_id, raw, stamp, oa.oa_secret_key)
    key = oa.oa_secret_key
    assert verify_oa_signature(header, oa.app_id, raw, stamp, key)
    assert verify_oa_signature(header.removeprefix("mac=").upper(), oa.app_id, raw, stamp, key)
    tampered = raw.replace(b'"hi"', b'"ho"')
    assert not verify_oa_signature(header, oa.app_id, tampered, stamp, key)
    assert not verify_oa_signature(header, oa.app_id, raw, str(NOW_MS + 1), key)
    assert not verify_oa_signature(header, "another-app", raw, stamp, key)
    assert not verify_oa_signature(header, oa.app_id, raw, stamp, "wrong-key")
    assert not verify_oa_signature(None, oa.app_id, raw, stamp, key)
    assert not verify_oa_signature("", oa.app_id, raw, stamp, key)
    assert not verify_oa_request(header, b"not json", oa.app_id, key)


async def test_stale_event_is_signed_but_not_fresh(oa: FakeZaloOA,
                                                   receiver_factory: Any) -> None:
    receiver, url = await receiver_factory(signature_checker(oa))
    old = NOW_MS - 3600 * 1000
    assert await oa.post_event(url, oa.text_event("u1", "hi"), timestamp=old) == 200
    event = parse_oa_event_bytes(receiver.requests[0].raw)
    assert event.timestamp_ms == old
    assert not is_fresh(event.timestamp_ms, NOW, 300)
    assert is_fresh(str(NOW_MS - 299_000), NOW, 300)
    assert is_fresh(NOW_MS + 60_000, NOW, 300)  # a little clock skew is fine
    assert not is_fresh(NOW_MS + 600_000, NOW, 300)
    assert not is_fresh("yesterday", NOW, 300)


def test_bot_secret_header() -> None:
    assert verify_bot_secret("s3cret-token", "s3cret-token")
    assert not verify_bot_secret("s3cret-tokeN", "s3cret-token")
    assert not verify_bot_secret(None, "s3cret-token")
    assert not verify_bot_secret("", "")


# -- OA events ---------------------------------------------------------------------------


def test_parse_oa_text_follow_image_sticker_location(oa: FakeZaloOA) -> None:
    text = parse_oa_event(oa.text_event("u1", "hello", msg_id="m1", timestamp=NOW_MS))
    assert (text.kind, text.user_id, text.chat_id, text.msg_id, text.text, text.timestamp_ms,
            text.app_id) == ("text", "u1", "u1", "m1", "hello", NOW_MS, oa.app_id)

    follow = parse_oa_event(oa.follow_event("u2", timestamp=NOW_MS))
    assert (follow.kind, follow.user_id) == ("follow", "u2")
    assert follow.msg_id == f"follow:u2:{NOW_MS}"
    assert parse_oa_event(oa.unfollow_event("u2")).kind == "unfollow"

    image = parse_oa_event(oa.image_event("u3", "https://img.example/x.jpg"))
    assert (image.kind, image.attachment_url) == ("image", "https://img.example/x.jpg")

    sticker = parse_oa_event(oa.sticker_event("u4"))
    assert sticker.kind == "sticker" and sticker.attachment_url

    location = parse_oa_event(oa.location_event("u5", 21.0285, 105.8542))
    assert (location.kind, location.latitude, location.longitude) == (
        "location", 21.0285, 105.8542)


def test_parse_oa_location_as_the_sources_show_it(oa: FakeZaloOA) -> None:
    def located(coordinates: dict[str, Any]) -> tuple[float | None, float | None]:
        event = oa.location_event("u1", 0, 0)
        event["message"]["attachments"][0]["payload"]["coordinates"] = coordinates
        parsed = parse_oa_event(event)
        return parsed.latitude, parsed.longitude

    expected = (21.0285, 105.8542)
    assert located({"latitude": "21.0285", "longitude": "105.8542"}) == expected
    assert located({"latitude": 21.0285, "longitude": 105.8542}) == expected
    assert located({"lat": 21.0285, "long": 105.8542}) == expected
    with pytest.raises(MalformedEvent):
        located({"latitude": "north", "longitude": "105.8542"})


def test_parse_oa_audio_video_link_and_business_card(oa: FakeZaloOA) -> None:
    kinds = [parse_oa_event(e) for e in (oa.audio_event("u1"), oa.video_event("u1"),
                                         oa.link_event("u1"), oa.business_card_event("u1"))]
    assert [(e.kind, e.user_id) for e in kinds] == [
        ("audio", "u1"), ("video", "u1"), ("link", "u1"), ("contact", "u1")]
    assert kinds[0].attachment_url.endswith(".aac") and kinds[3].text == "Nguyễn Văn A"
    reaction = parse_oa_event(oa.message_event("user_reacted_message", "u1"))
    anonymous = parse_oa_event(oa.message_event("anonymous_send_text", "a1", text="hi"))
    assert (reaction.kind, anonymous.kind) == ("other", "other")


def test_parse_oa_button_and_other_events(oa: FakeZaloOA) -> None:
    button = parse_oa_event(oa.button_event("u1", "lang:vi"))
    assert (button.kind, button.payload, button.text) == ("button", "lang:vi", "#lang:vi")
    assert parse_oa_event(oa.text_event("u1", "#")).kind == "text"

    echo = oa.text_event("u1", "our own reply")
    echo["event_name"] = "oa_send_text"
    echo["sender"], echo["recipient"] = {"id": oa.oa_id}, {"id": "u1"}
    parsed = parse_oa_event(echo)
    assert (parsed.kind, parsed.user_id) == ("other", "u1")

    unknown = {"event_name": "user_submit_info", "timestamp": str(NOW_MS),
               "sender": {"id": "u9"}, "info": {"name": "A"}}
    assert parse_oa_event(unknown).kind == "other"


@pytest.mark.parametrize("mutate", [
    lambda e: e.pop("event_name"),
    lambda e: e.update(event_name=7),
    lambda e: e.pop("timestamp"),
    lambda e: e.update(timestamp="yesterday"),
    lambda e: e.pop("sender"),
    lambda e: e.update(sender={"id": ""}),
    lambda e: e.update(sender="u1"),
    lambda e: e.update(message="hello"),
    lambda e: e.pop("message"),
    lambda e: e["message"].pop("msg_id"),
    lambda e: e["message"].update(text=["hello"]),
    lambda e: e["message"].update(attachments={"type": "image"}),
])
def test_malformed_oa_events(oa: FakeZaloOA, mutate: Callable[[dict[str, Any]], Any]) -> None:
    event = oa.text_event("u1", "hello")
    mutate(event)
    with pytest.raises(MalformedEvent):
        parse_oa_event(event)


def test_malformed_oa_bodies(oa: FakeZaloOA) -> None:
    bodies: list[Any] = [None, [], "event", 42]
    for body in bodies:
        with pytest.raises(MalformedEvent):
            parse_oa_event(body)
    follow = oa.follow_event("u1")
    del follow["follower"]
    with pytest.raises(MalformedEvent):
        parse_oa_event(follow)
    location = oa.location_event("u1", 1.0, 2.0)
    location["message"]["attachments"] = []
    with pytest.raises(MalformedEvent):
        parse_oa_event(location)


# -- Bot Platform --------------------------------------------------------------------------


async def test_get_me(bot: FakeZaloBot, bot_client: BotClient) -> None:
    me = await bot_client.get_me()
    assert me["id"] == bot.bot_id and me["account_name"] == bot.account_name


async def test_get_updates_one_per_call_then_idle(bot: FakeZaloBot,
                                                  bot_client: BotClient) -> None:
    await bot.inject_text("chat-1", "first")
    await bot.inject_text("chat-1", "second")
    first = await bot_client.get_updates(timeout=0)
    second = await bot_client.get_updates(timeout=0)
    assert [parse_bot_update(u).text for u in first + second] == ["first", "second"]
    assert await bot_client.get_updates(timeout=0) == []  # idle: 408, which is normal
    assert bot.calls[-1].outcome == "error 408"


async def test_long_poll_returns_when_an_update_arrives(bot: FakeZaloBot,
                                                        bot_client: BotClient) -> None:
    poll = asyncio.create_task(bot_client.get_updates(timeout=30))
    await bot.wait_for(lambda: any(c.name == "getUpdates" for c in bot.calls))
    await bot.inject_text("chat-2", "xin chào", user_id="user-2", display_name="Lan")
    (update,) = await poll
    event = parse_bot_update(update)
    assert (event.kind, event.user_id, event.chat_id, event.text, event.display_name) == (
        "text", "user-2", "chat-2", "xin chào", "Lan")
    assert event.msg_id == update["message"]["message_id"]


def test_flat_and_wrapped_updates_parse_the_same(bot: FakeZaloBot) -> None:
    update = bot.text_update("chat-1", "hello", date=NOW_MS)
    flat = parse_bot_update(update)
    assert flat == parse_bot_update({"ok": True, "result": update})
    assert flat.timestamp_ms == NOW_MS and not flat.is_group
    image = parse_bot_update(bot.image_update("chat-1", "https://img.example/p.jpg", "look"))
    assert (image.kind, image.attachment_url, image.text) == (
        "image", "https://img.example/p.jpg", "look")
    unsupported = {"event_name": "message.unsupported.received",
                   "message": update["message"]}
    assert parse_bot_update(unsupported).kind == "other"
    assert parse_bot_update({"event_name": "bot.something.new"}).kind == "other"


def test_bot_voice_group_and_unknown_updates(bot: FakeZaloBot) -> None:
    voice = parse_bot_update({"ok": True, "result": bot.voice_update("c1")})
    assert (voice.kind, voice.attachment_url, voice.text) == (
        "audio", "https://voice.example/v.aac", "")
    group = parse_bot_update(bot.text_update("g1", "hi", chat_type="GROUP"))
    assert group.is_group and group.chat_id == "g1"
    other_bot = bot.text_update("g1", "I am a bot too", chat_type="GROUP")
    other_bot["message"]["from"]["is_bot"] = True
    assert parse_bot_update(other_bot).kind == "other"
    # A name the docs do not list is "other", however odd its message.
    assert parse_bot_update({"event_name": "message.poll.received",
                             "message": {"chat": 7}}).kind == "other"
    assert parse_bot_update({"event_name": "message.unsupported.received"}).kind == "other"
    assert update_id({"ok": True, "result": {"message": {"message_id": "m-9"}}}) == "m-9"
    assert update_id("garbage") == "?"


@pytest.mark.parametrize("body", [
    None,
    {"ok": False, "error_code": 408, "description": "Request timeout"},
    {"ok": True, "result": "nope"},
    {"message": {}},
    {"event_name": "message.text.received"},
    {"event_name": "message.text.received", "message": {"chat": {"id": "c"},
                                                        "message_id": "m", "date": 1}},
    {"event_name": "message.text.received", "message": {"from": {"id": "u"},
                                                        "chat": {"id": "c"}, "date": 1}},
    {"event_name": "message.text.received", "message": {
        "from": {"id": "u"}, "chat": {"id": "c"}, "message_id": "m", "date": "soon"}},
    {"event_name": "message.text.received", "message": {
        "from": {"id": "u"}, "chat": {"id": "c"}, "message_id": "m", "date": 1, "text": 5}},
])
def test_malformed_bot_updates(body: Any) -> None:
    with pytest.raises(MalformedEvent):
        parse_bot_update(body)


async def test_send_message_photo_and_action(bot: FakeZaloBot, bot_client: BotClient) -> None:
    message_id = await bot_client.send_message("chat-1", "hello")
    photo_id = await bot_client.send_photo("chat-1", "https://img.example/a.jpg", "caption")
    await bot_client.send_chat_action("chat-1", "typing")
    assert [(s.method, s.chat_id, s.text, s.message_id) for s in bot.sent] == [
        ("sendMessage", "chat-1", "hello", message_id),
        ("sendPhoto", "chat-1", "caption", photo_id)]
    assert bot.sent[1].photo == "https://img.example/a.jpg"
    assert bot.actions == [("chat-1", "typing")]
    with pytest.raises(ZaloBadRequest) as info:
        await bot_client.send_message("chat-1", "x" * 2001)
    assert info.value.code == 400
    assert len(bot.sent) == 2


@pytest.mark.parametrize(("error", "kind"), [
    (429, ZaloRateLimited), (400, ZaloBadRequest), (502, ZaloServerError),
])
async def test_bot_errors_are_typed(bot: FakeZaloBot, bot_client: BotClient, error: int,
                                    kind: type[ZaloError]) -> None:
    bot.fail("sendMessage", error, chat_id="chat-9")
    assert await bot_client.send_message("chat-1", "other chat is fine")
    with pytest.raises(kind):
        await bot_client.send_message("chat-9", "hi")
    assert await bot_client.send_message("chat-9", "hi")


async def test_bot_token_never_in_errors(bot: FakeZaloBot) -> None:
    async with BotClient("999:wrong-token", base_url=bot.base_url) as client:
        with pytest.raises(ZaloTokenInvalid) as info:
            await client.get_me()
    assert "wrong-token" not in str(info.value) and "wrong-token" not in repr(info.value)
    async with BotClient(bot.token, base_url=dead_url()) as client:
        with pytest.raises(ZaloServerError) as down:
            await client.send_message("chat-1", "hi")
        assert bot.token not in repr(client)
    assert bot.token not in str(down.value) and bot.token not in repr(down.value)
    assert down.value.__cause__ is None and down.value.__suppress_context__


async def test_webhook_delivery_with_secret_header(bot: FakeZaloBot, bot_client: BotClient,
                                                   receiver_factory: Any) -> None:
    secret = "crew-webhook-secret"

    def check(request: web.Request, raw: bytes) -> int:
        return 200 if verify_bot_secret(request.headers.get(BOT_SECRET_HEADER), secret) else 403

    receiver, url = await receiver_factory(check)
    with pytest.raises(ValueError):
        await bot_client.set_webhook(url, "short")
    assert (await bot_client.set_webhook(url, secret))["url"] == url
    assert (await bot_client.get_webhook_info())["url"] == url

    await bot.inject_text("chat-1", "wrapped, as the docs show")
    await bot.inject_text("chat-1", "flat", wrapped=False)
    assert bot.deliveries == [200, 200]
    assert all(r.headers[BOT_SECRET_HEADER] == secret for r in receiver.requests)
    bodies = [json.loads(r.raw) for r in receiver.requests]
    assert bodies[0]["ok"] is True and "ok" not in bodies[1]
    assert [parse_bot_update(b).text for b in bodies] == ["wrapped, as the docs show", "flat"]

    assert await bot.post_webhook(bot.text_update("chat-1", "forged"), "guess") == 403
    with pytest.raises(ZaloBadRequest):
        await bot_client.get_updates(timeout=0)  # no polling while a webhook is set
    assert (await bot_client.delete_webhook())["url"] == ""
    assert await bot_client.get_updates(timeout=0) == []
