"""The Telegram channel end to end: the real python-telegram-bot against the fake Bot API.

Each test runs the whole bot (`bot.runner.serve`, what `crewbot run` runs) in-process
against `FakeTelegram` on 127.0.0.1 and waits on what the fake receives; nothing waits
on the clock. "Nothing happened" is shown by a later message of the same chat being
answered: a chat's updates are handled in order.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.channels.base import Media, RetryLater, TooLarge, Undeliverable
from bot.channels.telegram import TelegramMedia, build_bot, file_base_url
from bot.config import (
    Config,
    DatabaseConfig,
    OutboxConfig,
    StaffConfig,
    TelegramConfig,
    WebConfig,
    parse_config,
)
from bot.messages import Attachment, Reply
from bot.router import Context
from bot.runner import Running
from bot.storage.models import Chat, Message
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import free_port, hold_sqlite, running, send_from_outbox, wait_until

KOREAN_DRONE = "드론 촬영하려면 허가가 필요한가요?"




def telegram_config(config: Config, fake: FakeTelegram, **telegram: Any) -> Config:
    return replace(
        config,
        telegram=TelegramConfig(token=fake.token, api_base_url=fake.base_url, poll_timeout=5,
                                **telegram),
        web=WebConfig(host="127.0.0.1", port=0),
        outbox=OutboxConfig(retry_base_seconds=0.0, retry_max_seconds=0.0, max_attempts=5,
                            sweep_seconds=0.05),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m["text"] or "" for m in fake.sent(chat_id)]


def callback_data(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def answered(fake: FakeTelegram, chat_id: int, count: int) -> list[dict[str, Any]]:
    await fake.wait_for(lambda f: len(f.sent(chat_id)) >= count)
    return fake.sent(chat_id)


async def rows(running_bot: Running, direction: str) -> int:
    async with running_bot.app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Message)
                                         .where(Message.direction == direction)) or 0)


async def test_start_language_buttons_then_menu_edited_in_chosen_language(
        config: Config, fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        fake.message(100, "/start", language_code="en")
        (welcome,) = await answered(fake, 100, 1)
        assert "lang:ko" in callback_data(welcome) and "lang:vi" in callback_data(welcome)
        assert welcome["parse_mode"] == "HTML"
        fake.callback(100, "lang:ko", message_id=welcome["message_id"])
        await fake.wait_for(lambda f: f.sent(100)[0]["edited"] >= 1)
        menu = fake.sent(100)[0]
        assert len(fake.sent(100)) == 1  # the menu replaced the language choice in place
        assert "언어가 한국어로 설정되었습니다." in menu["text"]
        assert "무엇이 궁금하신가요?" in menu["text"]
        assert "browse:permits" in callback_data(menu)
        assert fake.calls_to("answerCallbackQuery")


async def test_korean_question_gets_the_korean_article_with_its_source(
        config: Config, fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        fake.message(200, KOREAN_DRONE, language_code="en")
        (answer,) = await answered(fake, 200, 1)
        # The short answer, its sources a button away ("출처").
        assert "드론" in answer["text"] and "sources:permit.drone" in callback_data(answer)
        assert "<b>" in answer["text"] and "**" not in answer["text"]
        assert "staff:talk" in callback_data(answer)


async def test_commands_menu_is_published_per_language(config: Config,
                                                       fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        names = [c["command"] for c in fake.commands()]
        assert names == ["start", "menu", "language", "help", "staff", "track", "status",
                         "timezone"]
        korean = {c["command"]: c["description"] for c in fake.commands(language_code="ko")}
        assert korean["language"] == "언어 변경"
        french = {c["command"]: c["description"] for c in fake.commands(language_code="fr")}
        assert french["language"] == "Changer de langue"


async def test_location_article_sends_its_map_pin(config: Config, fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        fake.message(300, "/start location_hoi-an")
        await fake.wait_for(lambda f: any(m["location"] for m in f.sent(300)))
        *article, pin = fake.sent(300)
        assert "Hoi An" in article[0]["text"]
        assert "sources:location.hoi-an" in callback_data(article[0])
        assert abs(pin["location"]["latitude"] - 15.88) < 0.1


async def test_rate_limit_is_waited_out_and_delivered_once(config: Config,
                                                           fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        fake.fail("sendMessage", status=429, retry_after=1)
        fake.message(400, "/help")
        await answered(fake, 400, 1)
        fake.message(400, "/menu")
        await answered(fake, 400, 2)
        assert len(fake.sent(400)) == 2
        assert [c.failed for c in fake.calls_to("sendMessage")].count(True) == 1


async def test_server_errors_are_retried_until_delivered(config: Config,
                                                         fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)) as bot:
        fake.fail("sendMessage", status=502, times=2)
        fake.message(500, "/help")
        await answered(fake, 500, 1)
        assert len(fake.sent(500)) == 1
        async with bot.app.db.session() as session:
            attempts = await session.scalar(select(Message.attempts)
                                            .where(Message.direction == "out"))
        assert attempts == 3


async def test_blocked_bot_marks_the_chat_unreachable_and_goes_on(config: Config,
                                                                  fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)) as bot:
        fake.block(600)
        fake.message(600, "/help")
        fake.message(601, "/help")
        await answered(fake, 601, 1)

        async def marked() -> bool:
            async with bot.app.db.session() as session:
                chat = await session.scalar(select(Chat).where(Chat.external_id == "600"))
                return chat is not None and chat.unreachable_since is not None

        await wait_until(marked)
        assert fake.sent(600) == []




async def test_update_whose_storage_failed_is_fetched_again_and_answered_once(
        tmp_path: Path, fake: FakeTelegram) -> None:
    """A locked database (another writer holding it past the busy timeout) fails the store;
    the update stays unconfirmed, comes back with the next getUpdates, and is answered
    once the database is free: nothing lost, nothing twice."""
    path = tmp_path / "locked.db"
    base = replace(parse_config({}, "tests"),
                   database=DatabaseConfig(url=f"sqlite+aiosqlite:///{path}"))
    async with running(telegram_config(base, fake)) as bot:
        fake.message(1400, "/help")
        await answered(fake, 1400, 1)
        await bot.app.settled()

        async def help_recorded_sent() -> bool:
            async with bot.app.db.session() as session:
                return await session.scalar(select(func.count()).select_from(Message).where(
                    Message.direction == "out", Message.status == "sent")) == 1

        await wait_until(help_recorded_sent)
        # The bot may be writing at this instant (a heartbeat): wait for it, then hold.
        holder = await hold_sqlite(path)
        update = fake.message(1400, "/menu")

        def served(f: FakeTelegram) -> int:
            return sum(1 for call in f.calls_to("getUpdates") if call.answered
                       and any(u.get("update_id") == update["update_id"]
                               for u in call.result or []))

        await fake.wait_for(lambda f: served(f) >= 2, timeout=60)  # fetched again
        holder.execute("ROLLBACK")
        holder.close()
        await answered(fake, 1400, 2)
        fake.message(1400, "/language")
        await answered(fake, 1400, 3)
        assert len(fake.sent(1400)) == 3


async def test_a_sticker_gets_a_line_saying_the_bot_reads_text(config: Config,
                                                               fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        sticker = fake.message(1300, "/help")
        await answered(fake, 1300, 1)
        message = dict(sticker["message"])
        del message["text"], message["entities"]
        message["sticker"] = {"file_id": "s1", "file_unique_id": "u1", "width": 512,
                              "height": 512, "is_animated": False, "is_video": False,
                              "type": "regular"}
        fake.inject({"update_id": sticker["update_id"] + 1000, "message": message})
        (_, reply) = await answered(fake, 1300, 2)
        assert reply["text"] == ("I can only read text. Please type your question in your "
                                 "own language.")


async def test_duplicate_update_is_answered_once(config: Config, fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)):
        update = fake.message(700, "/help")
        await answered(fake, 700, 1)
        fake.inject(update)
        fake.message(700, "/menu")
        await answered(fake, 700, 2)
        assert len(fake.sent(700)) == 2


async def test_handler_crash_gets_an_apology_and_the_bot_keeps_answering(
        config: Config, fake: FakeTelegram) -> None:
    async def broken(ctx: Context) -> list[Reply]:
        raise RuntimeError("bug in a handler")

    async with running(telegram_config(config, fake)) as bot:
        bot.app.router.command("broken", broken)
        fake.message(800, "/language ko")
        await answered(fake, 800, 2)
        fake.message(800, "/broken")
        apology = (await answered(fake, 800, 3))[2]
        assert apology["text"] == ("죄송합니다. 시스템에 문제가 발생했습니다. "
                                   "잠시 후 다시 시도해 주세요.")
        fake.message(800, "/help")
        await answered(fake, 800, 4)


async def test_groups_hear_commands_mentions_and_replies_only(config: Config,
                                                              fake: FakeTelegram) -> None:
    group = -1001
    async with running(telegram_config(config, fake)):
        fake.message(group, "shall we film at dawn?", chat_type="supergroup", title="Crew",
                     user_id=11)
        fake.message(group, "/help@other_bot", chat_type="supergroup", user_id=11)
        fake.message(group, "/help@crewbot_test_bot", chat_type="supergroup", user_id=11)
        await answered(fake, group, 1)
        fake.message(group, "🎬🎥 @crewbot_test_bot Can I fly a drone?", chat_type="supergroup",
                     user_id=12)
        second = (await answered(fake, group, 2))[1]
        assert "drone" in second["text"].lower()
        assert len(fake.sent(group)) == 2


async def test_staff_desk_chat_is_left_to_the_staff_desk(config: Config,
                                                         fake: FakeTelegram) -> None:
    desk = -2002
    configured = replace(telegram_config(config, fake),
                         staff=StaffConfig(telegram_chat_id=desk, staff_ids=["telegram:5"]))
    async with running(configured):
        fake.message(desk, "a question about KOFIC's letter", chat_type="supergroup",
                     user_id=5)
        fake.message(900, "/help")
        await answered(fake, 900, 1)
        fake.message(desk, "/help", chat_type="supergroup", user_id=5)
        fake.message(900, "/menu")
        await answered(fake, 900, 2)
        assert fake.sent(desk) == []  # the staff's own talk and crews' commands: silence
        fake.message(desk, "/apps", chat_type="supergroup", user_id=5)  # a staff command
        (listing,) = await answered(fake, desk, 1)
        assert "No applications." in listing["text"]


async def test_long_reply_is_split_on_paragraphs(config: Config, fake: FakeTelegram) -> None:
    async with running(telegram_config(config, fake)) as bot:
        fake.message(1000, "/help")
        await answered(fake, 1000, 1)
        paragraph = "Lorem ipsum <dolor> & sit amet. " * 40
        long_text = "\n\n".join(f"{i}. {paragraph}" for i in range(12))
        await send_from_outbox(bot, "1000", Reply(long_text))
        parts = fake.sent(1000)[1:]
        assert len(parts) >= 3
        assert all(len(html.unescape(re.sub(r"<[^>]+>", "", p["text"]))) <= 4096 for p in parts)
        assert all(p["text"].startswith(("0.", "1.", "2.", "3.", "4.", "5.", "6.", "7.", "8.",
                                         "9.", "10.", "11.")) for p in parts)
        assert "&lt;dolor&gt; &amp; sit" in parts[0]["text"]


async def test_webhook_mode_checks_the_secret_and_stores_nothing_when_wrong(
        config: Config, fake: FakeTelegram) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    configured = replace(telegram_config(config, fake, mode="webhook", webhook_url=url,
                                         webhook_secret="s3cret-token"),
                         web=WebConfig(host="127.0.0.1", port=port))
    async with running(configured) as bot:
        assert fake.calls_to("setWebhook")[-1].params["secret_token"] == "s3cret-token"
        fake.message(1100, KOREAN_DRONE)
        (answer,) = await answered(fake, 1100, 1)
        assert "드론" in answer["text"] and "sources:permit.drone" in callback_data(answer)
        before = await rows(bot, "in"), await rows(bot, "out")
        forged = {"update_id": 990001, "message": {
            "message_id": 1, "date": 1700000000, "text": "/help",
            "chat": {"id": 1101, "type": "private"},
            "from": {"id": 1101, "is_bot": False, "first_name": "Mallory"}}}
        assert await fake.post_webhook(forged, "wrong") == 403
        assert await fake.post_webhook(forged, None) == 403
        async with aiohttp.ClientSession() as http:
            for body in (b"{not json", b"[]", b'{"update_id": "x"}', b"\xff\xfe"):
                async with http.post(url, data=body, headers={
                        "X-Telegram-Bot-Api-Secret-Token": "s3cret-token",
                        "Content-Type": "application/json"}) as response:
                    assert response.status == 400
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["channels"]["telegram"]["ok"] is True
        assert (await rows(bot, "in"), await rows(bot, "out")) == before
        assert fake.sent(1101) == []
        async with bot.app.db.session() as session:
            assert await session.scalar(select(Chat).where(Chat.external_id == "1101")) is None
        assert await fake.post_webhook(forged, "s3cret-token") == 200
        await answered(fake, 1101, 1)


async def test_crewbot_run_subprocess_answers_start_and_korean(tmp_path: Path,
                                                               fake: FakeTelegram) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "bot.db"}"\n'
        f'[telegram]\ntoken = "{fake.token}"\napi_base_url = "{fake.base_url}"\n'
        f"poll_timeout = 5\n[web]\nport = {free_port()}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config_file),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        await fake.wait_for(lambda f: bool(f.calls_to("deleteWebhook")), timeout=60)
        fake.message(1200, "/start")
        (welcome,) = await answered(fake, 1200, 1)
        assert "lang:ko" in callback_data(welcome)
        fake.message(1201, KOREAN_DRONE)
        (answer,) = await answered(fake, 1201, 1)
        assert "드론" in answer["text"] and "sources:permit.drone" in callback_data(answer)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert fake.token.split(":")[1] not in log  # tokens never reach the log


async def test_a_telegram_file_is_fetched_only_within_the_limit_asked(fake: FakeTelegram
                                                                        ) -> None:
    """The media source behind a staff member's file: getFile's size is checked before
    any download, Telegram's refusals and outages become the outbox's outcomes, and no
    reason carries the token that the download link holds."""
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    settings = TelegramConfig(token=fake.token, api_base_url=fake.base_url)
    bot = build_bot(replace(parse_config({}, "tests"), telegram=settings))
    await bot.initialize()
    media = TelegramMedia(bot)
    try:
        fake.add_file("form", b"%PDF-1.7 form", "documents/file_1.pdf")
        fake.add_file("scan", b"\xff\xd8\xff scan", "photos/file_2.jpg")
        fake.add_file("huge", b"", "videos/file_3.mp4", size=25 * 1024 * 1024)
        form = Attachment("document", "form", "Tờ khai.pdf", "telegram")
        assert await media.fetch(form, 1024) == Media(b"%PDF-1.7 form", "Tờ khai.pdf")
        photo = await media.fetch(Attachment("photo", "scan", "", "telegram"), 1024)
        assert photo == Media(b"\xff\xd8\xff scan", "file_2.jpg")
        with pytest.raises(TooLarge) as small:
            await media.fetch(form, 5)
        assert (small.value.size, small.value.limit) == (13, 5)
        with pytest.raises(TooLarge) as huge:  # Telegram's "file is too big" for bots
            await media.fetch(Attachment("document", "huge", "a.mp4", "telegram"), 10**9)
        assert huge.value.size is None
        with pytest.raises(Undeliverable) as unknown:
            await media.fetch(Attachment("document", "nope", "", "telegram"), 1024)
        assert not isinstance(unknown.value, TooLarge)
        fake.fail("downloadFile", status=502)
        with pytest.raises(RetryLater) as outage:
            await media.fetch(form, 1024)
        assert fake.token not in outage.value.reason
        assert fake.downloads == ["form", "scan"]  # nothing over the limit was fetched
    finally:
        await bot.shutdown()
