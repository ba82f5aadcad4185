"""Which database errors mean "try again later", whatever the driver calls them.

Every place that writes (recording what a user sent, claiming an outbox row, recording
that a message went out) must tell an outage from a bug: an outage is retried for as
long as it lasts, a bug is recorded and skipped. The drivers do not agree on how they
say "outage": asyncpg raises bare `ConnectionRefusedError` while connecting and its own
`PostgresConnectionError` family afterwards, aiosqlite raises `OperationalError:
database is locked`, and SQLAlchemy wraps some of these in `DBAPIError` and not others.
So the whole chain of causes is looked at, once, here.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import exc as sa_exc

log = logging.getLogger("crewbot.database")

# SQLSTATE classes and codes that a retry can cure: connection exceptions (08),
# serialization failure and deadlock (40001, 40P01), operator intervention such as an
# admin shutdown or a server starting up (57P01-57P03), too many connections (53300).
_TRANSIENT_SQLSTATES = ("08", "40001", "40P01", "57P01", "57P02", "57P03", "53300")
_TRANSIENT_MESSAGES = ("database is locked", "database table is locked", "unable to open",
                       "connection was closed", "connection is closed", "server closed",
                       "connection refused", "connection reset", "terminating connection",
                       "the database system is", "disk i/o error")


def _causes(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapped DBAPI error
        if isinstance(orig, BaseException) and orig not in seen:
            seen.append(orig)
        current = current.__cause__ or current.__context__
    return seen


def is_transient(error: BaseException) -> bool:
    """True when the database was away, locked or busy: the same write may work later."""
    for cause in _causes(error):
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, sa_exc.TimeoutError | sa_exc.DisconnectionError):
            return True  # the pool had no connection to give, or lost one
        if isinstance(cause, ConnectionError | TimeoutError | asyncio.TimeoutError):
            return True  # refused, reset, aborted while connecting or talking
        if isinstance(cause, OSError) and cause.errno is not None:
            return True  # unreachable host, network down
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES):
            return True
        if type(cause).__module__.startswith("asyncpg") and type(cause).__name__ in (
                "ConnectionDoesNotExistError", "InterfaceError", "InternalClientError"):
            return True
        if isinstance(cause, sa_exc.OperationalError | sa_exc.InterfaceError):
            message = str(cause).lower()
            if any(marker in message for marker in _TRANSIENT_MESSAGES):
                return True
        if type(cause).__name__ in ("OperationalError", "InterfaceError"):
            message = str(cause).lower()  # the DBAPI's own, unwrapped (sqlite3, asyncpg)
            if any(marker in message for marker in _TRANSIENT_MESSAGES):
                return True
    return False


class Outage:
    """Whether the database is reachable, as the writers last found it.

    Every writer that meets a transient error reports it here, and any later success
    clears it: the log gets one line when the database goes away and one when it is
    back (not a line per failed write), and `/healthz` says so meanwhile.
    """

    def __init__(self) -> None:
        self.since: float | None = None
        self.reason = ""

    def failed(self, error: BaseException, where: str) -> None:
        if self.since is None:
            self.since = time.monotonic()
            self.reason = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            log.error("database unavailable where=%s error=%s", where, self.reason)

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("database back after=%.1fs", time.monotonic() - self.since)
            self.since = None
            self.reason = ""

    def health(self) -> tuple[bool, str]:
        if self.since is None:
            return True, ""
        return False, (f"database unavailable for {time.monotonic() - self.since:.0f}s "
                       f"({self.reason}); updates wait unconfirmed")
