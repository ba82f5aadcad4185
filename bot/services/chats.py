"""Who is talking: the `Chat` row behind a channel's user, and the message log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Incoming
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
        if chat.unreachable_since is not None:  # they wrote to us, so we can write back
            chat.unreachable_since = None
            chat.unreachable_reason = ""
        if display_name and display_name != chat.display_name:
            chat.display_name = display_name
    return chat


# How long a worker may take over an incoming message before a redelivery of it may be
# handled by someone else (a process that died mid-handler must not lose the message).
HANDLING_CLAIM = timedelta(seconds=60)


async def record_incoming(session: AsyncSession, chat: Chat, incoming: Incoming
                          ) -> Message | None:
    """Store what the user sent, claimed for handling; None when it needs no handling.

    A redelivered update (same platform id) needs none, unless its first delivery was
    stored but never handled because the process stopped: then it is claimed again.
    """
    now = utcnow()
    message = Message(
        channel=incoming.channel,
        chat_id=chat.id,
        direction="in",
        text=incoming.text,
        action=incoming.action[:256],
        platform_id=incoming.update_id or None,
        created_at=now,
        status="received",
        claimed_until=now + HANDLING_CLAIM,
    )
    try:
        async with session.begin_nested():
            session.add(message)
        return message
    except IntegrityError:
        pass
    where = (Message.channel == incoming.channel, Message.direction == "in",
             Message.platform_id == incoming.update_id)
    reclaimed = await session.execute(
        update(Message)
        .where(*where, Message.status == "received",
               or_(Message.claimed_until.is_(None), Message.claimed_until < now))
        .values(claimed_until=now + HANDLING_CLAIM))
    if reclaimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return (await session.execute(select(Message).where(*where))).scalar_one()


async def mark_handled(session: AsyncSession, message_id: int) -> None:
    await session.execute(update(Message).where(Message.id == message_id)
                          .values(status="handled", claimed_until=None))


async def set_language(session: AsyncSession, chat: Chat, language: str) -> None:
    chat.language = language
    await session.flush()
