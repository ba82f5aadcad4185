"""Running the whole bot in a test: `serve` in-process, a free port, database waits."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import select

from bot.config import Config
from bot.messages import Reply
from bot.runner import Running, serve
from bot.storage.models import Chat


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def running(config: Config) -> AsyncIterator[Running]:
    """What `crewbot run` runs, until the block ends; it must then stop cleanly (0)."""
    stop = asyncio.Event()
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(config, stop, on_ready=ready.set_result))
    done, _ = await asyncio.wait({task, ready}, timeout=60,
                                 return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        stop.set()
        raise AssertionError(f"bot did not start: {task.result() if task.done() else 'timeout'}")
    try:
        yield ready.result()
    finally:
        stop.set()
        assert await task == 0


async def wait_until(check: Callable[[], Awaitable[bool]], limit: float = 20.0) -> None:
    """For facts only the database knows; re-checked until true (`limit` bounds a failure)."""
    async def loop() -> None:
        while not await check():  # noqa: ASYNC110 - the database has no event to wait on
            await asyncio.sleep(0.01)
    await asyncio.wait_for(loop(), limit)


async def send_from_outbox(bot: Running, external_id: str, reply: Reply) -> None:
    """Queue a reply the way a handler's would be (to a chat that exists) and deliver it."""
    async with bot.app.db.session() as session:
        chat = await session.scalar(select(Chat).where(Chat.external_id == external_id))
        assert chat is not None
        queued = await bot.app.outbox.enqueue(session, chat, [reply])
        await session.flush()
        ids = [(row.id, row.chat_id) for row in queued]
    await bot.app.outbox.deliver(ids)


async def hold_sqlite(path: Path) -> sqlite3.Connection:
    """Another writer holding the SQLite database, as a test's lock: taken off the event
    loop, so that a write of the bot already under way (a heartbeat) finishes first
    instead of waiting on a loop blocked by the wait for it."""
    holder = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    await asyncio.to_thread(holder.execute, "BEGIN EXCLUSIVE")
    return holder
