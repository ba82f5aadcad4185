"""The OA token pair, kept so that no crash, race or second process strands the bot.

Zalo's refresh token works once: every refresh returns a new pair and kills the refresh
token it was given. So the database row is the only copy that matters, and three rules
follow:

- the new pair is written in one UPDATE (access and refresh token together) as soon as
  the refresh call returns, with nothing else awaited in between, and the refresh and
  the write run in a task the caller's cancellation cannot cut in two; should the write
  fail, the pair stays in memory (and in use) and the write is retried until it lands;
- one refresh at a time, across processes: a process first claims the row
  (`refreshing_until`, set by a conditional UPDATE on the refresh token it read), and
  only the one whose UPDATE matched calls Zalo; the others wait for the new row. Inside
  one process an asyncio lock lets a hundred failed sends share that one refresh;
- a refused refresh token is written down (`refresh_error`), logged as an ERROR once
  and reported by the health check with the command that fixes it; the access token
  in hand is used until it expires, and `crewbot zalo authorize CODE` (which stores a
  fresh pair with `save_pair`) brings every process back, without a restart.

"Refused" is any error answer from the token endpoint but a rate limit, a 5xx or no
answer at all. Zalo's OAuth error codes are not documented as a closed list (-14014
and -14020 are the ones seen for a dead token; -14003 answers a wrong secret or
parameter), and retrying a refusal every few seconds would neither bring the token
back nor tell anyone: a human has to look, so the bot says so loudly and waits.

The configured refresh token only seeds an empty table; after the first refresh it is
stale, and the database is the truth. Nothing here logs a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.channels.zalo.errors import ZaloError, ZaloRefreshTokenInvalid
from bot.channels.zalo.oa_client import OAClient, TokenPair
from bot.storage import Database
from bot.storage.models import ZaloToken, utcnow

log = logging.getLogger("crewbot.zalo.tokens")

AUTHORIZE_COMMAND = "crewbot zalo authorize CODE"
# Refresh this long before the access token (25 h) expires, so that a slow or failed
# refresh still leaves time to try again before sends start failing.
REFRESH_AHEAD = timedelta(hours=1)
# How long a claim on the row holds: longer than one OAuth call may take (30 s).
CLAIM = timedelta(seconds=60)
# How often a process waiting on another's claim looks at the row again.
WAIT_STEP_SECONDS = 0.2
STORE_ATTEMPTS = 5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _retrieve(task: asyncio.Future[str]) -> None:
    """Read a shielded task's error, so one whose caller left is not reported as lost."""
    if not task.cancelled():
        task.exception()


class NotAuthorized(ZaloError):
    """No token pair is stored for this app: a human must authorize it first."""


def _insert(db: Database) -> Any:
    return postgresql_insert if db.dialect == "postgresql" else sqlite_insert


async def save_pair(db: Database, app_id: str, pair: TokenPair) -> None:
    """Store a pair from an authorization code, replacing whatever was there (and its error)."""
    now = utcnow()
    values = dict(access_token=pair.access_token, refresh_token=pair.refresh_token,
                  expires_at=pair.expires_at, refreshing_until=None, refresh_error="",
                  updated_at=now)
    statement = _insert(db)(ZaloToken).values(app_id=app_id, **values)
    statement = statement.on_conflict_do_update(index_elements=[ZaloToken.app_id], set_=values)
    async with db.session() as session:
        await session.execute(statement)


class TokenStore:
    """The access token for one app's OA calls: cached, refreshed ahead, shared safely."""

    def __init__(self, db: Database, client: OAClient, app_id: str, seed_refresh_token: str = "",
                 *, clock: Callable[[], datetime] = utcnow,
                 ahead: timedelta = REFRESH_AHEAD) -> None:
        self.db = db
        self.client = client
        self.app_id = app_id
        self._seed = seed_refresh_token
        self._clock = clock
        self.ahead = ahead
        # How often the background loop looks at the row while no usable pair is known
        # (someone may run `crewbot zalo authorize` meanwhile).
        self.recheck_seconds = 10.0
        self._lock = asyncio.Lock()
        self._pair: TokenPair | None = None
        self._error = ""
        self._unsaved: TokenPair | None = None
        self._loaded = False
        # The last access token Zalo refused: never handed out again, dead refresh or not.
        self._refused_access = ""
        self.refreshes = 0

    # -- what senders call --------------------------------------------------------------

    async def access_token(self) -> str:
        """A token Zalo should accept now; refreshes first when it is about to expire."""
        pair = self._pair
        if pair is not None and not self._error and not self._due(pair):
            return pair.access_token
        return await self._renew(stale=None)

    async def refresh(self, stale: str) -> str:
        """Zalo refused `stale`: a newer token (another caller's refresh), or a refresh."""
        return await self._renew(stale=stale)

    def health(self) -> tuple[bool, str]:
        if self._error:
            return False, (f"Zalo refused the OA refresh token ({self._error}); "
                           f"re-authorize with: {AUTHORIZE_COMMAND}")
        if not self._loaded:
            return False, "Zalo OA tokens not loaded yet"
        if self._pair is None:
            return False, f"no Zalo OA token stored; authorize with: {AUTHORIZE_COMMAND}"
        if self._unsaved is not None:
            return False, "a new Zalo OA token pair is not stored in the database yet; retrying"
        return True, ""

    @property
    def expires_at(self) -> datetime | None:
        return self._pair.expires_at if self._pair is not None else None

    # -- the background loop --------------------------------------------------------------

    async def check(self) -> None:
        """Read the row (another process or `authorize` may have changed it), refresh if due."""
        async with self._lock:
            await self._sync()
            pair = self._pair
            if pair is None or self._error or not self._due(pair):
                return
            await self._refresh_claimed(pair)

    def next_check_in(self) -> float:
        """Seconds until `check` has something to do: the refresh time, or a recheck."""
        pair = self._pair
        if pair is None or self._error or self._unsaved is not None:
            return self.recheck_seconds
        due = pair.expires_at - self.ahead - self._clock()
        # At least hourly: another process may refresh, and its new expiry is ours too.
        return min(max(due.total_seconds(), 1.0), 3600.0)

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh ahead of expiry even when nobody writes, so the pair never goes stale.

        A quiet OA still needs this: an unused refresh token dies after three months.
        """
        while not stop.is_set():
            try:
                await self.check()
                wait = self.next_check_in()
            except ZaloRefreshTokenInvalid:
                wait = self.recheck_seconds  # already logged loudly
            except ZaloError as error:
                log.warning("zalo token refresh failed app_id=%s error=%s retry_in=30s",
                            self.app_id, error)
                wait = 30.0
            except Exception:
                log.exception("zalo token check failed app_id=%s", self.app_id)
                wait = 30.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    # -- inside ---------------------------------------------------------------------------

    def _due(self, pair: TokenPair) -> bool:
        return not pair.access_token or pair.expires_at - self._clock() <= self.ahead

    async def _renew(self, stale: str | None) -> str:
        if stale:
            self._refused_access = stale
        async with self._lock:
            if self._usable(stale):
                assert self._pair is not None
                return self._pair.access_token  # refreshed while we waited for the lock
            await self._sync()
            if self._usable(stale):
                assert self._pair is not None
                return self._pair.access_token  # another process refreshed
            pair = self._pair
            if pair is None:
                raise NotAuthorized(0, "no Zalo OA token stored; run " + AUTHORIZE_COMMAND)
            if self._error:
                # The refresh token is dead, but an access token Zalo has not refused
                # yet carries on until it expires: hours for a human to re-authorize.
                if pair.access_token and pair.access_token != self._refused_access \
                        and pair.expires_at > self._clock():
                    return pair.access_token
                raise ZaloRefreshTokenInvalid(0, self._error)
            return await self._refresh_claimed(pair)

    def _usable(self, stale: str | None) -> bool:
        pair = self._pair
        return (pair is not None and not self._error and bool(pair.access_token)
                and pair.access_token not in (stale, self._refused_access) and not self._due(pair))

    async def _read(self) -> ZaloToken | None:
        async with self.db.session() as session:
            return await session.get(ZaloToken, self.app_id)

    async def _sync(self) -> None:
        """Bring the in-memory pair up to the row (seeding an empty table first)."""
        if self._unsaved is not None and not await self._write(self._unsaved):
            return  # the pair in memory is the only good one; keep it
        row = await self._read()
        if row is None and self._seed:
            now = utcnow()
            statement = _insert(self.db)(ZaloToken).values(
                app_id=self.app_id, access_token="", refresh_token=self._seed, expires_at=None,
                refreshing_until=None, refresh_error="", updated_at=now
            ).on_conflict_do_nothing()
            async with self.db.session() as session:
                await session.execute(statement)
            log.info("zalo tokens seeded from the configuration app_id=%s", self.app_id)
            row = await self._read()
        self._adopt(row)

    def _adopt(self, row: ZaloToken | None) -> None:
        self._loaded = True
        if row is None or not row.refresh_token:
            self._pair, self._error = None, ""
            return
        self._pair = TokenPair(row.access_token, row.refresh_token, row.expires_at or EPOCH)
        if row.refresh_error and not self._error:
            log.error("zalo refresh token is dead app_id=%s reason=%r fix=%r", self.app_id,
                      row.refresh_error, AUTHORIZE_COMMAND)
        elif self._error and not row.refresh_error:
            log.info("zalo tokens authorized again app_id=%s", self.app_id)
        self._error = row.refresh_error

    async def _claim(self, refresh_token: str) -> bool:
        now = utcnow()
        async with self.db.session() as session:
            claimed = await session.execute(
                update(ZaloToken)
                .where(ZaloToken.app_id == self.app_id,
                       ZaloToken.refresh_token == refresh_token,
                       ZaloToken.refresh_error == "",
                       or_(ZaloToken.refreshing_until.is_(None),
                           ZaloToken.refreshing_until < now))
                .values(refreshing_until=now + CLAIM))
            return claimed.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    async def _release(self, refresh_token: str) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(ZaloToken)
                .where(ZaloToken.app_id == self.app_id,
                       ZaloToken.refresh_token == refresh_token)
                .values(refreshing_until=None))

    async def _refresh_claimed(self, pair: TokenPair) -> str:
        """Refresh under the row's claim, or adopt the pair of whoever holds it."""
        while not await self._claim(pair.refresh_token):
            await asyncio.sleep(WAIT_STEP_SECONDS)
            row = await self._read()
            if row is None or row.refresh_token != pair.refresh_token or row.refresh_error:
                self._adopt(row)
                if self._pair is None:
                    raise NotAuthorized(0, "the Zalo OA token row disappeared")
                if self._error:
                    raise ZaloRefreshTokenInvalid(0, self._error)
                return self._pair.access_token
            # Same refresh token: its holder is still at it, or died and its claim will
            # expire; either way, try the claim again.
        # Refresh and store as one task: cancelling the sender that asked (the outbox
        # stopping, a webhook timing out) must not fall between Zalo's answer and the write.
        task = asyncio.ensure_future(self._refresh_and_store(pair))
        task.add_done_callback(_retrieve)
        return await asyncio.shield(task)

    async def _refresh_and_store(self, pair: TokenPair) -> str:
        started = time.monotonic()
        try:
            fresh = await self.client.refresh(pair.refresh_token)
        except ZaloError as error:
            if error.retryable:  # a rate limit, a 5xx, no answer: the token may be fine
                await self._release(pair.refresh_token)
                raise
            return await self._refused(pair, error)
        except BaseException:
            await self._release(pair.refresh_token)
            raise
        self.refreshes += 1
        self._pair, self._error, self._unsaved = fresh, "", fresh
        stored = False
        for attempt in range(1, STORE_ATTEMPTS + 1):
            if await self._write(fresh):
                stored = True
                break
            await asyncio.sleep(min(0.1 * 2 ** attempt, 5.0))
        log.info("zalo access token refreshed app_id=%s expires_at=%s stored=%s took_ms=%.0f",
                 self.app_id, fresh.expires_at.isoformat(timespec="seconds"), stored,
                 1000 * (time.monotonic() - started))
        return fresh.access_token

    async def _write(self, fresh: TokenPair) -> bool:
        """One UPDATE with both tokens; False (and the pair kept in memory) if it failed."""
        try:
            await self._store(fresh)
        except Exception as error:
            log.error("zalo tokens not stored app_id=%s error=%s; kept in memory, retrying",
                      self.app_id, type(error).__name__)
            return False
        if self._unsaved is fresh:
            self._unsaved = None
        return True

    async def _store(self, fresh: TokenPair) -> None:
        await save_pair(self.db, self.app_id, fresh)

    async def _refused(self, pair: TokenPair, error: ZaloError) -> str:
        row = await self._read()
        if row is not None and row.refresh_token != pair.refresh_token \
                and not row.refresh_error:
            # Our claim had run out and someone else refreshed first: theirs is good.
            self._adopt(row)
            assert self._pair is not None
            return self._pair.access_token
        reason = f"code {error.code}: {error.message}"[:256]
        async with self.db.session() as session:
            await session.execute(
                update(ZaloToken)
                .where(ZaloToken.app_id == self.app_id,
                       ZaloToken.refresh_token == pair.refresh_token)
                .values(refreshing_until=None, refresh_error=reason))
        if not self._error:
            log.error("zalo refresh token refused app_id=%s reason=%r: the OA cannot send "
                      "once the access token expires; fix=%r", self.app_id, reason,
                      AUTHORIZE_COMMAND)
        self._error = reason
        if isinstance(error, ZaloRefreshTokenInvalid):
            raise error
        raise ZaloRefreshTokenInvalid(error.code, error.message, error.http_status) from error
