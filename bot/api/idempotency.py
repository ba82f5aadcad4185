"""`Idempotency-Key`: a POST that the case system may retry without doing the work twice.

The first successful answer (status and body) is stored in `idempotent_requests` in the
same transaction as the work, so there is never an answer without its work or work
without its answer. The key's row is inserted *before* the work: a concurrent duplicate
then waits on the primary key (PostgreSQL) or on the write lock (SQLite), fails to
insert once the first commits, and answers with what the first stored; no second
application, no second history event. Refusals (4xx) store nothing, as they write
nothing: a corrected retry under the same key is then simply the first request.

The answer to a creation carries the access code, which the database otherwise keeps
only as an argon2 hash. So the row holds the key's SHA-256, not the key, and the code in
the stored body is sealed with a pad derived (HMAC-SHA-256) from the key itself: the
caller who knows the key gets the same answer back, a reader of the database does not
get the code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.errors import ApiError, bad_request
from bot.storage import Database
from bot.storage.models import IdempotentRequest, utcnow

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as a header carries it safely
SEALED_FIELDS = ("access_code",)
_SEALED = "sealed:"

Body = dict[str, object]
Work = Callable[[AsyncSession], Awaitable[tuple[int, Body]]]


@dataclass(frozen=True)
class Answer:
    status: int
    body: Body
    replayed: bool = False


class _Taken(Exception):
    """The key's row exists (or was just committed by a concurrent duplicate)."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.upper().encode() + b" " + path.encode() + b"\n" + body
                          ).hexdigest()


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise bad_request("invalid_value", f"{HEADER} must be 1 to 255 visible ASCII "
                          "characters; a random UUID is best", HEADER)
    return key


def _pad(key: str, length: int) -> bytes:
    stream = b""
    counter = 0
    while len(stream) < length:
        stream += hmac.new(key.encode(), b"crewbot sealed answer %d" % counter,
                           hashlib.sha256).digest()
        counter += 1
    return stream[:length]


def seal(key: str, secret: str) -> str:
    data = secret.encode()
    mixed = bytes(a ^ b for a, b in zip(data, _pad(key, len(data)), strict=True))
    return _SEALED + base64.b64encode(mixed).decode()


def unseal(key: str, sealed: str) -> str:
    data = base64.b64decode(sealed.removeprefix(_SEALED))
    return bytes(a ^ b for a, b in zip(data, _pad(key, len(data)), strict=True)).decode()


class Idempotency:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def run(self, key: str | None, request_fingerprint: str, work: Work) -> Answer:
        """Do `work` in one transaction, or give back the answer stored under `key`."""
        if key is None:
            async with self.db.session() as session:
                status, body = await work(session)
            return Answer(status, body)
        stored_key = hashlib.sha256(key.encode()).hexdigest()
        try:
            async with self.db.session() as session:
                record = IdempotentRequest(key=stored_key, fingerprint=request_fingerprint,
                                           status=0, body="", created_at=utcnow())
                session.add(record)
                try:
                    await session.flush()  # claims the key before any work is done
                except IntegrityError:
                    raise _Taken from None
                status, body = await work(session)
                record.status = status
                record.body = json.dumps(self._sealed(key, body), ensure_ascii=False)
            return Answer(status, body)
        except _Taken:
            pass
        async with self.db.session() as session:
            stored = await session.get(IdempotentRequest, stored_key)
        if stored is None:  # the other request gave up between our insert and this read
            raise ApiError(409, "conflict", f"a request with this {HEADER} was under way; "
                           "retry", HEADER)
        if not hmac.compare_digest(stored.fingerprint, request_fingerprint):
            raise ApiError(422, "idempotency_key_reused", f"this {HEADER} was used for a "
                           "different request; use a new key for a new request", HEADER)
        return Answer(stored.status, self._unsealed(key, json.loads(stored.body)),
                      replayed=True)

    @staticmethod
    def _sealed(key: str, body: Body) -> Body:
        return {name: seal(key, value) if name in SEALED_FIELDS and isinstance(value, str)
                else value for name, value in body.items()}

    @staticmethod
    def _unsealed(key: str, body: Body) -> Body:
        return {name: unseal(key, value) if name in SEALED_FIELDS and isinstance(value, str)
                else value for name, value in body.items()}
