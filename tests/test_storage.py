from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select

from bot.messages import Incoming
from bot.services import chats
from bot.storage import Database
from bot.storage.models import Chat, Message


async def test_migrations_create_tables_and_are_idempotent(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade()
    await db.upgrade()
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"chats", "messages", "unanswered_questions", "alembic_version"} <= tables
    await db.close()


async def test_chat_created_once_and_last_seen_updated(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as session:
        first = await chats.get_or_create_chat(session, "telegram", "42", "Kim")
        first_id, first_seen = first.id, first.first_seen
    async with db.session() as session:
        again = await chats.get_or_create_chat(session, "telegram", "42", "Kim Min-ji")
        assert again.id == first_id
        assert again.display_name == "Kim Min-ji"
        assert again.last_seen >= first_seen
    async with db.session() as session:
        other = await chats.get_or_create_chat(session, "zalo", "42")
        assert other.id != first_id
    await db.close()


async def test_times_come_back_timezone_aware_utc(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade()
    moment = datetime(2026, 1, 30, 12, 0, tzinfo=timezone(timedelta(hours=7)))
    async with db.session() as session:
        session.add(Chat(channel="console", external_id="t", display_name="", role="crew",
                         first_seen=moment, last_seen=moment))
    async with db.session() as session:
        chat = (await session.execute(select(Chat))).scalar_one()
        assert chat.first_seen.tzinfo is not None
        assert chat.first_seen == moment
        assert chat.first_seen.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="naive datetime"):
        async with db.session() as session:
            session.add(Chat(channel="console", external_id="n", display_name="", role="crew",
                             first_seen=datetime(2026, 1, 1), last_seen=datetime.now(UTC)))
    await db.close()


async def test_redelivered_update_is_recorded_once(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade()
    incoming = Incoming(channel="telegram", chat_id="7", user_id="7", text="hello",
                        update_id="1001")
    async with db.session() as session:
        chat = await chats.get_or_create_chat(session, "telegram", "7")
        assert await chats.record_incoming(session, chat, incoming)
        assert not await chats.record_incoming(session, chat, incoming)
        # Without a platform id (console), every message is new.
        plain = Incoming(channel="telegram", chat_id="7", user_id="7", text="again")
        assert await chats.record_incoming(session, chat, plain)
        assert await chats.record_incoming(session, chat, plain)
    async with db.session() as session:
        count = (await session.execute(select(func.count()).select_from(Message))).scalar_one()
    assert count == 3
    await db.close()
