"""The secrets that link a chat to an application: an access code and a deep-link token.

The access code is what a crew types (`/track REF CODE`), so it is short, unambiguous
(Crockford's base32: no I, L, O, U) and grouped, with 50 random bits: at five tries an
hour per chat, guessing is hopeless. It is shown once and kept only as an argon2 hash.
The deep-link token rides in `https://t.me/<bot>?start=<token>` (64 characters of
`A-Za-z0-9_-` at most); with 128 random bits a plain SHA-256 is enough to store it.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 10  # 50 bits
LINK_PREFIX = "t-"  # tells a link token from a language or an article in /start
# Cheap enough for a chat command, still slow to brute-force an exposed hash.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY = _hasher.hash("dummy-code-for-equal-timing")


def new_access_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(code: str) -> str:
    """What the crew typed, as it was issued: case, spaces, dashes and look-alikes forgiven."""
    cleaned = code.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OILU", "011V"))
    return f"{cleaned[:5]}-{cleaned[5:]}" if len(cleaned) == CODE_LENGTH else cleaned


def hash_code(code: str) -> str:
    return _hasher.hash(normalise_code(code))


def verify_code(stored_hash: str | None, code: str) -> bool:
    """Constant work whether or not the application exists (pass None when it does not)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY, normalise_code(code)) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_link_token() -> str:
    return LINK_PREFIX + secrets.token_urlsafe(16)


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
