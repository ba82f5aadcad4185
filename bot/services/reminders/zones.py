"""Whose clock: a chat's time zone, and the quiet hours read on it.

A reminder is shown, and held back at night, on the reader's own clock: a producer in
Paris reading at 3 a.m. "the recce is at 05:00" learns nothing useful and loses sleep.
A chat that never said its zone gets the one its language suggests (a crew that
writes Korean is most likely on Seoul time until it says otherwise), else the
department's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEPARTMENT_ZONE = "Asia/Ho_Chi_Minh"
LANGUAGE_ZONES = {"vi": "Asia/Ho_Chi_Minh", "ko": "Asia/Seoul", "ja": "Asia/Tokyo",
                  "zh": "Asia/Shanghai", "fr": "Europe/Paris"}
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def zone_of(chat_zone: str | None, language: str | None, fallback: str = DEPARTMENT_ZONE
            ) -> str:
    """The chat's own zone, else its language's, else the department's."""
    if chat_zone:
        return chat_zone
    return LANGUAGE_ZONES.get(language or "", fallback)


@lru_cache(maxsize=1)
def _by_city() -> dict[str, str]:
    """`seoul` -> `Asia/Seoul`, `ho chi minh` -> `Asia/Ho_Chi_Minh`: people type cities."""
    found: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/")):
            continue
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        found.setdefault(city, name)
    found.update({"hanoi": "Asia/Ho_Chi_Minh", "ha noi": "Asia/Ho_Chi_Minh",
                  "saigon": "Asia/Ho_Chi_Minh", "hcmc": "Asia/Ho_Chi_Minh",
                  "vietnam": "Asia/Ho_Chi_Minh", "beijing": "Asia/Shanghai",
                  "korea": "Asia/Seoul", "japan": "Asia/Tokyo", "france": "Europe/Paris"})
    return found


def read_zone(words: str) -> str | None:
    """An IANA zone from what someone typed (`Europe/Paris`, `paris`, `UTC`), or None."""
    typed = words.strip()
    if not typed:
        return None
    if typed.upper() == "UTC":
        return "UTC"
    if "/" in typed:
        try:
            ZoneInfo(typed)
        except (ZoneInfoNotFoundError, ValueError):
            lowered = {name.lower(): name for name in available_timezones()}
            return lowered.get(typed.lower())
        return typed
    return _by_city().get(typed.lower().replace("_", " "))


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (`22:00-07:00`, crossing midnight or not) on the reader's clock."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """None for an empty string (no quiet hours); ValueError for a malformed one."""
        if not text.strip():
            return None
        match = _HOURS.match(text)
        if match is None:
            raise ValueError(text)
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
            raise ValueError(text)
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def release(self, when: datetime, zone: str) -> datetime | None:
        """When a message due at `when` may go out: None if now is fine, else the end of
        the quiet window on the reader's clock (as an aware datetime)."""
        tz = ZoneInfo(zone)
        local = when.astimezone(tz)
        if not self.contains(local.time().replace(tzinfo=None)):
            return None
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)  # 23:00 in a 22:00-07:00 window: tomorrow morning
        return datetime.combine(day, self.end, tz)
