"""Picks the handler for a command, a button action or free text.

Before a handler runs, the router has stored the incoming message (so nothing a crew
said is lost, and a redelivered update is recognised), resolved the sender's `Chat`
and chosen the translator for the sender's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.messages import Incoming, Reply
from bot.services import chats
from bot.storage.models import Chat, Message

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("crewbot.router")


@dataclass
class Context:
    """Everything a handler may use; it never sees the platform."""

    incoming: Incoming
    chat: Chat
    session: AsyncSession
    t: Translator
    app: App

    def _(self, message: str) -> str:
        return self.t.gettext(message)

    @property
    def language(self) -> str:
        return self.t.language

    def with_language(self, language: str) -> Context:
        return Context(self.incoming, self.chat, self.session, self.app.catalogs.get(language),
                       self.app)


Handler = Callable[[Context], Awaitable[list[Reply]]]


class Router:
    def __init__(self) -> None:
        self._commands: dict[str, Handler] = {}
        self._descriptions: dict[str, str] = {}
        self._actions: dict[str, Handler] = {}
        self._text: Handler | None = None
        self._unknown_command: Handler | None = None

    def command(self, name: str, handler: Handler, description: str = "") -> None:
        """`description` (marked with `N_`) puts the command in the platform's command menu."""
        self._commands[name] = handler
        if description:
            self._descriptions[name] = description

    def action(self, prefix: str, handler: Handler) -> None:
        """Button actions are `prefix:argument`; the handler gets the whole action."""
        self._actions[prefix] = handler

    def text(self, handler: Handler) -> None:
        self._text = handler

    def unknown_command(self, handler: Handler) -> None:
        self._unknown_command = handler

    def commands(self) -> list[str]:
        return list(self._commands)

    def menu_commands(self, t: Translator) -> list[tuple[str, str]]:
        """The commands a platform lists in its menu, described in `t`'s language."""
        return [(name, t.gettext(text)) for name, text in self._descriptions.items()]

    def pick(self, incoming: Incoming) -> Handler | None:
        if incoming.action:
            prefix = incoming.action.split(":", 1)[0]
            return self._actions.get(prefix)
        if incoming.command:
            return self._commands.get(incoming.command, self._unknown_command)
        if incoming.text.strip():
            return self._text
        return None

    async def dispatch(self, app: App, incoming: Incoming) -> Dispatched:
        """Store, resolve, run the handler, queue the replies; the outbox sends them."""
        incoming = incoming.cleaned()
        async with app.db.session() as session:
            chat = await chats.get_or_create_chat(
                session, incoming.channel, incoming.chat_id, incoming.display_name
            )
            stored = await chats.record_incoming(session, chat, incoming)
            if stored is None:
                log.info("duplicate update skipped channel=%s update_id=%s",
                         incoming.channel, incoming.update_id)
                return Dispatched([], [])
            chat_id, message_id = chat.id, stored.id
        handler = self.pick(incoming)
        try:
            async with app.db.session() as session:
                chat = await session.get_one(Chat, chat_id)
                ctx = Context(incoming, chat, session, app.catalogs.get(app.language_for(chat,
                              incoming)), app)
                replies = await handler(ctx) if handler is not None else []
                return await self._queue(app, session, chat, incoming, message_id, replies)
        except Exception:
            log.exception("handler failed channel=%s chat=%s", incoming.channel, chat_id)
            async with app.db.session() as session:
                chat = await session.get_one(Chat, chat_id)
                t = app.catalogs.get(app.language_for(chat, incoming))
                replies = [Reply(t.gettext(
                    "Sorry, something went wrong on our side. Please try again in a moment."))]
                return await self._queue(app, session, chat, incoming, message_id, replies)

    @staticmethod
    async def _queue(app: App, session: AsyncSession, chat: Chat, incoming: Incoming,
                     message_id: int, replies: list[Reply]) -> Dispatched:
        """Replies queued and the message marked handled in one transaction: both or none."""
        rows = app.outbox.enqueue(session, chat, replies, incoming.message_ref)
        await chats.mark_handled(session, message_id)
        await session.flush()
        return Dispatched(replies, rows, message_id)


@dataclass
class Dispatched:
    """What a dispatch produced; `rows` get their ids when the transaction commits."""

    replies: list[Reply]
    rows: list[Message]
    incoming_id: int = 0

    @property
    def outbox(self) -> list[tuple[int, int]]:
        return [(row.id, row.chat_id) for row in self.rows if row.status == "pending"]
