"""Nothing lost when the database or the process goes away.

A real TCP proxy in front of PostgreSQL plays the outage (connections reset, new ones
refused) so that asyncpg raises exactly what it raises in production; a worker that
stopped, or whose process is gone, leaves claims that the next sweep recovers at once;
a stop lets the send in flight finish. The fault harness (`benchmarks/faults/`) does the
same with `crewbot run` in its own process and a real PostgreSQL restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import BotConfig, Config, DatabaseConfig, WebConfig
from bot.messages import Reply
from bot.services.outbox import HOSTNAME
from bot.storage.errors import is_transient
from bot.storage.models import Message, Worker, utcnow
from tests.conftest import PG_URL
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import free_port, hold_sqlite, running
from tests.test_outbox import PlatformDouble, fast, queue, statuses
from tests.test_telegram import answered, telegram_config


class CuttableProxy:
    """TCP on 127.0.0.1 to a target; `cut()` resets every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.up = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                     ) -> None:
        if not self.up:
            writer.transport.abort()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer),
                             self._pipe(upstream_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.up = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def test_database_errors_are_one_family() -> None:
    from sqlalchemy.exc import DBAPIError, OperationalError

    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert is_transient(locked)
    assert is_transient(ConnectionRefusedError(111, "Connect call failed"))
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as inner:
            raise RuntimeError("wrapped by a driver") from inner
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert not is_transient(ValueError("a bug"))
    integrity = DBAPIError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_transient(integrity)


@pytest.mark.skipif(not PG_URL, reason="needs CREWBOT_TEST_DATABASE_URL (PostgreSQL)")
async def test_postgresql_outage_loses_and_duplicates_nothing(
        config: Config, fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    """Polling through a PostgreSQL outage: the updates wait unconfirmed at Telegram, the
    health check says why, and every message is answered exactly once after it."""
    if config.database.url != PG_URL:
        pytest.skip("the PostgreSQL variant only")
    url = make_url(PG_URL)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    configured = replace(telegram_config(config, fake),
                         database=DatabaseConfig(url=proxied),
                         web=WebConfig(host="127.0.0.1", port=port))
    caplog.set_level(logging.INFO)
    try:
        async with running(configured) as bot:
            fake.message(3001, "/help")
            await answered(fake, 3001, 1)
            proxy.cut()
            for chat in (3002, 3003, 3004):
                fake.message(chat, "/help")
                fake.message(chat, "/language")

            async def health() -> tuple[int, dict[str, object]]:
                async with aiohttp.ClientSession() as http, \
                        http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    return response.status, await response.json()

            status, report = await health()
            for _ in range(200):
                if status == 503:
                    break
                await asyncio.sleep(0.05)
                status, report = await health()
            assert status == 503 and "database unavailable" in str(report)
            assert all(not fake.sent(chat) for chat in (3002, 3003, 3004))
            proxy.restore()
            for chat in (3002, 3003, 3004):
                await answered(fake, chat, 2)
            await bot.app.settled()
            assert (await health())[0] == 200
        for chat in (3002, 3003, 3004):
            assert len(fake.sent(chat)) == 2  # each answered once, in order
            assert "lang:" in str(fake.sent(chat)[1]["reply_markup"])
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) <= 2, [r.getMessage() for r in errors]  # "unavailable", once
        assert not [r for r in caplog.records if r.exc_info and
                    r.name.startswith("crewbot")]
    finally:
        await proxy.stop()


async def test_claims_of_a_stopped_or_dead_worker_are_recovered_at_once(
        config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    app.outbox.register(platform)
    await app.outbox.register_worker()
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()
    async with app.db.session() as session:
        now = utcnow()
        session.add_all([
            Worker(id="gone-host:1:stopped", hostname="elsewhere", pid=1, started_at=now,
                   heartbeat_at=now, stopped_at=now),
            Worker(id=f"{HOSTNAME}:{dead.pid}:dead", hostname=HOSTNAME, pid=dead.pid,
                   started_at=now, heartbeat_at=now),
            Worker(id="live-host:2:alive", hostname="elsewhere", pid=2, started_at=now,
                   heartbeat_at=now)])
    rows = []
    for user, holder in (("u1", "gone-host:1:stopped"), ("u2", f"{HOSTNAME}:{dead.pid}:dead"),
                         ("u3", "live-host:2:alive")):
        queued = await queue(app, user, [Reply(f"{user} hi")])
        rows += queued
        async with app.db.session() as session:  # as a process that then went away
            await session.execute(update(Message).where(Message.id == queued[0][0]).values(
                status="sending", claimed_by=holder, attempts=1,
                claimed_until=utcnow() + timedelta(minutes=2)))
    assert await app.outbox.sweep() == 2
    assert sorted(reply.text for _, reply, _ in platform.sent) == ["u1 hi", "u2 hi"]
    assert sorted(await statuses(app.db)) == ["sending", "sent", "sent"]  # u3's owner lives
    await app.close()


async def test_stop_lets_the_send_in_flight_finish_and_records_it(
        config: Config, fake: FakeTelegram) -> None:
    configured = replace(telegram_config(config, fake),
                         bot=replace(BotConfig(), shutdown_seconds=10.0))
    async with running(configured) as bot:
        fake.delay("sendMessage", 1.0)
        fake.message(3101, "/help")
        await fake.wait_for(lambda f: bool(f.calls_to("sendMessage")))
        app = bot.app
    # `running` stopped the bot while the send was in flight: it went out once and was
    # recorded as sent, and the worker said it was gone.
    assert len(fake.sent(3101)) == 1
    check = await App.create(configured, migrate=False)
    async with check.db.session() as session:
        rows = (await session.scalars(select(Message.status)
                                      .where(Message.direction == "out"))).all()
        worker = await session.get(Worker, app.outbox.worker_id)
    assert list(rows) == ["sent"]
    assert worker is not None and worker.stopped_at is not None
    await check.close()


async def test_zalo_webhook_answers_503_while_storage_is_down_then_once(
        tmp_path: object, caplog: pytest.LogCaptureFixture) -> None:
    """Zalo re-sends what it had no 200 for: a locked database gets 503 (not a 200 that
    would lose the event, nor a 400), and the re-sent event is answered once."""
    from pathlib import Path

    from bot.config import parse_config
    from tests.fakes.zalo_api import FakeZaloOA
    from tests.test_zalo import answered as zalo_answered
    from tests.test_zalo import hook, oa_config

    path = Path(str(tmp_path)) / "locked.db"
    base = replace(parse_config({}, "tests"),
                   database=DatabaseConfig(url=f"sqlite+aiosqlite:///{path}"))
    async with FakeZaloOA() as oa, running(oa_config(base, oa)) as bot:
        assert await oa.post_event(hook(bot), oa.text_event("u-lock", "/help")) == 200
        await zalo_answered(oa, "u-lock", 1)
        await bot.app.settled()
        # The bot may be writing at this instant (a heartbeat): wait for it, then hold.
        holder = await hold_sqlite(path)
        event = oa.text_event("u-lock", "/language")
        try:
            assert await oa.post_event(hook(bot), event) == 503
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert await oa.post_event(hook(bot), event) == 200  # Zalo's retry
        assert await oa.post_event(hook(bot), event) == 200  # and a duplicate of it
        await zalo_answered(oa, "u-lock", 2)
        await bot.app.settled()
        sent = oa.texts("u-lock")
        assert sum("How crewbot helps" in text for text in sent) == 1
        assert sum("Please choose your language" in text for text in sent) == 1
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("crewbot")]
