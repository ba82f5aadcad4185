"""Web desk accounts: who may sign in, with what role, and what they did.

A password is hashed with argon2 the moment it arrives and only the hash is stored; it
is never logged (log lines name the account's id, not even its e-mail). Failed
sign-ins are counted in the account's row, so all processes behind one database agree:
the fifth failure within `FAILURE_WINDOW` makes the account wait `LOCK_FOR`, whichever
process the next try reaches. An unknown e-mail costs the same argon2 work as a known
one, so timing does not tell which addresses have accounts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import StaffAccount, StaffAudit, utcnow

log = logging.getLogger("crewbot.staff_accounts")

ROLES = ("staff", "coordinator", "admin")
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown: the same work, the same answer time.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(Exception):
    """A request the accounts refuse, worded for the operator."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: `ok`, `wrong` (unknown e-mail or password),
    `locked` (too many failures, `until`) or `disabled`."""

    outcome: str
    account: StaffAccount | None = None
    until: datetime | None = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


async def by_email(session: AsyncSession, email: str) -> StaffAccount | None:
    return await session.scalar(select(StaffAccount).where(
        StaffAccount.email == normalise_email(email)))


async def add(session: AsyncSession, email: str, role: str, password: str) -> StaffAccount:
    address = normalise_email(email)
    if "@" not in address or len(address) > 256 or any(c.isspace() for c in address):
        raise AccountError(f"expected an e-mail address, got {email!r}")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, got {role!r}")
    check_password(password)
    if await by_email(session, address) is not None:
        raise AccountError(f"an account for {address} already exists")
    account = StaffAccount(email=address, role=role, password_hash=_hasher.hash(password),
                           disabled=False, failed_count=0, created_at=utcnow())
    session.add(account)
    await session.flush()
    log.info("staff account added id=%s role=%s", account.id, role)
    return account


async def listing(session: AsyncSession) -> list[StaffAccount]:
    return list((await session.scalars(select(StaffAccount).order_by(StaffAccount.email))).all())


async def disable(session: AsyncSession, email: str) -> StaffAccount:
    account = await by_email(session, email)
    if account is None:
        raise AccountError(f"no account for {normalise_email(email)}")
    account.disabled = True
    log.info("staff account disabled id=%s", account.id)
    return account


async def set_password(session: AsyncSession, email: str, password: str) -> StaffAccount:
    account = await by_email(session, email)
    if account is None:
        raise AccountError(f"no account for {normalise_email(email)}")
    check_password(password)
    account.password_hash = _hasher.hash(password)
    account.failed_count, account.failed_since, account.locked_until = 0, None, None
    account.session_generation += 1
    log.info("staff account password changed id=%s", account.id)
    return account


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


async def sign_in(session: AsyncSession, email: str, password: str,
                  now: datetime | None = None) -> SignIn:
    """Check a password, counting the failure or clearing the count. The row is locked
    (PostgreSQL) while it is read and written, so two processes cannot both count from
    the same number."""
    now = now or utcnow()
    account = await session.scalar(select(StaffAccount).where(
        StaffAccount.email == normalise_email(email)).with_for_update())
    if account is None:
        _verify(_DUMMY_HASH, password)
        return SignIn("wrong")
    if account.locked_until is not None and account.locked_until > now:
        return SignIn("locked", account, account.locked_until)
    if not _verify(account.password_hash, password):
        if account.failed_since is None or now - account.failed_since > FAILURE_WINDOW:
            account.failed_since, account.failed_count = now, 0
        account.failed_count += 1
        if account.failed_count >= MAX_FAILURES:
            account.locked_until = now + LOCK_FOR
            account.failed_since, account.failed_count = None, 0
            log.warning("staff account waits after failed sign-ins id=%s", account.id)
            return SignIn("locked", account, account.locked_until)
        return SignIn("wrong")
    if account.disabled:
        return SignIn("disabled", account)
    account.failed_count, account.failed_since, account.locked_until = 0, None, None
    account.last_sign_in_at = now
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return SignIn("ok", account)


async def audit(session: AsyncSession, account: StaffAccount | None, action: str,
                target: str = "") -> None:
    session.add(StaffAudit(account_id=account.id if account else None, action=action,
                           target=target[:128], at=utcnow()))
