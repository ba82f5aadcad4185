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
from bot.services import chats, roles
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

    @property
    def role(self) -> str:
        return roles.role_of(self.app.config.staff, self.incoming.channel,
                             self.incoming.user_id)

    def with_language(self, language: str) -> Context:
        return Context(self.incoming, self.chat, self.session, self.app.catalogs.get(language),
                       self.app)

    def speaking(self, text: str) -> Context:
        """This context in the language `text` is written in, when it is clearly a whole
        sentence in an offered language: a question in Korean gets a Korean answer
        whatever the chat chose, but "visa" or "Ha Long" in a Korean chat stays Korean."""
        language = self.app.reader.language_of(text, self.chat.language,
                                               self.incoming.language_hint)
        if language in self.app.config.bot.languages and language != self.language:
            return self.with_language(language)
        return self


Handler = Callable[[Context], Awaitable[list[Reply]]]


class Router:
    def __init__(self) -> None:
        self._commands: dict[str, Handler] = {}
        self._descriptions: dict[str, str] = {}
        self._actions: dict[str, Handler] = {}
        self._text: Handler | None = None
        self._location: Handler | None = None
        self._desk_commands: dict[str, Handler] = {}
        self._desk_actions: dict[str, Handler] = {}
        self._desk_text: Handler | None = None
        self._desk_edit: Handler | None = None
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

    def desk_command(self, name: str, handler: Handler) -> None:
        """A command heard in the staff desk group (`/note`, `/close`, staff commands)."""
        self._desk_commands[name] = handler

    def desk_action(self, prefix: str, handler: Handler) -> None:
        """A button pressed in the staff desk group; other buttons mean nothing there."""
        self._desk_actions[prefix] = handler

    def desk_text(self, handler: Handler) -> None:
        """What staff write in the desk: relayed, or not, by this handler."""
        self._desk_text = handler

    def desk_edit(self, handler: Handler) -> None:
        """A staff member edited a message in the desk."""
        self._desk_edit = handler

    def location(self, handler: Handler) -> None:
        """For a point shared on the map (a location or a venue) with no text."""
        self._location = handler

    def unknown_command(self, handler: Handler) -> None:
        self._unknown_command = handler

    def commands(self) -> list[str]:
        return list(self._commands)

    def menu_commands(self, t: Translator) -> list[tuple[str, str]]:
        """The commands a platform lists in its menu, described in `t`'s language."""
        return [(name, t.gettext(text)) for name, text in self._descriptions.items()]

    def pick(self, incoming: Incoming) -> Handler | None:
        if incoming.is_desk:
            if incoming.action:
                return self._desk_actions.get(incoming.action.split(":", 1)[0])
            if incoming.edited:
                return self._desk_edit
            if incoming.command:  # crews' commands mean nothing in the desk
                return self._desk_commands.get(incoming.command)
            return self._desk_text
        if incoming.action:
            prefix = incoming.action.split(":", 1)[0]
            return self._actions.get(prefix)
        if incoming.command:
            return self._commands.get(incoming.command, self._unknown_command)
        if incoming.text.strip():
            return self._text
        if incoming.location is not None:
            return self._location
        return None

    async def dispatch(self, app: App, incoming: Incoming) -> Dispatched:
        """Store, resolve, run the handler and queue its replies, in one transaction.

        Nothing leaves the process before the commit (replies are rows the outbox sends
        afterwards), so one transaction is safe: if the process dies in the handler, the
        platform still holds the update unconfirmed and delivers it again. A handler that
        raises loses its own writes; the message is stored again with an apology queued.
        """
        incoming = incoming.cleaned()
        try:
            return await self._dispatch(app, incoming, crashed=False)
        except HandlerFailed:
            # The transaction is gone with the handler's writes; store the message again,
            # with the apology in place of the answer.
            return await self._dispatch(app, incoming, crashed=True)

    async def _dispatch(self, app: App, incoming: Incoming, crashed: bool) -> Dispatched:
        async with app.db.session() as session:
            chat = await chats.get_or_create_chat(
                session, incoming.channel, incoming.chat_id, incoming.display_name
            )
            if await chats.record_incoming(session, chat, incoming) is None:
                log.info("duplicate update skipped channel=%s update_id=%s",
                         incoming.channel, incoming.update_id)
                return Dispatched([], [], "")
            t = app.catalogs.get(app.language_for(chat, incoming))
            handler = self.pick(incoming)
            if crashed:
                replies = [Reply(t.gettext(
                    "Sorry, something went wrong on our side. Please try again in a moment."))]
            elif handler is None:
                replies = []
            else:
                try:
                    replies = await handler(Context(incoming, chat, session, t, app))
                except Exception as error:
                    log.exception("handler failed channel=%s chat=%s", incoming.channel,
                                  chat.id)
                    raise HandlerFailed from error
            queued_before = app.outbox.queued
            rows = await app.outbox.enqueue(session, chat, replies, incoming.message_ref,
                                            claim=True, thread=incoming.thread_id)
            await session.flush()
            elsewhere = app.outbox.queued - queued_before - len(rows)
            return Dispatched(replies, rows, chat.external_id, elsewhere > 0)


class HandlerFailed(Exception):
    """Rolls the dispatch transaction back; the router then stores the apology instead."""


@dataclass
class Dispatched:
    """What a dispatch produced: the replies and their outbox rows, to send after commit."""

    replies: list[Reply]
    rows: list[Message]
    external_id: str
    # The handler queued messages for other chats too (notices): wake the outbox.
    elsewhere: bool = False

    @property
    def waiting(self) -> list[tuple[int, int]]:
        """Rows queued behind an older undelivered message: the outbox sends them in turn."""
        return [(row.id, row.chat_id) for row in self.rows if row.status == "pending"]
