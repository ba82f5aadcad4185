"""The department's office hours, "Mon-Fri 08:00-17:00" in its time zone.

Out of hours a crew is told, once, when to expect an answer: the next opening,
shown in the crew's own time zone when it is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class OfficeHours:
    first_day: int
    last_day: int
    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str) -> OfficeHours:
        """The configuration checked the form already (`[bot] office_hours`)."""
        days, hours = text.split(" ")
        first, last = days.split("-")
        opens, closes = hours.split("-")
        return cls(DAYS.index(first), DAYS.index(last), time.fromisoformat(opens),
                   time.fromisoformat(closes), ZoneInfo(zone))

    def _working_day(self, weekday: int) -> bool:
        if self.first_day <= self.last_day:
            return self.first_day <= weekday <= self.last_day
        return weekday >= self.first_day or weekday <= self.last_day  # e.g. Sun-Thu

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return (self._working_day(local.weekday())
                and self.opens <= local.time().replace(tzinfo=None) < self.closes)

    def next_opening(self, moment: datetime) -> datetime:
        """The next time the desk opens after `moment` (itself, if it is open)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.zone)
        day = local.date()
        if local.time().replace(tzinfo=None) >= self.opens:
            day += timedelta(days=1)
        for _ in range(8):
            if self._working_day(day.weekday()):
                return datetime.combine(day, self.opens, tzinfo=self.zone)
            day += timedelta(days=1)
        raise ValueError("office hours without a working day")
