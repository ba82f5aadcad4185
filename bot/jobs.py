"""The process's clock: APScheduler 3 wakes it for periodic work kept in the database.

The scheduler's own job store stays in memory, one per process (APScheduler's docs
warn that a shared store leads to duplicate or missed runs). Several processes may run
the same job; the work itself is safe to repeat, because each change is a conditional
write on the database (an application already expired is not expired twice).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

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


def start(app: App) -> AsyncIOScheduler:
    """Daily jobs at 00:05 in the department's time zone, and once now (a process that
    was down at midnight catches up at start)."""
    scheduler = AsyncIOScheduler(timezone=app.config.bot.timezone)
    scheduler.add_job(expire_permits, CronTrigger(hour=0, minute=5,
                                                  timezone=app.config.bot.timezone),
                      args=[app], id="expire-permits", coalesce=True,
                      misfire_grace_time=3600)
    scheduler.add_job(expire_permits, args=[app], id="expire-permits-at-start")
    if app.escalations.configured:
        scheduler.add_job(raise_overdue_escalations, IntervalTrigger(minutes=1), args=[app],
                          id="escalation-follow-up", coalesce=True, max_instances=1)
    scheduler.start()
    return scheduler
