"""Reading requests strictly: every refusal names its field, and nothing reaches storage
that SQLite would take but PostgreSQL would refuse (over-long text, NUL characters, lone
surrogates), so the same request gets the same answer on either database.

Strictness is deliberate: an unknown or misspelt field, or a detail sent with a status
it does not apply to, would otherwise be dropped in silence, and the case system would
believe the department's record says something it does not.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from bot.api.errors import ApiError, bad_request
from bot.services.applications.countries import COUNTRIES

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
# JSON Schema's `\s` (ECMA-262) also counts U+FEFF as a space; Python's does not.
_EMAIL = re.compile(r"[^@\s\ufeff]+@[^@\s\ufeff]+\.[^@\s\ufeff]+")
_LINE_BREAKS = frozenset("\n\r\t")
_CURSOR = re.compile(r"after:([1-9]\d{0,17})")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise bad_request("malformed_json", f"field {key!r} given twice", key)
        result[key] = value
    return result


def json_object(raw: bytes) -> dict[str, object]:
    """Python's json would take NaN and a key given twice (keeping the last) in silence;
    refused here, the case system learns its request was not what it meant."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                           object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise bad_request("malformed_json", f"the body is not valid JSON: {reason}",
                          None) from None
    if not isinstance(value, dict):
        raise bad_request("invalid_body", "the body must be a JSON object", None)
    return value


def check_text(value: str, name: str, max_length: int, multiline: bool = False,
               allow_empty: bool = False) -> str:
    """Not too long, only characters every database stores, not blank; then trimmed.

    Checked as sent, before trimming, so that whatever `docs/openapi.yaml` calls invalid
    is refused here too.
    """
    if len(value) > max_length:
        raise bad_request("invalid_value", f"{name} is longer than {max_length} characters",
                          name)
    for character in value:
        category = unicodedata.category(character)
        if category == "Cs" or (category == "Cc" and not (multiline
                                                           and character in _LINE_BREAKS)):
            raise bad_request("invalid_value",
                              f"{name} contains a control character (U+{ord(character):04X})",
                              name)
    value = value.strip()
    if not value and not allow_empty:
        raise bad_request("invalid_value", f"{name} must not be empty", name)
    return value


class Fields:
    """One JSON object read field by field; unknown fields are refused up front."""

    def __init__(self, body: Mapping[str, object], allowed: Iterable[str]) -> None:
        known = set(allowed)
        for key in body:
            if key not in known:
                raise bad_request("unknown_field", f"unknown field {key!r}; expected "
                                  f"{', '.join(sorted(known))}", key)
        self.body = body

    def given(self, name: str) -> bool:
        """Present and not null: null is read as leaving an optional field out."""
        return self.body.get(name) is not None

    def _raw(self, name: str, required: bool) -> object:
        value = self.body.get(name)
        if value is None and required:
            raise bad_request("missing_field", f"{name} is required", name)
        return value

    def text(self, name: str, max_length: int, multiline: bool = False) -> str:
        value = self._raw(name, True)
        if not isinstance(value, str):
            raise _wrong_type(name, "a string", value)
        return check_text(value, name, max_length, multiline)

    def optional_text(self, name: str, max_length: int, multiline: bool = False,
                      allow_empty: bool = False) -> str | None:
        value = self._raw(name, False)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _wrong_type(name, "a string or null", value)
        return check_text(value, name, max_length, multiline, allow_empty)

    def texts(self, name: str, max_items: int, max_length: int, required: bool = True
              ) -> list[str] | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise _wrong_type(name, "a list of strings", value)
        if not value:
            raise bad_request("invalid_value", f"{name} must not be empty", name)
        if len(value) > max_items:
            raise bad_request("invalid_value", f"{name} has more than {max_items} items", name)
        result: list[str] = []
        for index, item in enumerate(value):
            where = f"{name}[{index}]"
            if not isinstance(item, str):
                raise _wrong_type(where, "a string", item)
            result.append(check_text(item, where, max_length))
        return result

    def date(self, name: str, required: bool = True) -> date | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _wrong_type(name, "a date string (YYYY-MM-DD)", value)
        return parse_date(value, name)

    def email(self, name: str) -> str:
        value = self._raw(name, True)
        if not isinstance(value, str):
            raise _wrong_type(name, "a string", value)
        if not _EMAIL.fullmatch(value):
            raise bad_request("invalid_value", f"{name} is not an e-mail address", name)
        return check_text(value, name, 256)

    def country(self, name: str) -> str:
        value = self._raw(name, True)
        if not isinstance(value, str):
            raise _wrong_type(name, "a string", value)
        if value not in COUNTRIES:
            raise bad_request("invalid_value", f"{name} must be an ISO 3166-1 alpha-2 country "
                              "code in capitals, such as FR or KR", name)
        return value


def _wrong_type(name: str, expected: str, value: object) -> ApiError:
    return bad_request("wrong_type", f"{name} must be {expected}, not {_json_type(value)}",
                       name)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def parse_date(value: str, name: str) -> date:
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request("invalid_value", f"{name} must be a date as YYYY-MM-DD", name
                          ) from None


def parse_date_time(value: str, name: str) -> datetime:
    """RFC 3339 with its offset: a time without a zone would be read differently by the
    case system and by us."""
    try:
        if not _DATE_TIME.fullmatch(value):
            raise ValueError
        fraction = re.search(r"\.(\d+)", value)
        if fraction and len(fraction.group(1)) > 6:  # Python keeps microseconds
            value = value.replace(fraction.group(0), fraction.group(0)[:7])
        return datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad_request("invalid_value", f"{name} must be a date and time with its offset, "
                          "such as 2027-03-01T08:00:00Z", name) from None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    match = None
    if _BASE64URL.fullmatch(cursor):
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            match = _CURSOR.fullmatch(base64.urlsafe_b64decode(padded).decode())
        except (ValueError, binascii.Error):
            match = None
    if match is None:
        raise bad_request("invalid_value", "cursor is not one this API gave out; start "
                          "without it, or pass next_cursor unchanged", "cursor")
    return int(match.group(1))
