"""What a reminder says, to its members and to its author, in each reader's language.

A member reads it framed (who reminds them, and for which application) with the time
on their own clock; the coordinator's words are passed on as written. Automatic
reminders are worded here from the application's data at the moment they go out, so a
changed permit date is never announced with the old one.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_timezone_location

from bot.i18n import Translator
from bot.services.reminders.when import CRON_DAYS, Schedule
from bot.storage.models import Application, Reminder

MANUAL = "manual"
PERMIT_END = "permit_end"
REQUESTED_ITEMS = "requested_items"
SHOOT_START = "shoot_start"
AUTOMATIC = (PERMIT_END, REQUESTED_ITEMS, SHOOT_START)


def _days(days: str, t: Translator) -> str:
    _ = t.gettext
    if days == "*":
        return _("every day")
    if days == "mon-fri":
        return _("every weekday (Monday to Friday)")
    names = get_day_names("wide", locale=t.locale)
    listed = ", ".join(names[CRON_DAYS.index(day)] for day in days.split(","))
    return _("every {days}").format(days=listed)


def describe(schedule: Schedule, first: datetime | None, t: Translator) -> str:
    """The schedule as its author should check it: when, on whose clock, until when."""
    _ = t.gettext
    if not schedule.repeats:
        moment = first or schedule.at
        assert moment is not None  # a one-off always has its time
        return t.moment(moment, schedule.zone)
    zone = get_timezone_location(ZoneInfo(schedule.zone), locale=t.locale)
    text = _("{days} at {time} ({zone})").format(
        days=_days(schedule.days, t), time=f"{schedule.hour:02d}:{schedule.minute:02d}",
        zone=zone)
    if schedule.until is not None:
        text += ", " + _("until {date}").format(date=t.date(schedule.until, "medium"))
    if first is not None:
        text += "; " + _("first: {moment}").format(moment=t.moment(first, schedule.zone))
    return text


def _requested(application: Application) -> list[str]:
    try:
        items = json.loads(application.requested or "[]")
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


def automatic_body(kind: str, application: Application, today: date, t: Translator
                   ) -> str:
    _ = t.gettext
    if kind == PERMIT_END:
        assert application.valid_until is not None
        left = (application.valid_until - today).days
        return (_("Your filming permit {permit} for “{title}” is valid until {date}.").format(
                    permit=application.permit_number, title=application.production_title,
                    date=t.date(application.valid_until))
                + " " + t.ngettext("That is in {count} day.", "That is in {count} days.",
                                   left).format(count=left)
                + " " + _("If you need more time, ask your Vietnamese film-service company "
                          "about an extension now."))
    if kind == REQUESTED_ITEMS:
        assert application.requested_due is not None
        items = "; ".join(_requested(application))
        return (_("The Cinema Department is still waiting for the information it requested, "
                  "due on {date}: {items}.").format(
                      date=t.date(application.requested_due), items=items)
                + " " + _("Send it through your Vietnamese film-service company; the time "
                          "for a decision starts again when it arrives."))
    # SHOOT_START
    return (_("Your shoot for “{title}” starts on {date}.").format(
                title=application.production_title, date=t.date(application.shoot_start))
            + (" " + _("Keep your permit {permit} with you on set.").format(
                permit=application.permit_number) if application.permit_number else ""))


def delivery(reminder: Reminder, application: Application | None, occurrence: datetime,
             zone: str, t: Translator) -> str:
    """The message one member reads."""
    _ = t.gettext
    if reminder.kind == MANUAL:
        head = _("Reminder from the film authority's coordinator")
        body = reminder.text
    else:
        assert application is not None
        head = _("Reminder from the film authority")
        body = automatic_body(reminder.kind, application, occurrence.astimezone(
            ZoneInfo(zone)).date(), t)
    lines = [f"⏰ {head} · {t.moment(occurrence, zone)}", "", body]
    if application is not None:
        lines += ["", _("Application {reference}: {title}").format(
            reference=application.reference, title=application.production_title)]
    return "\n".join(lines)
