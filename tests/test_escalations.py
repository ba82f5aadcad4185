"""Escalations through the router: desk commands, articles in the crew's language,
ratings, office hours. The Telegram side runs in tests/test_escalations_e2e.py."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.app import App
from bot.config import StaffConfig
from bot.messages import Incoming, Reply
from bot.paths import bundled
from bot.services.escalations.hours import OfficeHours
from bot.services.knowledge import KnowledgeBase
from bot.storage.models import Chat, DeskTopic, Escalation, Message
from tests.conftest import Conversation

DESK = -100555


def test_office_hours_in_the_departments_zone() -> None:
    hours = OfficeHours.parse("Mon-Fri 08:00-17:00", "Asia/Ho_Chi_Minh")
    monday_10 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
    assert hours.is_open(monday_10)
    friday_18 = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # 18:00 Friday in Hanoi
    assert not hours.is_open(friday_18)
    opening = hours.next_opening(friday_18)
    assert (opening.weekday(), opening.hour) == (0, 8) and opening.day == 7
    early = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tuesday 07:00 in Hanoi
    assert hours.next_opening(early).day == 1 and hours.next_opening(early).hour == 8
    middle_east = OfficeHours.parse("Sun-Thu 09:00-17:00", "Asia/Dubai")
    assert middle_east.is_open(datetime(2026, 11, 29, 6, 0, tzinfo=UTC))  # Sunday 10:00


async def desk(app: App, text: str, user: str = "5", thread: str = "55") -> list[Reply]:
    return await app.handle(Incoming(channel="telegram", chat_id=str(DESK), user_id=user,
                                     text=text, display_name="Lan", is_group=True,
                                     thread_id=thread, is_desk=True))


async def crew_texts(app: App, chat: str) -> list[str]:
    async with app.db.session() as session:
        return list((await session.scalars(
            select(Message.text).join(Chat, Chat.id == Message.chat_id)
            .where(Chat.external_id == chat, Message.direction == "out")
            .order_by(Message.id))).all())


async def test_desk_commands_articles_and_ratings(app: App) -> None:
    app.config = replace(app.config, staff=StaffConfig(telegram_chat_id=DESK,
                                                       staff_ids=["telegram:5"]))
    app.escalations.config = app.config
    crew = Conversation(app, user="crew-ko", hint="ko")
    (opened,) = await crew.say("/staff 하롱베이에서 드론 촬영 허가를 받으려면 얼마나 걸리나요?")
    assert "직원" in opened.text
    async with app.db.session() as session:
        await session.execute(update(DeskTopic).values(thread_id="55"))
    assert await desk(app, "/claim") == []
    (listing,) = await desk(app, "/open", thread="")
    assert listing.text.startswith("#1 [ko]") and "Lan" in listing.text
    assert await desk(app, "/article permit.drone") == []
    assert await desk(app, "/claim", user="6") == []  # not staff: nothing happens
    async with app.db.session() as session:
        escalation = await session.scalar(select(Escalation))
        assert escalation is not None and escalation.claimed_by.startswith("Lan")
    sent = await crew_texts(app, "crew-ko")
    assert any("드론" in text for text in sent)  # the Korean article's short answer
    assert await desk(app, "/close 감사합니다") == []
    closed = (await crew_texts(app, "crew-ko"))[-1]
    assert "영화국" in closed
    (thanks,) = await crew.say(action="rate:1:5")
    assert thanks.text == "평가해 주셔서 감사합니다."
    assert await crew.say(action="rate:1:4") == []  # once
    assert await Conversation(app, user="other").say(action="rate:1:1") == []  # not theirs
    async with app.db.session() as session:
        escalation = await session.scalar(select(Escalation))
        assert escalation is not None and escalation.rating == 5


async def test_follow_up_stats_app_in_topic_and_savefaq(app: App, tmp_path: Path) -> None:
    knowledge = tmp_path / "kb"
    shutil.copytree(bundled("knowledge"), knowledge)
    app.config = replace(app.config, staff=StaffConfig(telegram_chat_id=DESK,
                                                       staff_ids=["telegram:5"],
                                                       sla_minutes=30),
                         knowledge=replace(app.config.knowledge, dir=str(knowledge)))
    app.escalations.config = app.config
    crew = Conversation(app, user="crew-fr", hint="fr")
    await crew.say("/staff Peut-on filmer la nuit dans le vieux quartier de Hanoï ?")
    async with app.db.session() as session:
        await session.execute(update(DeskTopic).values(thread_id="77"))
    # Nobody answered for 31 minutes: the desk is reminded, once, by any process.
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert await app.escalations.raise_overdue(app.db, later) == 1
    assert await app.escalations.raise_overdue(app.db, later) == 0
    async with app.db.session() as session:
        desk_rows = (await session.scalars(
            select(Message.text).join(Chat, Chat.id == Message.chat_id)
            .where(Chat.external_id == str(DESK)).order_by(Message.id))).all()
    assert any("No staff answer yet after 30 minutes" in text for text in desk_rows)
    (none,) = await desk(app, "/app", thread="77")
    assert none.text == "This crew follows no application."
    assert await desk(app, "Oui, avec l'accord du quartier.", thread="77") == []
    (not_yet,) = await desk(app, "/savefaq", thread="77")
    assert "/close" in not_yet.text
    assert await desk(app, "/close", thread="77") == []
    (saved,) = await desk(app, "/savefaq", thread="77")
    draft = knowledge / "drafts" / "escalation-1.md"
    assert saved.text.endswith("escalation-1.md") and draft.exists()
    body = draft.read_text(encoding="utf-8")
    assert "vieux quartier" in body and "accord du quartier" in body
    assert not KnowledgeBase.load(knowledge, 0.32).problems  # drafts are not read
    async with app.db.session() as session:
        stats = await app.escalations.stats(session)
    assert (stats.total, stats.open, stats.answered) == (1, 0, 1)


async def test_canned_reply_in_the_crews_language_and_transfer(app: App) -> None:
    app.config = replace(app.config, staff=StaffConfig(telegram_chat_id=DESK,
                                                       staff_ids=["telegram:5"]))
    app.escalations.config = app.config
    crew = Conversation(app, user="crew-ja", hint="ja")
    await crew.say("/staff 撮影機材の一時輸入について相談したいです")
    async with app.db.session() as session:
        await session.execute(update(DeskTopic).values(thread_id="88"))
    (usage,) = await desk(app, "/reply nope", thread="88")
    assert "checking" in usage.text and "via-service-company" in usage.text
    assert await desk(app, "/reply via-service-company", thread="88") == []
    assert any("映画制作サービス会社を通じて" in text
               for text in await crew_texts(app, "crew-ja"))
    async with app.db.session() as session:
        echoed = (await session.scalars(
            select(Message.text).join(Chat, Chat.id == Message.chat_id)
            .where(Chat.external_id == str(DESK)))).all()
    assert any("映画制作サービス会社" in text for text in echoed)  # the topic shows it
    (bad,) = await desk(app, "/transfer lan", thread="88")
    assert bad.text.startswith("Usage: /transfer")
    assert await desk(app, "/transfer @minh", thread="88") == []
    async with app.db.session() as session:
        escalation = await session.scalar(select(Escalation))
        assert escalation is not None and escalation.claimed_by == "@minh"
