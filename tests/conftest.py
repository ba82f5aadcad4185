"""Shared fixtures: a real database (SQLite always, PostgreSQL when configured) and the app."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App
from bot.config import Config, DatabaseConfig, parse_config
from bot.messages import Incoming, Reply
from bot.paths import bundled
from bot.services.knowledge import KnowledgeBase

PG_URL = os.environ.get("CREWBOT_TEST_DATABASE_URL", "")
# The knowledge copies the tests make (and the bots they start) are cached here, not in
# the user's ~/.cache.
os.environ.setdefault("CREWBOT_CACHE_DIR", tempfile.mkdtemp(prefix="crewbot-test-cache-"))
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'crewbot.db'}"
    await _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def config(db_url: str) -> Config:
    base = parse_config({}, "tests")
    return replace(base, database=DatabaseConfig(url=db_url))


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeBase:
    return KnowledgeBase.load(bundled("knowledge"), parse_config({}, "tests").knowledge.
                              answer_threshold)


@pytest.fixture
async def app(config: Config) -> AsyncIterator[App]:
    application = await App.create(config)
    yield application
    await application.close()


class Conversation:
    """Talks to the app as one user of one channel, the way a channel would."""

    def __init__(self, app: App, user: str = "u1", channel: str = "test",
                 hint: str = "") -> None:
        self.app = app
        self.user = user
        self.channel = channel
        self.hint = hint
        self.counter = 0

    async def say(self, text: str = "", action: str = "", update_id: str | None = None
                  ) -> list[Reply]:
        self.counter += 1
        incoming = Incoming(channel=self.channel, chat_id=self.user, user_id=self.user,
                            text=text, action=action, display_name="Test User",
                            language_hint=self.hint,
                            update_id=update_id if update_id is not None else "")
        return await self.app.handle(incoming)

    async def press(self, replies: list[Reply], label: str) -> list[Reply]:
        for reply in replies:
            for button in reply.all_buttons():
                if button.label == label:
                    return await self.say(action=button.action)
        labels = [b.label for r in replies for b in r.all_buttons()]
        raise AssertionError(f"no button {label!r} in {labels}")


@pytest.fixture
def conversation(app: App) -> Conversation:
    return Conversation(app)
