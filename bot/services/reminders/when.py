"""WHEN a reminder fires, as a coordinator types it, read in the coordinator's time zone.

The forms: an absolute time (`2026-12-01 09:00`), a relative one (`in 2 minutes`,
`in 3 days`, `tomorrow 8:00`, `friday 17:00`) or a repetition (`every monday 09:00`,
`daily 07:30 until 2026-12-20`, `weekdays 8:00`). English words, and the Vietnamese
ones a coordinator at the department would type (`ngày mai 8:00`, `hàng ngày 7:30`).

The schedule is then APScheduler's business: a `DateTrigger` or a `CronTrigger` in the
IANA zone computes every occurrence, daylight-saving changes included, so this module
only reads words and never does calendar arithmetic of its own beyond "in N units".
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

ONCE, REPEAT = "once", "repeat"
# Day names as cron writes them, and the words people use for them.
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_WORDS: dict[str, str] = {
    **{day: day for day in CRON_DAYS},
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun", "tues": "tue", "thur": "thu",
    "thurs": "thu",
    # Vietnamese, with and without marks (words joined: "thứ hai" is read as one).
    "thứ hai": "mon", "thứ ba": "tue", "thứ tư": "wed", "thứ năm": "thu", "thứ sáu": "fri",
    "thứ bảy": "sat", "chủ nhật": "sun", "thu hai": "mon", "thu ba": "tue", "thu tu": "wed",
    "thu nam": "thu", "thu sau": "fri", "thu bay": "sat", "chu nhat": "sun",
}
UNITS: dict[str, timedelta] = {}
for _words, _unit in ((("minute", "minutes", "min", "mins", "m", "phút", "phut"),
                       timedelta(minutes=1)),
                      (("hour", "hours", "hr", "hrs", "h", "giờ", "gio", "tiếng", "tieng"),
                       timedelta(hours=1)),
                      (("day", "days", "d", "ngày", "ngay"), timedelta(days=1)),
                      (("week", "weeks", "w", "tuần", "tuan"), timedelta(weeks=1))):
    UNITS.update(dict.fromkeys(_words, _unit))
IN_WORDS = ("in", "trong", "sau")
TODAY_WORDS = ("today", "hôm nay", "hom nay")
TOMORROW_WORDS = ("tomorrow", "ngày mai", "ngay mai", "mai")
DAILY_WORDS = ("daily", "hàng ngày", "hang ngay", "mỗi ngày", "moi ngay")
EVERY_WORDS = ("every", "mỗi", "moi", "hàng", "hang")
WEEKDAYS_WORDS = ("weekdays", "weekday")
UNTIL_WORDS = ("until", "till", "đến", "den", "tới", "toi")
# The hour a reminder for a day without a time fires (a working morning, not midnight).
DEFAULT_TIME = time(9, 0)
LONGEST = timedelta(days=366 * 2)

_TIME = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?\s*(am|pm|sáng|sang|chiều|chieu|tối|toi)?$")
_TIMELIKE = re.compile(r"^\d{1,2}([:h]\d*|\s*(am|pm))$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:t(\d{1,2}:\d{2}))?$")


class WhenError(ValueError):
    """The words do not say a time we can read, or say one that has passed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unreadable" | "past" | "too_far" | "until_before"


@dataclass(frozen=True)
class Schedule:
    """When a reminder fires: once at `at`, or on `days` at `hour:minute` until `until`.

    Stored as JSON on the reminder; `zone` is the IANA zone its words were read in (a
    repetition keeps its wall-clock time in that zone across daylight-saving changes).
    """

    kind: str
    zone: str
    at: datetime | None = None
    days: str = "*"  # cron day_of_week: "*", "mon-fri", "mon,thu"
    hour: int = 0
    minute: int = 0
    until: date | None = None

    @property
    def repeats(self) -> bool:
        return self.kind == REPEAT

    def trigger(self) -> BaseTrigger:
        zone = ZoneInfo(self.zone)
        if self.kind == ONCE:
            assert self.at is not None
            return DateTrigger(run_date=self.at, timezone=zone)
        end = (datetime.combine(self.until, time(23, 59, 59), zone)
               if self.until is not None else None)
        return CronTrigger(day_of_week=self.days, hour=self.hour, minute=self.minute,
                           end_date=end, timezone=zone)

    def first(self, now: datetime) -> datetime | None:
        """The first occurrence at or after `now` (None: there is none left)."""
        found: datetime | None = self.trigger().get_next_fire_time(None, now)
        return found

    def after(self, occurrence: datetime) -> datetime | None:
        """The occurrence that follows `occurrence` (None for a one-off, or past `until`)."""
        if self.kind == ONCE:
            return None
        found: datetime | None = self.trigger().get_next_fire_time(
            occurrence, occurrence + timedelta(seconds=1))
        return found

    def to_json(self) -> str:
        data: dict[str, object] = {"kind": self.kind, "zone": self.zone}
        if self.at is not None:
            data["at"] = self.at.isoformat()
        if self.kind == REPEAT:
            data.update(days=self.days, hour=self.hour, minute=self.minute,
                        until=self.until.isoformat() if self.until else None)
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str) -> Schedule:
        data = json.loads(raw)
        return cls(kind=data["kind"], zone=data["zone"],
                   at=datetime.fromisoformat(data["at"]) if data.get("at") else None,
                   days=data.get("days", "*"), hour=int(data.get("hour", 0)),
                   minute=int(data.get("minute", 0)),
                   until=date.fromisoformat(data["until"]) if data.get("until") else None)


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word.lower())


def _joined(words: list[str], i: int) -> tuple[str, int]:
    """The longest known phrase (one or two words) starting at `i`, and its length."""
    if i + 1 < len(words):
        two = f"{_fold(words[i])} {_fold(words[i + 1])}"
        if two in DAY_WORDS or two in TOMORROW_WORDS or two in TODAY_WORDS \
                or two in DAILY_WORDS:
            return two, 2
    return (_fold(words[i]), 1) if i < len(words) else ("", 0)


def read_time(word: str) -> time | None:
    """`8:00`, `08:00`, `9am`, `9:30pm`, `9h`, `9h30`, `21h` as a time of day."""
    match = _TIME.match(_fold(word))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = match.group(3)
    if suffix in ("pm", "chiều", "chieu", "tối", "toi") and hour < 12:
        hour += 12
    elif suffix in ("am", "sáng", "sang") and hour == 12:
        hour = 0
    if ":" not in word and "h" not in word.lower() and suffix is None:
        return None  # a bare number is not a time ("in 3 days" must not read 3 as 03:00)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _time_at(words: list[str], i: int) -> tuple[time, int]:
    """A time of day at `i` (consumed), or the default morning hour (nothing consumed)."""
    if i < len(words):
        if _fold(words[i]) in ("at", "lúc", "luc") and i + 1 < len(words):
            found = read_time(words[i + 1])
            if found is not None:
                return found, 2
        found = read_time(words[i])
        if found is not None:
            return found, 1
        if _TIMELIKE.match(_fold(words[i])):
            raise WhenError("unreadable")  # "25:00" is a wrong time, not the message
    return DEFAULT_TIME, 0


def _days_at(words: list[str], i: int) -> tuple[str, int]:
    """`monday`, `mon,thu`, `monday and thursday` as cron days, and the words used."""
    found: list[str] = []
    used = 0
    while i + used < len(words):
        phrase, length = _joined(words, i + used)
        parts = [part for part in re.split(r"[,/]", phrase) if part]
        days = [DAY_WORDS.get(part) for part in parts]
        if parts and all(days):
            found.extend(day for day in days if day)
            used += length
            continue
        if found and phrase in ("and", "và", "va", "&"):
            used += 1
            continue
        break
    if not found:
        return "", 0
    ordered = sorted(set(found), key=CRON_DAYS.index)
    return ",".join(ordered), used


def _until_at(words: list[str], i: int) -> tuple[date | None, int]:
    if i + 1 < len(words) and _fold(words[i]) in UNTIL_WORDS:
        try:
            return date.fromisoformat(words[i + 1]), 2
        except ValueError as error:
            raise WhenError("unreadable") from error
    return None, 0


def parse_when(words: list[str], now: datetime, zone: str) -> tuple[Schedule, int]:
    """Read a WHEN at the start of `words`; the schedule and how many words it took.

    `now` is aware; times are read in `zone`. Raises `WhenError` for words that are no
    time, a time that has passed, or one more than two years ahead.
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    if not words:
        raise WhenError("unreadable")
    glued = _DATE.match(_fold(words[0]))
    if glued is not None and glued.group(4):  # 2026-12-01T09:00: read as two words
        schedule, used = parse_when([words[0][:10], glued.group(4), *words[1:]], now, zone)
        return schedule, used - 1
    head, length = _joined(words, 0)

    if head in EVERY_WORDS or head in DAILY_WORDS or head in WEEKDAYS_WORDS:
        i = length
        if head in DAILY_WORDS:
            days = "*"
        elif head in WEEKDAYS_WORDS:
            days = "mon-fri"
        else:
            phrase, step = _joined(words, i)
            if phrase in ("day", "ngày", "ngay"):
                days, i = "*", i + step
            elif phrase in WEEKDAYS_WORDS:
                days, i = "mon-fri", i + step
            else:
                days, step = _days_at(words, i)
                if not days:
                    raise WhenError("unreadable")
                i += step
        at, step = _time_at(words, i)
        i += step
        until, step = _until_at(words, i)
        i += step
        if until is not None and until < local.date():
            raise WhenError("until_before")
        schedule = Schedule(REPEAT, zone, days=days, hour=at.hour, minute=at.minute,
                            until=until)
        if schedule.first(now) is None:
            raise WhenError("until_before")
        return schedule, i

    if head in IN_WORDS and len(words) >= 3:
        try:
            count = int(words[1])
        except ValueError as error:
            raise WhenError("unreadable") from error
        unit = UNITS.get(_fold(words[2]))
        if unit is None or count <= 0:
            raise WhenError("unreadable")
        delta = unit * count
        if delta > LONGEST:
            raise WhenError("too_far")
        return Schedule(ONCE, zone, at=local + delta), 3

    day: date | None = None
    i = 0
    if head in TODAY_WORDS:
        day, i = local.date(), length
    elif head in TOMORROW_WORDS:
        day, i = local.date() + timedelta(days=1), length
    else:
        match = _DATE.match(_fold(words[0]))
        if match is not None:
            try:
                day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError as error:
                raise WhenError("unreadable") from error
            i = 1
        else:
            days, step = _days_at(words, 0)
            if days and "," not in days:
                ahead = (CRON_DAYS.index(days) - local.weekday()) % 7
                day, i = local.date() + timedelta(days=ahead), step
    if day is None:
        raise WhenError("unreadable")
    at, step = _time_at(words, i)
    moment = datetime.combine(day, at, tz)
    named_day = head not in TODAY_WORDS and head not in TOMORROW_WORDS and glued is None
    if moment <= local and named_day:
        moment += timedelta(days=7)  # "friday 17:00" said on a Friday evening: next week
    if moment <= local:
        raise WhenError("past")
    if moment - local > LONGEST:
        raise WhenError("too_far")
    return Schedule(ONCE, zone, at=moment), i + step


URGENT_WORDS = ("urgent", "gấp", "gap", "khẩn", "khan")


@dataclass(frozen=True)
class Request:
    """`TARGET [urgent] WHEN TEXT`, as `/remind` and `crewbot reminders add` take it."""

    target: str
    urgent: bool
    schedule: Schedule
    text: str


def parse_request(words: list[str], now: datetime, zone: str) -> Request:
    """WhenError("usage") when a part is missing; the WHEN's own reason otherwise."""
    if len(words) < 3:
        raise WhenError("usage")
    target, rest = words[0], words[1:]
    urgent = _fold(rest[0]) in URGENT_WORDS
    if urgent:
        rest = rest[1:]
    schedule, used = parse_when(rest, now, zone)
    text = " ".join(rest[used:]).strip()
    if not text:
        raise WhenError("usage")
    return Request(target, urgent, schedule, text)
