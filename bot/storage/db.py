"""The async engine and session factory, with SQLite tuned for a long-running bot."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import StartupError


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web server read while a handler writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _problem(error: BaseException, url: URL) -> str:
    """The first connection's failure as one line: which server or file, and why.

    Every command opens the database through `upgrade` first, so this is where an
    unreachable server or a missing database shows, before anything else has started.
    """
    safe = url.render_as_string(hide_password=True)
    server = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(error, ConnectionRefusedError):
        return (f"cannot connect to the database server at {server} ({safe}): "
                "connection refused; is PostgreSQL running there?")
    if isinstance(error, socket.gaierror):
        return f"cannot connect to the database server ({safe}): unknown host {url.host!r}"
    if isinstance(error, TimeoutError):
        return f"cannot connect to the database server at {server} ({safe}): no answer in time"
    if isinstance(error, OSError):
        return f"cannot connect to the database ({safe}): {error.strerror or error}"
    orig = error.orig if isinstance(error, DBAPIError) else error
    reason = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if getattr(orig, "sqlstate", None) == "3D000":  # invalid_catalog_name
        return (f"the database {url.database!r} does not exist on {server} ({safe}); "
                f"create it first (createdb {url.database}) or correct the URL")
    return f"cannot open the database {safe}: {reason}"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self._parsed = parsed
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        if self.dialect == "postgresql":
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
        try:
            self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        except ImportError as error:
            # The driver is imported here, when the engine is made; PostgreSQL's is an extra.
            if self.dialect == "postgresql":
                raise StartupError("PostgreSQL needs the asyncpg driver, which is not "
                                   "installed: pip install -e '.[postgres]'") from error
            raise StartupError(f"the database driver for {parsed.drivername} is not "
                               f"installed ({error}): pip install -e .") from error
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Apply the migrations; the first connection's failure becomes a `StartupError`."""
        from bot.storage.migrate import upgrade

        try:
            await upgrade(self.engine)
        except (OSError, DBAPIError) as error:
            await self.engine.dispose()
            raise StartupError(_problem(error, self._parsed)) from error

    async def close(self) -> None:
        await self.engine.dispose()
