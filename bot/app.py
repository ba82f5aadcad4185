"""The running bot's parts, built once from the configuration and shared by channels."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot import paths
from bot.config import Config
from bot.i18n import Catalogs
from bot.messages import Incoming, Reply
from bot.router import Dispatched, Router
from bot.services.applications import Applications
from bot.services.escalations import Escalations
from bot.services.knowledge import KnowledgeBase
from bot.services.outbox import Outbox
from bot.services.reminders import Reminders
from bot.services.understanding import Reader
from bot.storage import Database
from bot.storage.errors import Outage, is_transient
from bot.storage.models import Chat

log = logging.getLogger("crewbot.app")


def knowledge_dir(config: Config) -> Path:
    return paths.knowledge_dir(config.knowledge.dir)


class App:
    def __init__(self, config: Config, db: Database, knowledge: KnowledgeBase,
                 router: Router) -> None:
        self.config = config
        self.db = db
        self.knowledge = knowledge
        # Reads a crew's message for its questions, places, follow-ups and small talk.
        self.reader = Reader.load(knowledge, config.knowledge.follow_up_minutes)
        self.router = router
        self.catalogs = Catalogs(config.bot.languages)
        self.outage = Outage()
        self.outbox = Outbox(db, config.outbox, self.outage)
        self.applications = Applications(db, self.outbox, self.catalogs, config)
        self.escalations = Escalations(config, db, self.outbox, self.catalogs,
                                       self.applications)
        self.outbox.on_undelivered(self.escalations.report_undelivered)
        self.reminders = Reminders(config, db, self.outbox, self.catalogs)
        self._deliveries: set[asyncio.Task[None]] = set()

    @classmethod
    async def create(cls, config: Config, migrate: bool = True) -> App:
        import handlers

        knowledge = KnowledgeBase.load(knowledge_dir(config), config.knowledge.answer_threshold)
        for problem in knowledge.problems:
            log.warning("knowledge problem=%s", problem)
        db = Database(config.database.url)
        if migrate:
            await db.upgrade()
        router = Router()
        handlers.register(router)
        return cls(config, db, knowledge, router)

    def language_for(self, chat: Chat, incoming: Incoming) -> str:
        """Chosen, else detected from the text, else the platform's hint, else the default."""
        supported = self.config.bot.languages
        if chat.language in supported:
            return chat.language
        if incoming.text and not incoming.command:
            language, confident = self.knowledge.detect_language(incoming.text)
            if confident and language in supported:
                return language
        hint = incoming.language_hint.split("-", 1)[0].lower()
        if hint in supported:
            return hint
        return self.config.bot.default_language

    async def handle(self, incoming: Incoming, background: bool = False) -> list[Reply]:
        """Dispatch, then deliver the queued replies (the outbox retries what fails).

        With `background`, this returns once the message and its replies are committed
        and the sending goes on in a task: a webhook can then answer the platform at
        once (Zalo re-sends an event it has not had a 200 for within two seconds).
        """
        dispatched = await self.router.dispatch(self, incoming)
        if background:
            task = asyncio.create_task(self._deliver(dispatched))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        else:
            await self._deliver(dispatched)
        return dispatched.replies

    async def _deliver(self, dispatched: Dispatched) -> None:
        try:
            await self.outbox.send_claimed(dispatched.rows, dispatched.external_id)
            if dispatched.waiting:
                await self.outbox.deliver(dispatched.waiting)
            if dispatched.elsewhere:
                self.outbox.wake()
        except Exception as error:  # the rows stay queued; the sweep sends them
            if is_transient(error):
                self.outage.failed(error, "delivery")
            else:
                log.exception("delivery failed; left to the outbox sweep")

    async def settled(self) -> None:
        """Wait for the background sends started so far (tests, and a clean stop)."""
        while self._deliveries:
            await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def close(self) -> None:
        await self.settled()  # sends under way finish before the database closes
        await self.db.close()
