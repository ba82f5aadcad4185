"""Reminders end to end: `crewbot run` (in-process, and as processes killed and doubled),
the real python-telegram-bot client against the fake Telegram on 127.0.0.1.

Time: the in-process bot's reminder clock is the test's (moved, not waited for); the
processes run on the real clock with reminders due a second or two ahead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import Config, RemindersConfig, StaffConfig, parse_config
from bot.runner import Running
from bot.services.applications import NewApplication
from bot.services.reminders.when import Schedule
from bot.services.reminders.zones import zone_of
from bot.storage.models import Message, Reminder, ReminderDelivery, ReminderRun, utcnow
from tests.conftest import PG_URL
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import free_port, running, wait_until
from tests.test_telegram import answered, telegram_config

COORDINATOR = 880001
NEW = NewApplication(
    production_title="Rice and Rain", company="Lumière Films SAS", country="FR",
    service_company="Hanoi Fixers Co.", shoot_start=datetime(2027, 3, 1).date(),
    shoot_end=datetime(2027, 3, 20).date(), locations=["Ha Long Bay"],
    contact_email="p@example.com")


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def with_reminders(config: Config, fake: FakeTelegram, quiet: str = "") -> Config:
    return replace(telegram_config(config, fake),
                   staff=StaffConfig(coordinator_ids=[f"telegram:{COORDINATOR}"]),
                   reminders=RemindersConfig(poll_seconds=0.1, quiet_hours=quiet))


async def linked_crews(bot: Running, fake: FakeTelegram, crews: dict[int, str]) -> str:
    """An application, and crews who follow it with /track (each told once)."""
    async with bot.app.db.session() as session:
        application, code = await bot.app.applications.create(session, NEW, "test")
        reference = application.reference
    for chat, language in crews.items():
        fake.message(chat, "/start", language_code=language)
        await answered(fake, chat, 1)
        fake.callback(chat, f"lang:{language}", message_id=fake.sent(chat)[0]["message_id"])
        await fake.wait_for(lambda f, c=chat: len(f.calls_to("answerCallbackQuery")) > 0
                            and len(f.delivered(c)) >= 1)
        fake.message(chat, f"/track {reference} {code}", language_code=language)
        await fake.wait_for(lambda f, c=chat: any(reference in (m["plain_text"] or "")
                                                  for m in f.sent(c)))
    return reference


def reminders_to(fake: FakeTelegram, chat: int) -> list[str]:
    return [m["plain_text"] for m in fake.sent(chat) if (m["plain_text"] or "").startswith("⏰")]


def _confirm_buttons(fake: FakeTelegram) -> dict[str, dict[str, Any]]:
    """The read-backs shown to the coordinator, by their Confirm button's data."""
    found = {}
    for message in fake.sent(COORDINATOR):
        for row in (message["reply_markup"] or {}).get("inline_keyboard", []):
            for button in row:
                if str(button.get("callback_data", "")).startswith("reminder:confirm:"):
                    found[button["callback_data"]] = message
    return found


async def confirm(fake: FakeTelegram, command: str) -> str:
    """A coordinator's /remind, read back, confirmed with its button."""
    seen = set(_confirm_buttons(fake))
    fake.message(COORDINATOR, command, language_code="en")
    await fake.wait_for(lambda f: bool(set(_confirm_buttons(f)) - seen))
    data, echo = next((d, m) for d, m in _confirm_buttons(fake).items() if d not in seen)
    text = str(echo["plain_text"])
    number = data.rsplit(":", 1)[1]
    fake.callback(COORDINATOR, data, message_id=echo["message_id"])
    await fake.wait_for(lambda f: any(f"Scheduled: reminder #{number}," in (m["plain_text"] or "")
                                      for m in f.delivered(COORDINATOR)))
    return text


async def test_three_languages_once_each_at_the_minute_then_a_repeat_and_cancel(
        config: Config, fake: FakeTelegram) -> None:
    async with running(with_reminders(config, fake)) as bot:
        clock = Clock()
        bot.app.reminders.clock = clock
        crews = {7101: "en", 7102: "ko", 7103: "vi"}
        reference = await linked_crews(bot, fake, crews)
        echo = await confirm(fake, f"/remind {reference} in 2 minutes Bring the permit")
        assert "3 chats" in echo
        await asyncio.sleep(0.5)
        assert all(reminders_to(fake, chat) == [] for chat in crews)  # not before its minute
        clock.offset = timedelta(minutes=2, seconds=1)
        for chat in crews:
            await fake.wait_for(lambda f, c=chat: len(reminders_to(f, c)) == 1)
        texts = {chat: reminders_to(fake, chat)[0] for chat in crews}
        assert all("Bring the permit" in text and reference in text for text in texts.values())
        head = "Reminder from the film authority's coordinator"
        for chat, language in crews.items():  # framed in each member's own language
            framed = bot.app.catalogs.get(language).gettext(head)
            assert framed in texts[chat] and (framed != head) == (language != "en")
        assert len({texts[7101], texts[7102], texts[7103]}) == 3
        async with bot.app.db.session() as session:
            first = await session.scalar(select(ReminderRun.occurrence))
        assert first is not None  # the minute it was due, on each reader's clock:
        for chat, language in crews.items():
            moment = bot.app.catalogs.get(language).moment(first, zone_of(None, language))
            assert moment in texts[chat], (moment, texts[chat])

        # A daily reminder fires once a day, and stops when cancelled.
        await confirm(fake, f"/remind {reference} daily 09:00 Safety briefing at the van")
        async with bot.app.db.session() as session:
            nine = await session.scalar(select(Reminder.next_at).where(Reminder.id == 2))
        assert nine is not None
        for day in (1, 2):  # half a minute past 09:00, on the first day, then the next
            clock.offset = nine + timedelta(days=day - 1, seconds=30) - utcnow()
            await fake.wait_for(lambda f, d=day: all(
                sum("Safety briefing" in t for t in reminders_to(f, c)) == d for c in crews))
        fake.message(COORDINATOR, "/reminders", language_code="en")
        await fake.wait_for(lambda f: any("Safety briefing" in (m["plain_text"] or "") and
                                          "delivered 6" in (m["plain_text"] or "")
                                          for m in f.sent(COORDINATOR)))
        fake.message(COORDINATOR, "/cancel 2", language_code="en")
        await fake.wait_for(lambda f: any("is cancelled" in (m["plain_text"] or "")
                                          for m in f.sent(COORDINATOR)))
        clock.offset = nine + timedelta(days=2, seconds=30) - utcnow()
        await asyncio.sleep(1.0)
        await bot.app.settled()
        for chat in crews:
            assert sum("Safety briefing" in t for t in reminders_to(fake, chat)) == 2
            assert len(reminders_to(fake, chat)) == 3


async def test_quiet_hours_hold_back_then_deliver(config: Config, fake: FakeTelegram) -> None:
    now_here = utcnow().astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    start = now_here.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=2)
    quiet = f"{start:%H:%M}-{end:%H:%M}"  # the hours around now, on a Vietnamese clock
    async with running(with_reminders(config, fake, quiet)) as bot:
        clock = Clock()
        bot.app.reminders.clock = clock
        reference = await linked_crews(bot, fake, {7201: "vi"})
        await confirm(fake, f"/remind {reference} in 1 minutes Nộp kịch bản sửa đổi")
        await confirm(fake, f"/remind {reference} urgent in 1 minutes Bão: hủy quay trên biển")
        clock.offset = timedelta(minutes=1, seconds=1)
        await fake.wait_for(lambda f: len(reminders_to(f, 7201)) == 1)
        assert "Bão" in reminders_to(fake, 7201)[0]  # urgent: through the quiet hours
        await asyncio.sleep(0.5)
        assert len(reminders_to(fake, 7201)) == 1  # the other one waits for the morning
        clock.offset = end - utcnow() + timedelta(seconds=1)
        await fake.wait_for(lambda f: len(reminders_to(f, 7201)) == 2)
        assert "Nộp kịch bản" in reminders_to(fake, 7201)[1]


# Processes: killed, restarted, doubled.

def config_file(path: Path, fake: FakeTelegram, url: str, webhook: bool = False) -> Path:
    port = free_port()
    telegram = (f'mode = "webhook"\nwebhook_url = "http://127.0.0.1:{port}/telegram"\n'
                f'webhook_secret = "s3cret-{port}"\n' if webhook else "poll_timeout = 5\n")
    path.write_text(
        f'[database]\nurl = "{url}"\n'
        f'[telegram]\ntoken = "{fake.token}"\napi_base_url = "{fake.base_url}"\n{telegram}'
        f"[web]\nport = {port}\n[outbox]\nretry_base_seconds = 0.2\nretry_max_seconds = 0.5\n"
        f"sweep_seconds = 0.2\n"
        f'[reminders]\npoll_seconds = 0.2\nquiet_hours = ""\n', encoding="utf-8")
    return path


async def start(path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(path),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)


async def seeded(url: str, chats: list[int]) -> tuple[App, str]:
    """The database as the bot would leave it: an application and chats linked to it."""
    config = replace(parse_config({}, "tests"), database=replace(
        parse_config({}, "tests").database, url=url))
    app = await App.create(config)
    async with app.db.session() as session:
        application, _code = await app.applications.create(session, NEW, "test")
        from bot.services import chats as chat_rows
        from bot.storage.models import ApplicationLink
        for chat in chats:
            row = await chat_rows.get_or_create_chat(session, "telegram", str(chat), "Crew")
            row.language = "en"
            await session.flush()
            session.add(ApplicationLink(application_id=application.id, chat_id=row.id))
    return app, application.reference


async def due_in(app: App, reference: str, seconds: float, text: str) -> None:
    at = utcnow() + timedelta(seconds=seconds)
    async with app.db.session() as session:
        draft = await app.reminders.draft(
            session, target=reference, schedule=Schedule("once", "Asia/Ho_Chi_Minh", at=at),
            text=text, author="cli")
        assert await app.reminders.confirm(session, draft.reminder.id) is not None


async def test_sigkill_while_a_reminder_is_due_then_restart_delivers_once(
        tmp_path: Path, fake: FakeTelegram) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    app, reference = await seeded(url, [7301, 7302])
    path = config_file(tmp_path / "config.toml", fake, url)
    try:
        process = await start(path)
        await fake.wait_for(lambda f: bool(f.calls_to("getUpdates")), timeout=60)
        fake.fail("sendMessage", status=502, times=10_000)  # nothing gets through
        await due_in(app, reference, 1.0, "Due while it dies")

        async def queued_and_tried() -> bool:
            async with app.db.session() as session:
                tried = await session.scalar(select(func.count()).select_from(Message).where(
                    Message.direction == "out", Message.attempts >= 1))
                return (tried or 0) >= 2
        await wait_until(queued_and_tried, 60)
        process.kill()
        await process.wait()
        await due_in(app, reference, 0.5, "Due while it was down")
        await asyncio.sleep(1.0)
        fake._fail_rules.clear()
        process = await start(path)
        for chat in (7301, 7302):
            await fake.wait_for(lambda f, c=chat: len(reminders_to(f, c)) == 2, timeout=60)
        await asyncio.sleep(1.0)
        await stop(process)
        for chat in (7301, 7302):
            texts = reminders_to(fake, chat)
            assert sum("Due while it dies" in t for t in texts) == 1, fake.summary()
            assert sum("Due while it was down" in t for t in texts) == 1
    finally:
        await stop(process)
        await app.close()


@pytest.mark.skipif(not PG_URL, reason="needs CREWBOT_TEST_DATABASE_URL (PostgreSQL)")
async def test_two_processes_on_postgresql_deliver_every_reminder_once(
        tmp_path: Path, fake: FakeTelegram) -> None:
    from tests.conftest import _reset_postgres

    await _reset_postgres(PG_URL)
    crews = list(range(7400, 7420))
    app, reference = await seeded(PG_URL, crews)
    processes = [await start(config_file(tmp_path / f"c{i}.toml", fake, PG_URL, webhook=True))
                 for i in range(2)]
    try:
        await fake.wait_for(lambda f: len(f.calls_to("setWebhook")) >= 2, timeout=60)
        for number in range(5):
            await due_in(app, reference, 1.0 + number * 0.3, f"Call sheet {number}")
        for chat in crews:
            await fake.wait_for(lambda f, c=chat: len(reminders_to(f, c)) >= 5, timeout=60)
        await asyncio.sleep(1.5)  # a duplicate would have arrived by now
        for chat in crews:
            texts = reminders_to(fake, chat)
            assert sorted(t.split("\n")[2] for t in texts) == [f"Call sheet {n}"
                                                               for n in range(5)]
        async with app.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(
                ReminderDelivery)) == 5 * len(crews)
    finally:
        for process in processes:
            await stop(process)
        await app.close()


async def test_one_member_gets_a_short_burst_then_about_one_message_a_second(
        config: Config, fake: FakeTelegram) -> None:
    """Telegram asks for about one message a second per chat: five reminders due at once
    to one member go as a burst of three, then a second apart (a lower bound on time, so
    a slow machine cannot fail it)."""
    async with running(with_reminders(config, fake)) as bot:
        clock = Clock()
        bot.app.reminders.clock = clock
        reference = await linked_crews(bot, fake, {7501: "en"})
        for number in range(5):
            await confirm(fake, f"/remind {reference} in 1 minutes Item {number}")
        clock.offset = timedelta(minutes=1, seconds=1)
        await fake.wait_for(lambda f: len(reminders_to(f, 7501)) == 5, timeout=30)
        times = [c.at for c in fake.calls_to("sendMessage")
                 if c.params.get("chat_id") == 7501 and "⏰" in str(c.params.get("text"))]
        assert times[4] - times[2] >= 1.5, times


async def test_a_coordinator_schedules_from_the_desk_group_and_staff_are_refused(
        config: Config, fake: FakeTelegram) -> None:
    desk, staff = -1009988776655, 880002
    configured = replace(with_reminders(config, fake), staff=StaffConfig(
        telegram_chat_id=desk, staff_ids=[f"telegram:{staff}"],
        coordinator_ids=[f"telegram:{COORDINATOR}"]))
    async with running(configured) as bot:
        clock = Clock()
        bot.app.reminders.clock = clock
        reference = await linked_crews(bot, fake, {7601: "ko"})
        fake.message(desk, f"/remind {reference} in 1 minutes Recce", chat_type="supergroup",
                     title="Staff desk", user_id=staff)
        await fake.wait_for(lambda f: any("coordinators" in (m["plain_text"] or "")
                                          for m in f.sent(desk)))
        fake.message(desk, f"/remind {reference} in 1 minutes Recce at the pier",
                     chat_type="supergroup", title="Staff desk", user_id=COORDINATOR)
        await fake.wait_for(lambda f: any(
            "reminder:confirm:" in str(m["reply_markup"]) for m in f.sent(desk)))
        echo = next(m for m in fake.sent(desk) if "reminder:confirm:" in str(m["reply_markup"]))
        data = echo["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        fake.callback(desk, data, message_id=echo["message_id"], user_id=staff,
                      chat_type="supergroup")  # a staff member's press does nothing
        await fake.wait_for(lambda f: sum("coordinators" in (m["plain_text"] or "")
                                          for m in f.sent(desk)) == 2)
        fake.callback(desk, data, message_id=echo["message_id"], user_id=COORDINATOR,
                      chat_type="supergroup")
        await fake.wait_for(lambda f: any("Scheduled: reminder" in (m["plain_text"] or "")
                                          for m in f.sent(desk)))
        clock.offset = timedelta(minutes=1, seconds=1)
        await fake.wait_for(lambda f: len(reminders_to(f, 7601)) == 1)
        assert "Recce at the pier" in reminders_to(fake, 7601)[0]
        await asyncio.sleep(0.5)
        assert len(reminders_to(fake, 7601)) == 1
