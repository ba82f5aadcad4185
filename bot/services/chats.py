"""Who is talking: the `Chat` row behind a channel's user, and the message log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Incoming
from bot.storage.models import Chat, Message, utcnow

LAST_SEEN_RESOLUTION = timedelta(minutes=1)


async def get_or_create_chat(
    session: AsyncSession, channel: str, external_id: str, display_name: str = ""
) -> Chat:
    """The chat row, created on first contact; `last_seen` and the name kept current."""
    query = select(Chat).where(Chat.channel == channel, Chat.external_id == external_id)
    chat = (await session.execute(query)).scalar_one_or_none()
    now = utcnow()
    if chat is None:
        try:
            async with session.begin_nested():
                chat = Chat(
                    channel=channel,
                    external_id=external_id,
                    display_name=display_name,
                    role="crew",
                    first_seen=now,
                    last_seen=now,
                )
                session.add(chat)
        except IntegrityError:
            # Another worker created it between our select and insert.
            chat = (await session.execute(query)).scalar_one()
    else:
        if now - chat.last_seen > LAST_SEEN_RESOLUTION:  # not an UPDATE per message
            chat.last_seen = now
        if chat.unreachable_since is not None:  # they wrote to us, so we can write back
            chat.unreachable_since = None
            chat.unreachable_reason = ""
        if display_name and display_name != chat.display_name:
            chat.display_name = display_name
    return chat


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL both do)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


async def record_incoming(session: AsyncSession, chat: Chat, incoming: Incoming
                          ) -> int | None:
    """Store what the user sent; its id, or None when the platform delivered it before.

    The row is written as `handled` because the router handles it in this same
    transaction: if handling fails or the process dies, the row goes with it and the
    redelivered update is handled then. One INSERT ... ON CONFLICT DO NOTHING instead of
    a savepoint keeps this to one statement.
    """
    values = dict(channel=incoming.channel, chat_id=chat.id, direction="in",
                  text=incoming.text, action=incoming.action[:256],
                  platform_id=incoming.update_id or None, created_at=utcnow(),
                  status="handled", payload=None, attempts=0, last_error="")
    statement = (insert_for(session)(Message).values(**values).on_conflict_do_nothing()
                 .returning(Message.id))
    inserted: int | None = (await session.execute(statement)).scalar_one_or_none()
    return inserted


async def set_language(session: AsyncSession, chat: Chat, language: str) -> None:
    chat.language = language
    await session.flush()


TOPIC_RESOLUTION = timedelta(minutes=1)


async def remember_topic(session: AsyncSession, chat: Chat, article: str | None,
                         place: str | None, at: datetime) -> None:
    """What the chat asked about last, for its follow-ups. One UPDATE statement, and none
    when the same topic was stored less than a minute ago."""
    if (chat.topic_article == article and chat.topic_place == place
            and chat.topic_at is not None and at - chat.topic_at < TOPIC_RESOLUTION):
        return
    await session.execute(update(Chat).where(Chat.id == chat.id).values(
        topic_article=article, topic_place=place, topic_at=at))
