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
from bot.storage.models import Chat

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
        self._actions: dict[str, Handler] = {}
        self._text: Handler | None = None
        self._unknown_command: Handler | None = None

    def command(self, name: str, handler: Handler) -> None:
        self._commands[name] = handler

    def action(self, prefix: str, handler: Handler) -> None:
        """Button actions are `prefix:argument`; the handler gets the whole action."""
        self._actions[prefix] = handler

    def text(self, handler: Handler) -> None:
        self._text = handler

    def unknown_command(self, handler: Handler) -> None:
        self._unknown_command = handler

    def commands(self) -> list[str]:
        return list(self._commands)

    def pick(self, incoming: Incoming) -> Handler | None:
        if incoming.action:
            prefix = incoming.action.split(":", 1)[0]
            return self._actions.get(prefix)
        if incoming.command:
            return self._commands.get(incoming.command, self._unknown_command)
        if incoming.text.strip():
            return self._text
        return None

    async def dispatch(self, app: App, incoming: Incoming) -> list[Reply]:
        """Store, resolve, run the handler, store the replies; the channel sends them."""
        incoming = incoming.cleaned()
        async with app.db.session() as session:
            chat = await chats.get_or_create_chat(
                session, incoming.channel, incoming.chat_id, incoming.display_name
            )
            if not await chats.record_incoming(session, chat, incoming):
                log.info("duplicate update skipped channel=%s update_id=%s",
                         incoming.channel, incoming.update_id)
                return []
            chat_id = chat.id
        handler = self.pick(incoming)
        if handler is None:
            return []
        try:
            async with app.db.session() as session:
                chat = await session.get_one(Chat, chat_id)
                ctx = Context(incoming, chat, session, app.catalogs.get(app.language_for(chat,
                              incoming)), app)
                replies = await handler(ctx)
                chats.record_replies(session, chat, replies)
            return replies
        except Exception:
            log.exception("handler failed channel=%s chat=%s", incoming.channel, chat_id)
            async with app.db.session() as session:
                chat = await session.get_one(Chat, chat_id)
                t = app.catalogs.get(app.language_for(chat, incoming))
                replies = [Reply(t.gettext(
                    "Sorry, something went wrong on our side. Please try again in a moment."))]
                chats.record_replies(session, chat, replies)
            return replies
