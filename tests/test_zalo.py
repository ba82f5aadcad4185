"""The Zalo channel end to end: the whole bot (`bot.runner.serve`) against the fake Zalo.

OA tests post signed webhooks as Zalo does (`FakeZaloOA.post_event`) and wait on the
consultation messages the fake receives; Bot Platform tests inject updates that the bot
fetches with getUpdates or receives on its webhook. Nothing waits on the clock: waits are
on what the fakes record (or, for facts only the database knows, a re-checked query),
and their timeouts only bound a test that is already failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot import cli
from bot.channels.zalo.errors import ZaloError, ZaloRefreshTokenInvalid
from bot.channels.zalo.oa_client import OAClient, TokenPair
from bot.channels.zalo.render import bot_rendering, oa_messages
from bot.channels.zalo.signature import OA_SIGNATURE_HEADER, oa_signature_header
from bot.channels.zalo.tokens import TokenStore, save_pair
from bot.config import Config, OutboxConfig, WebConfig, ZaloConfig
from bot.i18n import Catalogs
from bot.messages import Button, Location, Reply
from bot.runner import Running
from bot.storage import Database
from bot.storage.models import Chat, Message, ZaloToken, utcnow
from tests.fakes.zalo_api import FakeZaloBot, FakeZaloOA, buttons_of, now_ms
from tests.harness import free_port, running, send_from_outbox, wait_until

KOREAN_DRONE = "드론 촬영하려면 허가가 필요한가요?"
PATH = "/zalo/webhook"
VI = Catalogs(["vi"]).get("vi")
KO = Catalogs(["ko"]).get("ko")
MENU_TEXT = ("What would you like to know? Choose a topic, or simply type your question "
             "in your own language.")
MEDIA_TEXT = "I can only read text. Please type your question in your own language."




def fast_outbox(max_attempts: int = 5) -> OutboxConfig:
    return OutboxConfig(retry_base_seconds=0.0, retry_max_seconds=0.0,
                        max_attempts=max_attempts, sweep_seconds=0.05)


def oa_config(config: Config, oa: FakeZaloOA, max_attempts: int = 5, **zalo: Any) -> Config:
    settings: dict[str, Any] = dict(
        api="oa", app_id=oa.app_id, app_secret=oa.app_secret, oa_secret_key=oa.oa_secret_key,
        refresh_token=oa.refresh_token, api_base_url=oa.base_url, oauth_base_url=oa.base_url,
        sends_per_second=1000.0)
    settings.update(zalo)
    return replace(config, zalo=ZaloConfig(**settings), web=WebConfig(host="127.0.0.1", port=0),
                   outbox=fast_outbox(max_attempts))


def bot_config(config: Config, fake: FakeZaloBot, port: int = 0, **zalo: Any) -> Config:
    settings: dict[str, Any] = dict(api="bot", bot_token=fake.token, api_base_url=fake.base_url,
                                    sends_per_second=1000.0)
    settings.update(zalo)
    return replace(config, zalo=ZaloConfig(**settings),
                   web=WebConfig(host="127.0.0.1", port=port), outbox=fast_outbox())




@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake


@pytest.fixture
async def zbot() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot() as fake:
        yield fake


def hook(bot: Running) -> str:
    return bot.web.base_url + PATH


async def answered(oa: FakeZaloOA, user: str, count: int) -> list[str]:
    await oa.wait_for(lambda: len(oa.sent_to(user)) >= count)
    return oa.texts(user)




async def count(bot: Running, model: Any, *where: Any) -> int:
    async with bot.app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


async def token_row(db: Database, app_id: str) -> ZaloToken:
    async with db.session() as session:
        row = await session.get(ZaloToken, app_id)
    assert row is not None
    return row


def payloads(oa: FakeZaloOA, user: str) -> list[list[str]]:
    return [[b["payload"] for b in buttons_of(s.message)] for s in oa.sent_to(user)]


# -- OA: conversations ----------------------------------------------------------------------

async def test_vietnamese_greeting_gets_the_vietnamese_menu(config: Config,
                                                            oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        assert await oa.post_event(hook(bot), oa.text_event("u-vi", "Xin chào!")) == 200
        texts = await answered(oa, "u-vi", 2)
        assert texts[0] == VI.gettext(MENU_TEXT)
        groups = payloads(oa, "u-vi")
        # Six menu buttons: more than a Zalo message holds, so whole rows over two messages.
        assert [len(group) for group in groups] == [4, 2]
        assert groups[0][0] == "#browse:permits" and "#menu:language" in groups[1]
        assert all(b["type"] == "oa.query.hide" for s in oa.sent_to("u-vi")
                   for b in buttons_of(s.message))
        assert buttons_of(oa.sent_to("u-vi")[0].message)[0]["title"] == VI.gettext("Permits")
        async with bot.app.db.session() as session:
            stored = await session.scalar(select(Message.text).where(Message.direction == "in"))
        assert stored == "Xin chào!"  # what the user wrote is kept


async def test_korean_question_gets_the_korean_answer_with_its_source(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        assert await oa.post_event(hook(bot), oa.text_event("u-ko", KOREAN_DRONE)) == 200
        # The short answer; its sources ("출처") a button away.
        await oa.wait_for(lambda: {"#sources:permit.drone", "#staff:talk"} <= {
            p for group in payloads(oa, "u-ko") for p in group})
        answer = "\n".join(oa.texts("u-ko"))
        assert "드론" in answer and "**" not in answer  # Markdown stripped, not shown
        assert all(len(t) <= 2000 for t in oa.texts("u-ko"))
        assert "#staff:talk" in [p for group in payloads(oa, "u-ko") for p in group]


async def test_button_press_comes_back_as_its_action(config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        assert await oa.post_event(hook(bot), oa.follow_event("u-btn")) == 200
        await bot.app.settled()
        assert "#lang:ko" in [p for group in payloads(oa, "u-btn") for p in group]
        before = len(oa.sent_to("u-btn"))
        # Pressing the button makes the user send its payload as a text.
        assert await oa.post_event(hook(bot), oa.button_event("u-btn", "lang:ko")) == 200
        texts = await answered(oa, "u-btn", before + 1)
        assert texts[before].startswith(KO.gettext("Language set to English."))
        async with bot.app.db.session() as session:
            chat = await session.scalar(select(Chat).where(Chat.external_id == "u-btn"))
            assert chat is not None and chat.language == "ko"
        # A typed "#word" with no such action is a text, answered like any question.
        n = len(oa.sent_to("u-btn"))
        assert await oa.post_event(hook(bot), oa.text_event("u-btn", "#drone")) == 200
        await answered(oa, "u-btn", n + 1)


async def test_follow_gets_welcome_and_sticker_or_image_a_translated_line(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        assert await oa.post_event(hook(bot), oa.follow_event("u-f")) == 200
        texts = await answered(oa, "u-f", 2)
        assert texts[0].startswith("Welcome to crewbot")
        assert [p for group in payloads(oa, "u-f") for p in group] == [
            "#lang:en", "#lang:vi", "#lang:ko", "#lang:ja", "#lang:zh", "#lang:fr"]
        await oa.post_event(hook(bot), oa.button_event("u-f", "lang:vi"))
        await bot.app.settled()  # the webhook answered once stored; sending went on
        n = len(oa.texts("u-f"))
        assert await oa.post_event(hook(bot), oa.sticker_event("u-f")) == 200
        texts = await answered(oa, "u-f", n + 1)
        assert texts[n] == VI.gettext(MEDIA_TEXT)
        assert await oa.post_event(hook(bot), oa.image_event("u-f")) == 200
        texts = await answered(oa, "u-f", n + 2)
        assert texts[n + 1] == VI.gettext(MEDIA_TEXT)
        # Recorded like any message; receipts and unfollows are acknowledged, not stored.
        assert await count(bot, Message, Message.direction == "in") == 4
        assert await oa.post_event(hook(bot), oa.unfollow_event("u-f")) == 200
        seen = oa.text_event("u-f", "")
        seen["event_name"] = "user_seen_message"
        assert await oa.post_event(hook(bot), seen) == 200
        assert await count(bot, Message, Message.direction == "in") == 4


async def test_a_hidden_button_press_is_its_action_and_never_the_users_words(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        assert await oa.post_event(hook(bot), oa.follow_event("u-hide")) == 200
        await answered(oa, "u-hide", 2)
        await bot.app.settled()
        languages = next(s for s in oa.sent_to("u-hide") if buttons_of(s.message))
        assert {b["type"] for b in buttons_of(languages.message)} == {"oa.query.hide"}
        before = len(oa.sent_to("u-hide"))
        pressed = oa.press("u-hide", languages, "한국어")
        assert pressed is not None and pressed["event_name"] == "user_send_text"
        assert await oa.post_event(hook(bot), pressed) == 200
        texts = await answered(oa, "u-hide", before + 1)
        assert texts[before].startswith(KO.gettext("Language set to English."))
        assert oa.shown_as_user("u-hide") == []  # nothing appeared as if the user typed it
        async with bot.app.db.session() as session:
            chat = await session.scalar(select(Chat).where(Chat.external_id == "u-hide"))
            assert chat is not None and chat.language == "ko"


async def test_shared_location_audio_video_link_and_card_are_each_answered(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        url = hook(bot)
        # Hoi An, as strings in attachments[].payload.coordinates.
        assert await oa.post_event(url, oa.location_event("u-m", "15.8801", "108.3380")) == 200
        texts = await answered(oa, "u-m", 1)
        assert "Hoi An" in texts[0] and "km" in texts[0]
        for n, event in enumerate((oa.audio_event("u-m"), oa.video_event("u-m"),
                                   oa.link_event("u-m")), start=2):
            assert await oa.post_event(url, event) == 200
            texts = await answered(oa, "u-m", n)
            assert texts[n - 1] == MEDIA_TEXT, event["event_name"]
        assert await oa.post_event(url, oa.business_card_event("u-m", "Trần Thị B")) == 200
        texts = await answered(oa, "u-m", 5)
        assert "shared contact" in texts[4]
        async with bot.app.db.session() as session:
            stored = list(await session.scalars(select(Message.text).where(
                Message.direction == "in")))
        assert len(stored) == 5 and not any("Trần Thị B" in text for text in stored)


async def test_location_is_a_text_line_with_a_maps_link(config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        await oa.post_event(hook(bot), oa.text_event("u-loc", "/start location_hoi-an"))
        await oa.wait_for(lambda: any("google.com/maps" in t for t in oa.texts("u-loc")))
        pin = next(t for t in oa.texts("u-loc") if "google.com/maps" in t)
        assert pin.startswith("📍 ") and "15.8" in pin


async def test_long_reply_is_split_on_paragraphs(config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        await oa.post_event(hook(bot), oa.text_event("u-long", "/help"))
        await bot.app.settled()
        before = len(oa.texts("u-long"))
        paragraph = "Lorem **ipsum** dolor sit amet. " * 20
        long_text = "\n\n".join(f"{i}. {paragraph}" for i in range(12))
        await send_from_outbox(bot, "u-long", Reply(long_text))
        parts = oa.texts("u-long")[before:]
        assert len(parts) >= 3
        assert all(len(p) <= 2000 for p in parts)
        assert all(p.split(".", 1)[0].isdigit() for p in parts)  # each starts a paragraph
        assert "**" not in "".join(parts)


# -- OA: webhook security -------------------------------------------------------------------

async def test_forged_stale_unsigned_and_oversized_events_are_refused_and_write_nothing(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        url = hook(bot)
        assert await oa.post_event(url, oa.text_event("u-ok", "/help")) == 200
        await answered(oa, "u-ok", 1)
        before = (await count(bot, Message), await count(bot, Chat))
        event = oa.text_event("u-evil", "/help")
        assert await oa.post_event(url, event, signature="mac=" + "0" * 64) == 403
        assert await oa.post_event(url, event, signature="not-even-a-mac") == 403
        assert await oa.post_event(url, event, sign=False) == 401
        stale = now_ms() - 14 * 3600 * 1000  # correctly signed, but older than any retry
        assert await oa.post_event(url, event, timestamp=stale) == 403
        other_app = FakeZaloOA(app_id="999", oa_secret_key=oa.oa_secret_key)
        raw, stamp = oa.raw_event(event)
        forged = oa_signature_header(other_app.app_id, raw, stamp, oa.oa_secret_key)
        assert await oa.post_event(url, event, signature=forged) == 403
        huge = oa.text_event("u-evil", "x" * 70_000)
        assert await oa.post_event(url, huge) == 413
        async with aiohttp.ClientSession() as http:
            # No JSON, or no timestamp: nothing the signature can be checked against.
            for body in (b"{not json", b"\xff\xfe", b"[]", b'{"timestamp": "1"}'):
                signature = oa_signature_header(oa.app_id, body, "1", oa.oa_secret_key)
                async with http.post(url, data=body,
                                     headers={OA_SIGNATURE_HEADER: signature}) as response:
                    assert response.status == 403
        assert (await count(bot, Message), await count(bot, Chat)) == before
        assert oa.sent_to("u-evil") == []
        # The same event, correctly signed, goes through.
        assert await oa.post_event(url, event) == 200
        await answered(oa, "u-evil", 1)


async def test_signed_events_crewbot_does_not_handle_get_200_and_write_nothing(
        config: Config, oa: FakeZaloOA, caplog: pytest.LogCaptureFixture) -> None:
    """Zalo disables a webhook that keeps answering non-200, so every signed event gets 200."""
    caplog.set_level(logging.INFO, logger="crewbot.zalo")
    async with running(oa_config(config, oa)) as bot:
        url = hook(bot)
        unknown = oa.text_event("u-x", "hello")
        unknown["event_name"] = "user_send_hologram"  # an event Zalo may add one day
        malformed = oa.text_event("u-x", "/help")
        del malformed["sender"]
        events = [
            unknown,
            oa.message_event("user_received_message", "u-x", from_oa=True),
            oa.message_event("user_seen_message", "u-x", from_oa=True),
            oa.message_event("oa_send_text", "u-x", text="our own reply", from_oa=True),
            oa.message_event("user_reacted_message", "u-x"),
            oa.message_event("anonymous_send_text", "anon-1", text="hi"),
            oa.unfollow_event("u-x"),
            malformed,
        ]
        for event in events:
            assert await oa.post_event(url, event) == 200, event["event_name"]
        assert (await count(bot, Message), await count(bot, Chat)) == (0, 0)
        await bot.app.settled()
        assert oa.sent == []
    lines = [r.getMessage() for r in caplog.records if r.name == "crewbot.zalo.oa"]
    for name in ("user_send_hologram", "user_received_message", "user_seen_message",
                 "oa_send_text", "user_reacted_message", "anonymous_send_text", "unfollow"):
        assert any(f"event_name={name} " in line and "handled=False" in line
                   for line in lines), name
    assert any(r.levelname == "WARNING" and "malformed event_name=user_send_text" in
               r.getMessage() for r in caplog.records)


async def test_zalo_retry_half_an_hour_later_is_accepted_and_answered_once(
        config: Config, oa: FakeZaloOA) -> None:
    """Zalo retries for 12 hours with the original timestamp; a 5-minute setting is raised."""
    async with running(oa_config(config, oa, signature_window_seconds=300)) as bot:
        event = oa.text_event("u-retry", "/nope", timestamp=now_ms() - 30 * 60 * 1000)
        assert await oa.post_event(hook(bot), event) == 200  # the original
        assert await oa.post_event(hook(bot), event) == 200  # Zalo's retry, same body
        await answered(oa, "u-retry", 1)
        await bot.app.settled()
        assert len(oa.sent_to("u-retry")) == 1
        assert await count(bot, Message, Message.direction == "in") == 1


async def test_the_url_check_when_the_webhook_is_saved_gets_200_and_does_nothing(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        assert await oa.check_webhook_url(hook(bot)) == (200, 200)
        async with aiohttp.ClientSession() as http:
            async with http.get(hook(bot), params={"challenge": "zalo-1234"}) as response:
                assert (response.status, await response.text()) == (200, "zalo-1234")
            async with http.post(hook(bot), data=b"{}") as response:
                assert response.status == 200
            async with http.post(hook(bot), data=b'{"event_name": "user_send_text"}') \
                    as response:
                assert response.status == 401  # a body, and no signature: not Zalo
        assert (await count(bot, Message), await count(bot, Chat)) == (0, 0)
        assert oa.calls_to("cs") == []


async def test_duplicate_event_is_answered_once(config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        event = oa.text_event("u-dup", "/nope")
        assert await oa.post_event(hook(bot), event) == 200
        await answered(oa, "u-dup", 1)
        assert await oa.post_event(hook(bot), event) == 200  # Zalo sends it again
        await oa.post_event(hook(bot), oa.text_event("u-dup", "/nope2"))
        texts = await answered(oa, "u-dup", 2)
        assert len(oa.texts("u-dup")) == 2 and "/nope2" in texts[1]
        assert await count(bot, Message, Message.direction == "in") == 2


# -- OA: sending ------------------------------------------------------------------------------

async def test_expired_token_is_refreshed_and_the_message_goes_out_once(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        refreshes = oa.refreshes
        oa.expire_access_token()
        assert await oa.post_event(hook(bot), oa.text_event("u-exp", "/nope")) == 200
        await answered(oa, "u-exp", 1)
        assert len(oa.sent_to("u-exp")) == 1
        assert oa.refreshes == refreshes + 1
        outcomes = [c.outcome for c in oa.calls_to("cs")]
        assert outcomes == ["error -216", "ok"]
        row = await token_row(bot.app.db, oa.app_id)
        assert (row.access_token, row.refresh_token) == (oa.access_token, oa.refresh_token)


async def test_rate_limit_and_server_errors_are_retried_and_sent_once(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        oa.fail("cs", -32)
        oa.fail("cs", 502)
        assert await oa.post_event(hook(bot), oa.text_event("u-rl", "/nope")) == 200
        await answered(oa, "u-rl", 1)
        assert len(oa.sent_to("u-rl")) == 1
        async with bot.app.db.session() as session:
            attempts = await session.scalar(select(Message.attempts)
                                            .where(Message.direction == "out"))
        assert attempts == 3


async def test_user_outside_the_window_marks_the_chat_and_keeps_the_message(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        oa.fail("cs", -230, user_id="u-away")
        await oa.post_event(hook(bot), oa.text_event("u-away", "/nope"))
        await oa.post_event(hook(bot), oa.text_event("u-here", "/nope"))
        await answered(oa, "u-here", 1)

        async def marked() -> bool:
            async with bot.app.db.session() as session:
                chat = await session.scalar(select(Chat).where(Chat.external_id == "u-away"))
                return chat is not None and chat.unreachable_since is not None

        await wait_until(marked)
        assert oa.sent_to("u-away") == []
        assert await count(bot, Message, Message.status == "unreachable") == 1


async def test_token_expiry_during_a_hundred_messages(config: Config, oa: FakeZaloOA) -> None:
    """All 100 answered once, one refresh, the new refresh token stored."""
    async with running(oa_config(config, oa)) as bot:
        url = hook(bot)
        refreshes = oa.refreshes
        users = [f"u-run-{n}" for n in range(20)]
        events = [oa.text_event(users[n % 20], f"/cmd{n}") for n in range(100)]

        async def expire_halfway() -> None:
            await oa.wait_for(lambda: len(oa.sent) >= 50)
            oa.expire_access_token()

        expiring = asyncio.create_task(expire_halfway())

        async def user(name: str) -> None:  # each user's messages in order, users at once
            for event in events:
                if event["sender"]["id"] == name:
                    assert await oa.post_event(url, event) == 200

        await asyncio.gather(*(user(name) for name in users))
        await oa.wait_for(lambda: len(oa.sent) >= 100, timeout=60)
        await expiring
        await bot.app.settled()  # the sends are recorded as sent in the database too
        texts = [str(s.message["text"]) for s in oa.sent]
        for n in range(100):
            assert sum(f"/cmd{n}." in text for text in texts) == 1, n
        assert len(oa.sent) == 100
        assert any(c.outcome == "error -216" for c in oa.calls_to("cs"))
        assert oa.refreshes == refreshes + 1
        row = await token_row(bot.app.db, oa.app_id)
        assert row.refresh_token == oa.refresh_token
        assert await count(bot, Message, Message.direction == "out",
                           Message.status == "sent") == 100


# -- OA: tokens -------------------------------------------------------------------------------

async def test_a_failed_token_write_after_the_refresh_is_retried_until_it_lands(
        config: Config, oa: FakeZaloOA) -> None:
    async with running(oa_config(config, oa)) as bot:
        tokens: TokenStore = bot.channels["zalo"].tokens  # type: ignore[attr-defined]
        real_store = tokens._store
        failures: list[str] = []

        async def flaky(pair: TokenPair) -> None:
            if not failures:
                failures.append("database went away")
                raise ConnectionError("database went away")
            await real_store(pair)

        tokens._store = flaky  # type: ignore[method-assign]
        oa.expire_access_token()
        await oa.post_event(hook(bot), oa.text_event("u-crash", "/nope"))
        await answered(oa, "u-crash", 1)
        assert failures and len(oa.sent_to("u-crash")) == 1
        row = await token_row(bot.app.db, oa.app_id)
        # The pair Zalo now accepts is the one in the database.
        assert (row.access_token, row.refresh_token) == (oa.access_token, oa.refresh_token)
        assert row.refreshing_until is None and row.refresh_error == ""
        assert tokens.health() == (True, "")


async def authorize(tmp_path: Path, config: Config, oa: FakeZaloOA, code: str) -> int:
    """`crewbot zalo authorize CODE` as an operator runs it (its own event loop and thread)."""
    config_file = tmp_path / "authorize.toml"
    config_file.write_text(
        f'[database]\nurl = "{config.database.url}"\n'
        f'[zalo]\napp_id = "{oa.app_id}"\napp_secret = "{oa.app_secret}"\n'
        f'oa_secret_key = "{oa.oa_secret_key}"\napi_base_url = "{oa.base_url}"\n'
        f'oauth_base_url = "{oa.base_url}"\n[log]\nlevel = "WARNING"\n', encoding="utf-8")
    return await asyncio.to_thread(cli.main, ["zalo", "authorize", code,
                                              "--config", str(config_file)])


async def healthz(bot: Running) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, \
            http.get(bot.web.base_url + "/healthz") as response:
        return response.status, await response.json()


async def test_crash_between_refresh_and_store_is_loud_and_authorize_recovers(
        config: Config, oa: FakeZaloOA, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configured = oa_config(config, oa, max_attempts=10_000)
    async with running(configured) as bot:
        await oa.post_event(hook(bot), oa.text_event("u-kill", "/nope"))
        await answered(oa, "u-kill", 1)
    # A process refreshes (Zalo rotates the pair) and dies before writing it: the
    # database keeps a refresh token Zalo no longer accepts, and a claim that has run out.
    db = Database(config.database.url)
    stored = await token_row(db, oa.app_id)
    async with OAClient(oa.app_id, oa.app_secret, oauth_base_url=oa.base_url) as client:
        await client.refresh(stored.refresh_token)
    async with db.session() as session:
        row = await session.get_one(ZaloToken, oa.app_id)
        row.refreshing_until = utcnow() - timedelta(seconds=1)
    await db.close()
    oa.expire_access_token(stored.access_token)
    assert oa.refresh_token != stored.refresh_token

    async with running(configured) as bot:
        channel: Any = bot.channels["zalo"]
        channel.tokens.recheck_seconds = 0.05
        channel.sender.not_authorized_retry = 0.2

        async def unhealthy() -> bool:
            return not channel.health()[0]

        await oa.post_event(hook(bot), oa.text_event("u-kill", "/after-crash"))
        await wait_until(unhealthy)
        status, report = await healthz(bot)
        assert status == 503
        assert "crewbot zalo authorize CODE" in report["channels"]["zalo"]["problem"]
        assert oa.texts("u-kill")[1:] == []  # waiting in the outbox, not lost
        # The operator re-authorizes; the running bot picks the pair up by itself.
        oa.add_authorization_code("code-after-crash")
        assert await authorize(tmp_path, config, oa, "code-after-crash") == 0
        texts = await answered(oa, "u-kill", 2)
        assert "/after-crash" in texts[1] and len(texts) == 2
        status, report = await healthz(bot)
        assert status == 200, report
        row = await token_row(bot.app.db, oa.app_id)
        assert (row.refresh_token, row.refresh_error) == (oa.refresh_token, "")
    assert "authorized" in capsys.readouterr().out


async def test_dead_refresh_token_makes_healthz_503_with_the_command(
        config: Config, oa: FakeZaloOA, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    configured = oa_config(config, oa, max_attempts=10_000, refresh_token="RT-long-dead")
    async with running(configured) as bot:
        channel: Any = bot.channels["zalo"]
        channel.tokens.recheck_seconds = 0.05
        channel.sender.not_authorized_retry = 0.2
        status, report = await healthz(bot)
        assert status == 503
        problem = report["channels"]["zalo"]["problem"]
        assert "-14014" in problem and "crewbot zalo authorize CODE" in problem
        assert any(r.levelname == "ERROR" and "crewbot zalo authorize" in r.getMessage()
                   for r in caplog.records)
        # The webhook still stores what users write while nobody can answer.
        assert await oa.post_event(hook(bot), oa.text_event("u-dead", "/help")) == 200
        assert await count(bot, Message, Message.direction == "in") == 1
        oa.add_authorization_code("fresh-code")
        assert await authorize(tmp_path, config, oa, "fresh-code") == 0
        await answered(oa, "u-dead", 1)
        assert (await healthz(bot))[0] == 200
    assert "RT-long-dead" not in caplog.text and oa.refresh_token not in caplog.text


async def test_any_refusal_of_the_refresh_token_is_loud_and_keeps_replies_waiting(
        config: Config, oa: FakeZaloOA, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """-14003 (not -14014/-14020): a dead refresh token all the same, not a retry loop."""
    caplog.set_level(logging.INFO)
    configured = oa_config(config, oa, max_attempts=2, app_secret="a-rotated-old-secret")
    async with running(configured) as bot:
        channel: Any = bot.channels["zalo"]
        channel.tokens.recheck_seconds = 0.05
        channel.sender.not_authorized_retry = 0.05
        status, report = await healthz(bot)
        assert status == 503
        problem = report["channels"]["zalo"]["problem"]
        assert "-14003" in problem and "crewbot zalo authorize CODE" in problem
        assert any(r.levelname == "ERROR" and "refresh token refused" in r.getMessage()
                   for r in caplog.records)
        refusals = len(oa.calls_to("refresh"))
        assert await oa.post_event(hook(bot), oa.text_event("u-secret", "/help")) == 200

        async def waited_beyond_max_attempts() -> bool:
            deferred = [r for r in caplog.records if "send deferred" in r.getMessage()]
            async with bot.app.db.session() as session:
                row = await session.scalar(select(Message).where(Message.direction == "out"))
            return len(deferred) > 2 and row is not None and row.status == "pending" \
                and row.attempts == 0 and "-14003" in (row.last_error or "")

        await wait_until(waited_beyond_max_attempts)
        assert oa.sent_to("u-secret") == []
        assert len(oa.calls_to("refresh")) == refusals  # the dead token is not tried again
        # The operator re-authorizes (with the right secret): the waiting reply goes out.
        oa.add_authorization_code("code-after-14003")
        assert await authorize(tmp_path, config, oa, "code-after-14003") == 0
        await answered(oa, "u-secret", 1)
        assert (await healthz(bot))[0] == 200


@pytest.mark.parametrize(("failure", "dead"), [
    (-14014, True), (-14002, True), (-14003, True), (400, True), (401, True),
    (-32, False), (502, False), (503, False),
])
async def test_which_token_endpoint_answers_kill_the_refresh_token(
        config: Config, oa: FakeZaloOA, failure: int, dead: bool) -> None:
    """Only a rate limit, a 5xx or no answer leave the refresh token for another try."""
    db = Database(config.database.url)
    await db.upgrade()
    async with OAClient(oa.app_id, oa.app_secret, oauth_base_url=oa.base_url) as client:
        store = TokenStore(db, client, oa.app_id, oa.refresh_token)
        oa.fail("refresh", failure)
        with pytest.raises(ZaloError) as info:
            await store.access_token()
        assert isinstance(info.value, ZaloRefreshTokenInvalid) is dead
        if dead:
            ok, problem = store.health()
            assert not ok and str(failure) in problem and "authorize" in problem
            with pytest.raises(ZaloRefreshTokenInvalid):
                await store.access_token()
            assert len(oa.calls_to("refresh")) == 1  # not tried again
            assert (await token_row(db, oa.app_id)).refresh_error
        else:
            assert await store.access_token() == oa.access_token  # the next try works
            assert (await token_row(db, oa.app_id)).refresh_error == ""
    await db.close()


async def test_authorize_with_a_bad_code_fails_and_stores_nothing(
        config: Config, oa: FakeZaloOA, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await authorize(tmp_path, config, oa, "never-issued") == 1
    assert "refused the code" in capsys.readouterr().err
    db = Database(config.database.url)
    await db.upgrade()
    async with db.session() as session:
        assert await session.get(ZaloToken, oa.app_id) is None
    await db.close()


async def test_two_processes_refreshing_at_once_refresh_once(config: Config,
                                                             oa: FakeZaloOA) -> None:
    dbs = [Database(config.database.url) for _ in range(3)]
    await dbs[0].upgrade()
    clients = [OAClient(oa.app_id, oa.app_secret, oauth_base_url=oa.base_url) for _ in dbs]
    stores = [TokenStore(db, client, oa.app_id, oa.refresh_token)
              for db, client in zip(dbs, clients, strict=True)]
    try:
        first = await stores[0].access_token()  # seeds the table and refreshes
        for store in stores[1:]:
            assert await store.access_token() == first  # read, not refreshed again
        assert oa.refreshes == 1
        oa.expire_access_token()
        # Three "processes", four failed sends each, all asking at once.
        results = await asyncio.gather(*(store.refresh(stale=first)
                                         for store in stores for _ in range(4)))
        assert oa.refreshes == 2
        assert set(results) == {oa.access_token}
        row = await token_row(dbs[0], oa.app_id)
        assert row.refresh_token == oa.refresh_token
    finally:
        for client in clients:
            await client.close()
        for db in dbs:
            await db.close()


async def test_configured_refresh_token_seeds_only_an_empty_table(config: Config,
                                                                  oa: FakeZaloOA) -> None:
    db = Database(config.database.url)
    await db.upgrade()
    oa.add_authorization_code("c1")
    async with OAClient(oa.app_id, oa.app_secret, oauth_base_url=oa.base_url) as client:
        pair = await client.authorize("c1")
        await save_pair(db, oa.app_id, pair)
        store = TokenStore(db, client, oa.app_id, "RT-from-an-old-config-file")
        assert await store.access_token() == pair.access_token
        row = await token_row(db, oa.app_id)
        assert row.refresh_token == pair.refresh_token
    await db.close()


async def test_token_is_refreshed_before_it_expires(config: Config, oa: FakeZaloOA) -> None:
    db = Database(config.database.url)
    await db.upgrade()
    now = utcnow()
    soon = TokenPair(oa.access_token, oa.refresh_token, now + timedelta(minutes=30))
    await save_pair(db, oa.app_id, soon)
    async with OAClient(oa.app_id, oa.app_secret, oauth_base_url=oa.base_url) as client:
        store = TokenStore(db, client, oa.app_id)
        assert store.health()[0] is False  # nothing read yet
        await store.check()  # what the background loop does
        assert oa.refreshes == 1 and store.health() == (True, "")
        assert await store.access_token() == oa.access_token != soon.access_token
        assert 3500 <= store.next_check_in() <= 3600  # 24 h left: look again within the hour
        in_24h30 = now + timedelta(hours=24, minutes=30)
        later = TokenStore(db, client, oa.app_id, clock=lambda: in_24h30)
        await later.access_token()  # 30 minutes before expiry: refreshed first
        assert oa.refreshes == 2
    await db.close()


async def test_refused_refresh_token_is_remembered_for_every_process(
        config: Config, oa: FakeZaloOA) -> None:
    db = Database(config.database.url)
    await db.upgrade()
    async with OAClient(oa.app_id, oa.app_secret, oauth_base_url=oa.base_url) as client:
        first = TokenStore(db, client, oa.app_id, "RT-revoked")
        with pytest.raises(ZaloRefreshTokenInvalid):
            await first.access_token()
        second = TokenStore(db, client, oa.app_id, "RT-revoked")
        await second.check()
        ok, problem = second.health()
        assert not ok and "crewbot zalo authorize CODE" in problem
        assert len(oa.calls_to("refresh")) == 1  # the second did not try the dead one again
    await db.close()


# -- OA: the real command ---------------------------------------------------------------------

async def test_crewbot_run_subprocess_answers_a_signed_text(tmp_path: Path,
                                                            oa: FakeZaloOA) -> None:
    port = free_port()
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "bot.db"}"\n'
        f'[zalo]\napi = "oa"\napp_id = "{oa.app_id}"\napp_secret = "{oa.app_secret}"\n'
        f'oa_secret_key = "{oa.oa_secret_key}"\nrefresh_token = "{oa.refresh_token}"\n'
        f'api_base_url = "{oa.base_url}"\noauth_base_url = "{oa.base_url}"\n'
        f"[web]\nport = {port}\n", encoding="utf-8")
    seed = oa.refresh_token
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config_file),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        # The web server listens before the channel starts, and the channel's start
        # refreshes the seeded token: once that happened, the webhook is up.
        await oa.wait_for(lambda: oa.refreshes >= 1, timeout=60)
        url = f"http://127.0.0.1:{port}{PATH}"
        assert await oa.post_event(url, oa.text_event("u-sub", KOREAN_DRONE)) == 200
        await oa.wait_for(lambda: "#sources:permit.drone" in [
            p for group in payloads(oa, "u-sub") for p in group], timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == 0, log
    for secret in (seed, oa.refresh_token, oa.access_token, oa.app_secret, oa.oa_secret_key):
        assert secret not in log  # tokens and keys never reach the log


# -- Bot Platform -----------------------------------------------------------------------------

async def test_bot_polling_answers_numbers_and_keeps_them_across_a_restart(
        config: Config, zbot: FakeZaloBot) -> None:
    configured = bot_config(config, zbot)
    async with running(configured):
        assert zbot.calls_to("deleteWebhook")
        await zbot.inject_text("c-1", "/start")
        await zbot.wait_for(lambda: len(zbot.texts("c-1")) >= 1)
        welcome = zbot.texts("c-1")[0]
        assert "[3] 한국어" in welcome and "[1] English" in welcome
        await zbot.inject_text("c-1", "3")  # the number presses the third choice
        await zbot.wait_for(lambda: len(zbot.texts("c-1")) >= 2)
        menu = zbot.texts("c-1")[1]
        assert menu.startswith(KO.gettext("Language set to English."))
        assert f"[1] {KO.gettext('Permits')}" in menu
        await zbot.inject_text("c-2", KOREAN_DRONE)
        await zbot.wait_for(lambda: any("출처" in t for t in zbot.texts("c-2")))
        assert "**" not in "".join(zbot.texts("c-2"))
    async with running(configured):  # a restart: the numbers still mean the same
        await zbot.inject_text("c-1", "1")
        await zbot.wait_for(lambda: len(zbot.texts("c-1")) >= 3)
        assert zbot.texts("c-1")[2].startswith(KO.gettext("Permits and rules: choose a topic."))


async def test_bot_webhook_answers_flat_and_wrapped_and_refuses_a_wrong_secret(
        config: Config, zbot: FakeZaloBot) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    configured = bot_config(config, zbot, port=port, mode="webhook", webhook_url=url,
                            webhook_secret="s3cret-token-zalo")
    async with running(configured) as bot:
        assert zbot.webhook_url == url and zbot.webhook_secret == "s3cret-token-zalo"
        await zbot.inject_text("w-1", "/help", wrapped=False)
        await zbot.wait_for(lambda: len(zbot.texts("w-1")) >= 1)
        await zbot.inject_text("w-2", KOREAN_DRONE, wrapped=True)
        await zbot.wait_for(lambda: any("출처" in t for t in zbot.texts("w-2")))
        assert zbot.deliveries == [200, 200]
        before = (await count(bot, Message), await count(bot, Chat))
        forged = zbot.text_update("w-evil", "/help")
        assert await zbot.post_webhook(forged, "wrong-secret-token") == 403
        assert await zbot.post_webhook(forged, None) == 401
        # With the right secret, whatever it is gets 200: nothing stored, nothing sent.
        unknown = zbot.text_update("w-evil", "/help")
        unknown["event_name"] = "message.hologram.received"
        assert await zbot.post_webhook(unknown, "s3cret-token-zalo", wrapped=True) == 200
        broken = zbot.text_update("w-evil", "/help")
        del broken["message"]["from"]
        assert await zbot.post_webhook(broken, "s3cret-token-zalo", wrapped=True) == 200
        async with aiohttp.ClientSession() as http, http.post(url, data=b"{oops", headers={
                "X-Bot-Api-Secret-Token": "s3cret-token-zalo"}) as response:
            assert response.status == 200
        assert (await count(bot, Message), await count(bot, Chat)) == before
        assert zbot.texts("w-evil") == []
        sticker = zbot.text_update("w-3", "")
        sticker["event_name"] = "message.sticker.received"
        sticker["message"]["sticker"] = "abc"
        assert await zbot.post_webhook(sticker, "s3cret-token-zalo") == 200
        await zbot.wait_for(lambda: len(zbot.texts("w-3")) >= 1)
        assert zbot.texts("w-3")[0].startswith(MEDIA_TEXT)


def bot_channel(bot: Running) -> Any:
    return bot.channels["zalo"]


async def test_bot_answers_voice_and_leaves_unknown_events_alone(
        config: Config, zbot: FakeZaloBot) -> None:
    async with running(bot_config(config, zbot)) as bot:
        await zbot.inject(zbot.voice_update("v-1"))
        await zbot.wait_for(lambda: len(zbot.texts("v-1")) >= 1)
        assert zbot.texts("v-1")[0].startswith(MEDIA_TEXT)
        reaction = zbot.text_update("v-1", "")
        reaction["event_name"] = "message.reaction.received"  # not in the docs (yet)
        await zbot.inject(reaction)
        await zbot.inject(zbot.unsupported_update("v-1"))  # documented: content withheld
        await zbot.wait_for(lambda: len(zbot.texts("v-1")) >= 2)
        await zbot.inject_text("v-1", "/help")
        await zbot.wait_for(lambda: len(zbot.texts("v-1")) >= 3)
        await bot.app.settled()
        texts = zbot.texts("v-1")
        assert len(texts) == 3 and texts[1].startswith(MEDIA_TEXT)
        assert await count(bot, Message, Message.direction == "in") == 3


async def test_bot_in_a_group_answers_commands_mentions_and_its_numbers_only(
        config: Config, zbot: FakeZaloBot) -> None:
    async with running(bot_config(config, zbot)) as bot:
        group = "g-crew"
        await zbot.inject_text(group, "anyone at the location yet?", chat_type="GROUP")
        await zbot.inject(replace_chat_type(zbot.voice_update(group), "GROUP"))
        await zbot.inject_text(group, "/start", chat_type="GROUP")
        await zbot.wait_for(lambda: len(zbot.texts(group)) >= 1)
        assert "[3] 한국어" in zbot.texts(group)[0]
        await zbot.inject_text(group, "3", chat_type="GROUP")  # its numbered choice
        await zbot.wait_for(lambda: len(zbot.texts(group)) >= 2)
        assert zbot.texts(group)[1].startswith(KO.gettext("Language set to English."))
        await zbot.inject_text(group, "lunch at noon, 2 tables", chat_type="GROUP")
        await zbot.inject_text(group, f"@{zbot.account_name} {KOREAN_DRONE}",
                               chat_type="GROUP")
        await zbot.wait_for(lambda: any("출처" in t for t in zbot.texts(group)))
        await bot.app.settled()
        async with bot.app.db.session() as session:
            stored = list(await session.scalars(select(Message.text).where(
                Message.direction == "in").order_by(Message.id)))
        assert stored == ["/start", "", KOREAN_DRONE]  # the mention is taken out


def replace_chat_type(update: dict[str, Any], chat_type: str) -> dict[str, Any]:
    update["message"]["chat"]["chat_type"] = chat_type
    return update


async def test_bot_polling_skips_an_unreadable_update_and_goes_on(
        config: Config, zbot: FakeZaloBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="crewbot.zalo")
    async with running(bot_config(config, zbot)) as bot:
        bot_channel(bot).poll_backoff = (0.01, 0.02)
        bad = zbot.text_update("p-1", "/help", message_id="bad-update-1")
        bad["message"]["date"] = "yesterday"
        await zbot.inject(bad)
        await zbot.inject_text("p-1", "/help")
        await zbot.wait_for(lambda: len(zbot.texts("p-1")) >= 1)
        assert any(r.levelname == "WARNING" and "message_id=bad-update-1" in r.getMessage()
                   for r in caplog.records)
        # Zalo failing for a while: logged, waited out, and polling goes on.
        zbot.fail("getUpdates", 502, times=3)
        await zbot.wait_for(lambda: sum(c.outcome == "http 502" for c in zbot.calls) == 3)
        await zbot.inject_text("p-1", "/nope")
        await zbot.wait_for(lambda: len(zbot.texts("p-1")) >= 2)
        assert (await healthz(bot))[0] == 200
        assert any("getUpdates failed" in r.getMessage() for r in caplog.records)


async def test_healthz_says_so_when_polling_has_stopped(config: Config,
                                                        zbot: FakeZaloBot) -> None:
    async with running(bot_config(config, zbot)) as bot:
        assert (await healthz(bot))[0] == 200
        poller = bot_channel(bot)._poller
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        status, report = await healthz(bot)
        assert status == 503 and "polling stopped" in report["channels"]["zalo"]["problem"]


# -- rendering and parsing, without servers ---------------------------------------------------

def test_oa_rendering_keeps_every_button_and_at_most_five_per_message() -> None:
    rows = tuple((Button(f"Choice {n}", f"pick:{n}"),) for n in range(12))
    reply = Reply("**Pick** one", (*rows, (Button("Site", url="https://example.org"),)))
    messages = oa_messages(reply)
    buttons = [b for m in messages for b in buttons_of(m)]
    assert all(len(buttons_of(m)) <= 5 for m in messages)
    assert [b["payload"] for b in buttons if b["type"] == "oa.query.hide"] == [
        f"#pick:{n}" for n in range(12)]
    assert buttons[-1] == {"title": "Site", "type": "oa.open.url",
                           "payload": {"url": "https://example.org"}}
    assert messages[0]["text"] == "Pick one"
    pin = oa_messages(Reply("Hoi An", location=Location(15.88, 108.33, "Hoi An")))
    assert pin == [{"text": "📍 Hoi An: 15.88000, 108.33000\n"
                            "https://www.google.com/maps?q=15.88000,108.33000"}]
    long_title = oa_messages(Reply("x", ((Button("y" * 150, "a:b"),),)))
    assert len(buttons_of(long_title[0])[0]["title"]) == 100


def test_bot_rendering_numbers_choices_and_splits_what_does_not_fit() -> None:
    reply = Reply("Choose", ((Button("One", "a:1"), Button("Two", "a:2")),
                             (Button("Docs", url="https://example.org"),)))
    rendering = bot_rendering(reply, first_number=4)
    assert rendering.texts == ["Choose\n\n[4] One\n[5] Two\nDocs: https://example.org"]
    assert rendering.actions == ["a:1", "a:2"]
    big = bot_rendering(Reply("w " * 999, ((Button("One", "a:1"),),)))
    assert len(big.texts) == 2 and big.texts[1] == "[1] One"
    assert all(1 <= len(t) <= 2000 for t in big.texts)

