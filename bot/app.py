"""The running bot's parts, built once from the configuration and shared by channels."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Config
from bot.i18n import Catalogs
from bot.messages import Incoming, Reply
from bot.paths import bundled
from bot.router import Router
from bot.services.knowledge import KnowledgeBase
from bot.services.outbox import Outbox
from bot.storage import Database
from bot.storage.models import Chat

log = logging.getLogger("crewbot.app")


def knowledge_dir(config: Config) -> Path:
    return Path(config.knowledge.dir) if config.knowledge.dir else bundled("knowledge")


class App:
    def __init__(self, config: Config, db: Database, knowledge: KnowledgeBase,
                 router: Router) -> None:
        self.config = config
        self.db = db
        self.knowledge = knowledge
        self.router = router
        self.catalogs = Catalogs(config.bot.languages)
        self.outbox = Outbox(db, config.outbox)

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

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Dispatch, then deliver the queued replies now (the outbox retries what fails)."""
        dispatched = await self.router.dispatch(self, incoming)
        await self.outbox.send_claimed(dispatched.rows, dispatched.external_id)
        if dispatched.waiting:
            await self.outbox.deliver(dispatched.waiting)
        return dispatched.replies

    async def close(self) -> None:
        await self.db.close()
