"""Who is talking: the `Chat` row behind a channel's user, and the message log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Incoming, Reply
from bot.storage.models import Chat, Message, utcnow


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
        chat.last_seen = now
        if display_name and display_name != chat.display_name:
            chat.display_name = display_name
    return chat


async def record_incoming(session: AsyncSession, chat: Chat, incoming: Incoming) -> bool:
    """Store what the user sent; False when the platform delivered this update before."""
    message = Message(
        channel=incoming.channel,
        chat_id=chat.id,
        direction="in",
        text=incoming.text,
        action=incoming.action[:256],
        platform_id=incoming.update_id or None,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return False
    return True


def record_replies(session: AsyncSession, chat: Chat, replies: list[Reply]) -> None:
    now = utcnow()
    for reply in replies:
        session.add(
            Message(
                channel=chat.channel,
                chat_id=chat.id,
                direction="out",
                text=reply.text,
                action="",
                platform_id=None,
                created_at=now,
            )
        )


async def set_language(session: AsyncSession, chat: Chat, language: str) -> None:
    chat.language = language
    await session.flush()
