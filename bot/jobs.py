"""The process's clock: APScheduler 3 wakes it for periodic work kept in the database.

The scheduler's own job store stays in memory, one per process (APScheduler's docs
warn that a shared store leads to duplicate or missed runs). Several processes may run
the same job; the work itself is safe to repeat, because each change is a conditional
write on the database (an application already expired is not expired twice).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.storage.errors import is_transient
from bot.storage.models import utcnow

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("crewbot.jobs")


async def expire_permits(app: App) -> None:
    try:
        expired = await app.applications.expire_due()
    except Exception:  # the next run tries again; the job must not die with one failure
        log.exception("permit expiry failed")
        return
    if expired:
        log.info("permits expired count=%s", expired)


async def raise_overdue_escalations(app: App) -> None:
    try:
        await app.escalations.raise_overdue(app.db)
    except Exception:
        log.exception("escalation follow-up failed")


class ReminderClock:
    """Wakes the process for reminders: every `[reminders] poll_seconds`, and at the
    next moment the database says something falls due, whichever comes first.

    Passes never overlap within a process (a lock); across processes the database
    claims keep them apart.
    """

    def __init__(self, app: App, scheduler: AsyncIOScheduler) -> None:
        self.app = app
        self.scheduler = scheduler
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        if self._lock.locked():
            return
        async with self._lock:
            reminders = self.app.reminders
            try:
                await reminders.tick()
                upcoming = await reminders.next_due()
                self.app.outage.recovered()
            except Exception as error:  # the next pass tries again; the job must not die
                self._failed(error, "reminder pass failed")
                return
            if upcoming is None:
                return
            wait = (upcoming - reminders.clock()).total_seconds()
            if 0 < wait < self.app.config.reminders.poll_seconds:
                self.scheduler.add_job(self.run, DateTrigger(utcnow() + timedelta(
                    seconds=wait + 0.05)), id="reminders-next", replace_existing=True)

    async def automatic(self) -> None:
        try:
            await self.app.reminders.schedule_automatic()
        except Exception as error:
            self._failed(error, "automatic reminders failed")

    def _failed(self, error: Exception, what: str) -> None:
        """A database outage is the outage's to report (once, with /healthz), not a bug
        with a traceback every pass; anything else is."""
        if is_transient(error):
            self.app.outage.failed(error, "reminders")
        else:
            log.exception(what)


def start(app: App) -> AsyncIOScheduler:
    """Daily jobs at 00:05 (and 00:10) in the department's time zone, and once now (a
    process that was down at midnight catches up at start); reminder passes."""
    scheduler = AsyncIOScheduler(timezone=app.config.bot.timezone)
    scheduler.add_job(expire_permits, CronTrigger(hour=0, minute=5,
                                                  timezone=app.config.bot.timezone),
                      args=[app], id="expire-permits", coalesce=True,
                      misfire_grace_time=3600)
    scheduler.add_job(expire_permits, args=[app], id="expire-permits-at-start")
    if app.escalations.configured:
        scheduler.add_job(raise_overdue_escalations, IntervalTrigger(minutes=1), args=[app],
                          id="escalation-follow-up", coalesce=True, max_instances=1)
    clock = ReminderClock(app, scheduler)
    scheduler.add_job(clock.automatic, CronTrigger(hour=0, minute=10,
                                                   timezone=app.config.bot.timezone),
                      id="automatic-reminders", coalesce=True, misfire_grace_time=3600)
    scheduler.add_job(clock.automatic, id="automatic-reminders-at-start")
    scheduler.add_job(clock.run, IntervalTrigger(seconds=app.config.reminders.poll_seconds),
                      id="reminders", coalesce=True, max_instances=3)  # the lock says no
    scheduler.add_job(clock.run, id="reminders-at-start")
    scheduler.start()
    return scheduler
