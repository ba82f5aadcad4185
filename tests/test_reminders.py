"""Reminders: reading WHEN, quiet hours, and the service on a real database with a
clock the test moves (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import Config, RemindersConfig, StaffConfig
from bot.services import chats
from bot.services.applications import NewApplication, StatusChange
from bot.services.reminders import Reminders
from bot.services.reminders.when import Schedule, WhenError, parse_when
from bot.services.reminders.zones import QuietHours, read_zone, zone_of
from bot.storage.models import (
    Application,
    ApplicationLink,
    Chat,
    Message,
    Reminder,
    ReminderDelivery,
)
from tests.conftest import Conversation

HCM = "Asia/Ho_Chi_Minh"
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City, a Wednesday
NEW = NewApplication(
    production_title="Rice and Rain", company="Lumière Films SAS", country="FR",
    service_company="Hanoi Fixers Co.", shoot_start=date(2027, 3, 1),
    shoot_end=date(2027, 3, 20), locations=["Ha Long Bay"], contact_email="p@example.com")


def when(text: str, now: datetime = NOW, zone: str = HCM) -> tuple[Schedule, str]:
    words = text.split()
    schedule, used = parse_when(words, now, zone)
    return schedule, " ".join(words[used:])


# Reading WHEN.

def test_absolute_relative_and_named_days_are_read_on_the_writers_clock() -> None:
    schedule, rest = when("2026-12-03 09:00 Bring the permit")
    assert schedule.at == datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo(HCM))
    assert rest == "Bring the permit" and not schedule.repeats
    assert when("in 2 minutes Go")[0].at == NOW + timedelta(minutes=2)
    assert when("in 3 days x")[0].at == NOW + timedelta(days=3)
    assert when("tomorrow 8:00 recce at dawn") == (
        Schedule("once", HCM, at=datetime(2026, 12, 3, 8, 0, tzinfo=ZoneInfo(HCM))),
        "recce at dawn")
    friday = when("friday 17:00 wrap")[0].at
    assert friday is not None and friday.date() == date(2026, 12, 4) and friday.hour == 17
    assert when("tomorrow 9pm x")[0].at == datetime(2026, 12, 3, 21, 0, tzinfo=ZoneInfo(HCM))
    assert when("ngày mai 8h30 họp")[0].at == datetime(2026, 12, 3, 8, 30,
                                                        tzinfo=ZoneInfo(HCM))
    # "in 3 days": the 3 is a count, not three o'clock.
    assert when("in 3 days 5 people")[1] == "5 people"
    seoul = when("tomorrow 8:00 x", zone="Asia/Seoul")[0].at
    assert seoul is not None and seoul.astimezone(UTC).hour == 23


def test_repetitions_keep_their_wall_clock_across_daylight_saving() -> None:
    schedule, rest = when("every sunday 09:00 weekly call", zone="Europe/Paris")
    assert schedule.repeats and schedule.days == "sun" and rest == "weekly call"
    first = schedule.first(datetime(2027, 3, 20, tzinfo=UTC))
    assert first is not None
    second = schedule.after(first)
    assert second is not None
    assert (first.astimezone(UTC).hour, second.astimezone(UTC).hour) == (8, 7)  # CET, CEST
    daily, _ = when("daily 07:30 until 2026-12-05 x")
    moments = [daily.first(NOW)]
    while (following := daily.after(moments[-1])) is not None:  # type: ignore[arg-type]
        moments.append(following)
    assert [m.day for m in moments if m] == [3, 4, 5]
    assert when("weekdays 8:00 x")[0].days == "mon-fri"
    assert when("every monday and thursday at 10:00 x")[0].days == "mon,thu"
    assert when("hàng ngày 7h30 đến 2026-12-20 x")[0].until == date(2026, 12, 20)


@pytest.mark.parametrize("text, reason", [
    ("2026-12-01 09:00 x", "past"), ("soon x", "unreadable"), ("in 3 x", "unreadable"),
    ("in 5 years x", "unreadable"), ("in 900 days x", "too_far"),
    ("daily 07:30 until 2026-11-01 x", "until_before"), ("every x 9:00", "unreadable"),
    ("2026-13-01 09:00 x", "unreadable"), ("tomorrow 25:00 x", "unreadable"),
])
def test_bad_when_says_why(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as error:
        when(text)
    assert error.value.reason == reason


def test_schedules_survive_storage() -> None:
    for text in ("2026-12-03 09:00 x", "daily 07:30 until 2026-12-20 x", "every mon,fri 9am x"):
        schedule = when(text)[0]
        assert Schedule.from_json(schedule.to_json()) == schedule


def test_quiet_hours_on_the_readers_clock() -> None:
    night = QuietHours.parse("22:00-07:00")
    assert night is not None and QuietHours.parse("") is None
    with pytest.raises(ValueError):
        QuietHours.parse("22-7")
    paris = ZoneInfo("Europe/Paris")
    late = datetime(2026, 12, 2, 23, 30, tzinfo=paris)
    assert night.release(late, "Europe/Paris") == datetime(2026, 12, 3, 7, 0, tzinfo=paris)
    early = datetime(2026, 12, 3, 5, 0, tzinfo=paris)
    assert night.release(early, "Europe/Paris") == datetime(2026, 12, 3, 7, 0, tzinfo=paris)
    assert night.release(datetime(2026, 12, 3, 12, 0, tzinfo=paris), "Europe/Paris") is None
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch is not None and lunch.contains(datetime(2026, 1, 1, 12, 45).time())


def test_time_zones_from_what_people_type_and_from_the_language() -> None:
    assert read_zone("Europe/Paris") == "Europe/Paris"
    assert read_zone("europe/paris") == "Europe/Paris"
    assert read_zone("Seoul") == "Asia/Seoul" and read_zone("ho chi minh") == HCM
    assert read_zone("Hanoi") == HCM and read_zone("UTC") == "UTC"
    assert read_zone("Mars/Olympus") is None and read_zone("") is None
    assert zone_of(None, "ko") == "Asia/Seoul" and zone_of(None, "en") == HCM
    assert zone_of("America/Los_Angeles", "ko") == "America/Los_Angeles"


# The service, with a clock the test moves.

class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app: App) -> Clock:
    moved = Clock(NOW)
    app.reminders.clock = moved
    return moved


async def crew(app: App, reference: str, channel: str, external: str,
               language: str | None, zone: str | None = None) -> int:
    async with app.db.session() as session:
        chat = await chats.get_or_create_chat(session, channel, external, f"Crew {external}")
        chat.language, chat.timezone = language, zone
        application = await app.applications.get(session, reference)
        assert application is not None
        session.add(ApplicationLink(application_id=application.id, chat_id=chat.id))
        await session.flush()
        return chat.id


async def application(app: App) -> str:
    async with app.db.session() as session:
        created, _code = await app.applications.create(session, NEW, "test", NOW.date())
        return created.reference


async def schedule(app: App, target: str, text: str, words: str, *, urgent: bool = False,
                   author: Chat | None = None) -> int:
    async with app.db.session() as session:
        draft = await app.reminders.draft(
            session, target=target, schedule=when(words + " x", app.reminders.clock())[0],
            text=text, author="telegram:1", author_chat=author, urgent=urgent)
        reminder = await app.reminders.confirm(session, draft.reminder.id)
        assert reminder is not None
        return reminder.id


async def sent_to(app: App, chat_id: int) -> list[str]:
    async with app.db.session() as session:
        texts = (await session.scalars(select(Message.text).where(
            Message.chat_id == chat_id, Message.direction == "out").order_by(Message.id))).all()
    return [text.replace("\u202f", " ") for text in texts]  # CLDR's narrow space in "9:00 AM"


async def test_a_reminder_reaches_each_linked_chat_once_in_its_language_and_zone(
        app: App, clock: Clock) -> None:
    reference = await application(app)
    english = await crew(app, reference, "test", "en-1", "en", "America/Los_Angeles")
    korean = await crew(app, reference, "test", "ko-1", "ko")
    vietnamese = await crew(app, reference, "test", "vi-1", "vi")
    await crew(app, await application(app), "test", "other", "en")  # another application
    await schedule(app, reference, "Bring the permit to the set.", "2026-12-02 14:00")
    assert await app.reminders.tick() == 0  # 10:00: not yet
    clock.now = NOW + timedelta(hours=4)  # 14:00 in Ho Chi Minh City
    assert await app.reminders.tick() == 2  # 23:00 in Los Angeles: held till morning
    assert await app.reminders.tick() == 0
    other = Reminders(app.config, app.db, app.outbox, app.catalogs, clock)  # a 2nd process
    assert await other.tick() == 0
    clock.now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 07:00 in Los Angeles
    assert await other.tick() == 1
    assert await app.reminders.tick() == 0
    (en,), (ko,), (vi,) = [await sent_to(app, c) for c in (english, korean, vietnamese)]
    assert "Reminder from the film authority's coordinator" in en
    assert "Bring the permit to the set." in en and reference in en
    assert "11:00 PM" in en and "Los Angeles" in en  # 07:00 UTC on the reader's clock
    assert "Bring the permit" in ko and "Reminder from" not in ko and "오후 4:00" in ko
    assert "Bring the permit" in vi and "14:00" in vi and "Reminder from" not in vi


async def test_two_services_ticking_at_once_deliver_once(app: App, clock: Clock) -> None:
    """Two processes on one database (PostgreSQL: row locks skipped, not waited for)."""
    reference = await application(app)
    members = [await crew(app, reference, "test", f"m{i}", "en") for i in range(30)]
    for minute in range(5):
        await schedule(app, reference, f"Call sheet {minute}", f"2026-12-02 11:0{minute}")
    clock.now = NOW + timedelta(hours=1, minutes=10)
    services = [Reminders(app.config, app.db, app.outbox, app.catalogs, clock)
                for _ in range(3)]
    await asyncio.gather(*(service.tick() for service in services for _ in range(3)))
    for member in members:
        texts = await sent_to(app, member)
        assert sorted(t.split("\n")[-3] for t in texts) == [f"Call sheet {m}" for m in range(5)]


async def test_a_repeating_reminder_fires_each_time_until_its_end(app: App, clock: Clock
                                                                  ) -> None:
    reference = await application(app)
    member = await crew(app, reference, "test", "r1", "en")
    reminder_id = await schedule(app, reference, "Daily safety briefing",
                                 "daily 08:00 until 2026-12-05")
    for day in (2, 3, 4, 5, 6):  # from the 3rd (10:00 on the 2nd is past 08:00)
        clock.now = datetime(2026, 12, day, 1, 0, 30, tzinfo=UTC)  # 08:00:30 local
        await app.reminders.tick()
        await app.reminders.tick()
    assert len(await sent_to(app, member)) == 3
    async with app.db.session() as session:
        reminder = await session.get(Reminder, reminder_id)
        assert reminder is not None and reminder.status == "done"


async def test_quiet_hours_hold_a_reminder_until_morning_unless_urgent(
        app: App, clock: Clock) -> None:
    reference = await application(app)
    paris = await crew(app, reference, "test", "fr-1", "fr", "Europe/Paris")
    hanoi = await crew(app, reference, "test", "vi-2", "vi")
    # 10:30 in Hanoi is 04:30 in Paris: inside 22:00-07:00 there, not in Hanoi.
    await schedule(app, reference, "Script v3 due", "2026-12-02 10:30")
    clock.now = NOW + timedelta(minutes=31)
    await app.reminders.tick()
    assert len(await sent_to(app, hanoi)) == 1 and await sent_to(app, paris) == []
    clock.now = datetime(2026, 12, 2, 5, 59, tzinfo=UTC)  # 06:59 Paris
    await app.reminders.tick()
    assert await sent_to(app, paris) == []
    clock.now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 07:00 Paris
    await app.reminders.tick()
    (held,) = await sent_to(app, paris)
    assert "Script v3 due" in held
    await schedule(app, reference, "Storm warning: no boats", "2026-12-02 22:00", urgent=True)
    clock.now = datetime(2026, 12, 2, 15, 0, 5, tzinfo=UTC)  # 16:00 Paris, 22:00 Hanoi
    await app.reminders.tick()
    assert "Storm warning" in (await sent_to(app, hanoi))[-1]


async def test_missed_beyond_grace_is_reported_not_sent_within_grace_is_sent_once(
        app: App, clock: Clock) -> None:
    reference = await application(app)
    member = await crew(app, reference, "test", "g1", "en")
    async with app.db.session() as session:
        author = await chats.get_or_create_chat(session, "test", "coordinator")
        author.language = "en"
    await schedule(app, reference, "Within grace", "2026-12-02 11:00", author=author)
    await schedule(app, reference, "Beyond grace", "2026-12-02 10:30", author=author)
    clock.now = datetime(2026, 12, 2, 4, 45, tzinfo=UTC)  # 11:45: 45 and 75 minutes late
    await app.reminders.tick()
    await app.reminders.tick()
    texts = await sent_to(app, member)
    assert len(texts) == 1 and "Within grace" in texts[0]
    reports = await sent_to(app, author.id)
    assert len(reports) == 1 and "was not running" in reports[0] and "60 minutes" in reports[0]


async def test_cancel_stops_what_has_not_gone(app: App, clock: Clock) -> None:
    reference = await application(app)
    member = await crew(app, reference, "test", "c1", "en")
    reminder_id = await schedule(app, reference, "Never", "daily 12:00")
    async with app.db.session() as session:
        assert await app.reminders.cancel(session, reminder_id, "telegram:1") is not None
        assert await app.reminders.cancel(session, reminder_id, "telegram:1") is None
    clock.now = NOW + timedelta(days=2)
    await app.reminders.tick()
    assert await sent_to(app, member) == []


async def test_a_silent_zalo_follower_is_counted_unreachable_and_reported(
        app: App, clock: Clock) -> None:
    app.config = replace(app.config, zalo=replace(app.config.zalo, api="oa"))
    app.reminders.config = app.config
    reference = await application(app)
    zalo = await crew(app, reference, "zalo", "z-1", "vi")
    async with app.db.session() as session:
        row = await session.get(Chat, zalo)
        assert row is not None
        row.last_seen = NOW - timedelta(days=8)
        author = await chats.get_or_create_chat(session, "test", "coordinator")
    await schedule(app, reference, "Reach me", "2026-12-02 10:05", author=author)
    clock.now = NOW + timedelta(minutes=6)
    await app.reminders.tick()
    await app.reminders.tick()
    assert await sent_to(app, zalo) == []
    (report,) = await sent_to(app, author.id)
    assert "0 of 1" in report and "Crew z-1 (zalo)" in report
    async with app.db.session() as session:
        status = await session.scalar(select(ReminderDelivery.status))
        assert status == "unreachable"


async def test_automatic_reminders_from_the_applications_dates(app: App, clock: Clock
                                                               ) -> None:
    reference = await application(app)
    member = await crew(app, reference, "test", "a1", "en")
    async with app.db.session() as session:
        await app.applications.change(session, reference, StatusChange(
            "under_review", actor="officer"), NOW.date())
        await app.applications.change(session, reference, StatusChange(
            "approved", actor="officer", permit_number="CP-77/2026",
            valid_from=date(2026, 12, 2), valid_until=date(2026, 12, 20)), NOW.date())
    assert await app.reminders.schedule_automatic() == 2 + 1  # 7 and 1 days; shoot start
    assert await app.reminders.schedule_automatic() == 0  # each once
    clock.now = datetime(2026, 12, 13, 2, 0, 5, tzinfo=UTC)  # 09:00 on the 13th, Hanoi
    await app.reminders.tick()
    (notice,) = [text for text in await sent_to(app, member) if text.startswith("⏰")]
    assert "CP-77/2026" in notice and "December 20, 2026" in notice and "7 days" in notice
    # The permit is extended: the reminder for the old last day is dropped, not sent.
    async with app.db.session() as session:
        row = await app.applications.get(session, reference)
        assert row is not None
        row.valid_until = date(2027, 1, 31)
    clock.now = datetime(2026, 12, 19, 2, 0, 5, tzinfo=UTC)
    await app.reminders.tick()
    assert len([text for text in await sent_to(app, member) if text.startswith("⏰")]) == 1


async def test_automatic_kinds_can_be_switched_off(config: Config) -> None:
    quiet = replace(config, reminders=RemindersConfig(permit_expiry=False, shoot_start=False,
                                                      requested_items=False))
    app = await App.create(quiet)
    try:
        app.reminders.clock = Clock(NOW)
        await application(app)
        assert await app.reminders.schedule_automatic() == 0
        async with app.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Reminder)) == 0
            assert await session.scalar(select(func.count()).select_from(Application)) == 1
    finally:
        await app.close()


# The coordinator's commands, through the router.

COORDINATOR = "c-7"


@pytest.fixture
async def desk(config: Config) -> App:
    with_roles = replace(config, staff=StaffConfig(coordinator_ids=[f"test:{COORDINATOR}"]))
    app = await App.create(with_roles)
    app.reminders.clock = Clock(NOW)
    return app


async def test_remind_reads_back_and_schedules_only_on_confirm(desk: App) -> None:
    app = desk
    try:
        reference = await application(app)
        for i, language in enumerate(("en", "ko", "vi")):
            await crew(app, reference, "test", f"crew-{i}", language)
        coordinator = Conversation(app, COORDINATOR)
        (usage,) = await coordinator.say("/remind")
        assert "Usage: /remind TARGET WHEN TEXT" in usage.text and HCM in usage.text
        (past,) = await coordinator.say(f"/remind {reference} 2026-12-01 09:00 Late")
        assert "already passed" in past.text
        (unknown,) = await coordinator.say("/remind VN-FP-2026-0999 tomorrow 8:00 Hello")
        assert "No application VN-FP-2026-0999" in unknown.text
        echo = await coordinator.say(f"/remind {reference} tomorrow 8:00 Recce at the pier")
        assert "3 chats" in echo[0].text and "Dec 3, 2026" in echo[0].text
        assert "8:00\u202fAM" in echo[0].text and "Vietnam" in echo[0].text
        async with app.db.session() as session:
            assert await session.scalar(select(Reminder.status)) == "draft"
        (done,) = await coordinator.press(echo, "Confirm")
        assert done.edit and "Scheduled: reminder #1" in done.text
        (again,) = await coordinator.press(echo, "Confirm")
        assert "can no longer be confirmed" in again.text
        (listed,) = await coordinator.say("/reminders")
        assert reference in listed.text and "Recce at the pier" in listed.text
        (cancelled,) = await coordinator.say("/cancel 1")
        assert "cancelled" in cancelled.text
        (none,) = await coordinator.say("/reminders")
        assert "No upcoming reminders" in none.text
    finally:
        await app.close()


async def test_crews_are_refused_and_told_in_their_language(desk: App) -> None:
    app = desk
    try:
        crew_member = Conversation(app, "crew-x")
        await crew_member.say("/start")
        await crew_member.say(action="lang:vi")
        (refused,) = await crew_member.say("/remind all tomorrow 8:00 hi")
        assert "điều phối" in refused.text
        (refused,) = await crew_member.say("/reminders")
        assert "điều phối" in refused.text
        (zone,) = await crew_member.say("/timezone Seoul")
        assert "Asia/Seoul" in zone.text
        (bad,) = await crew_member.say("/timezone Atlantis")
        assert "Atlantis" in bad.text and "/timezone" in bad.text
        async with app.db.session() as session:
            assert await session.scalar(select(Chat.timezone).where(
                Chat.external_id == "crew-x")) == "Asia/Seoul"
            assert await session.scalar(select(func.count()).select_from(Reminder)) == 0
    finally:
        await app.close()


async def test_a_coordinators_zone_reads_when(desk: App) -> None:
    app = desk
    try:
        reference = await application(app)
        coordinator = Conversation(app, COORDINATOR)
        await coordinator.say("/timezone Europe/Paris")
        echo = await coordinator.say(f"/remind {reference} urgent tomorrow 8:00 Early call")
        assert "France" in echo[0].text and "quiet hours" in echo[0].text
        async with app.db.session() as session:
            reminder = await session.scalar(select(Reminder))
            assert reminder is not None and reminder.urgent
            assert reminder.next_at == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    finally:
        await app.close()
