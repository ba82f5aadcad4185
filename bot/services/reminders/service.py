"""Reminders: scheduled once, fired once per occurrence, delivered once per member.

The database decides everything; a process only claims. A pass (`tick`) does three
things, each in short transactions that any number of processes may run at once:

1. **Fire**: reminders whose `next_at` has come are locked (`FOR UPDATE SKIP LOCKED`
   on PostgreSQL: a second process skips them rather than waits), their occurrence is
   inserted as a run (unique per reminder and occurrence), one delivery row per member
   is inserted (unique per reminder, occurrence and chat; `ON CONFLICT DO NOTHING`),
   and `next_at` moves on to the trigger's next occurrence, on the value read.
2. **Queue**: deliveries whose `due_at` has come (at once, or after the member's quiet
   hours) are claimed (`waiting` -> `queued`, only from `waiting`) in the transaction
   that writes their outbox row; the outbox then sends each row once.
3. **Report**: when an occurrence has settled, its author hears about members it did
   not reach; an occurrence found too late (every process was down beyond the grace
   period) is not sent late but reported.

SQLite has no row locks: there the unique keys and the conditional updates alone make
a second writer's work a no-op, which is what they are for on PostgreSQL too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Catalogs
from bot.messages import Button, Reply
from bot.services.applications import workflow
from bot.services.chats import insert_for
from bot.services.outbox import Outbox
from bot.services.reminders import texts
from bot.services.reminders.texts import AUTOMATIC, MANUAL, PERMIT_END, REQUESTED_ITEMS, SHOOT_START
from bot.services.reminders.when import Schedule
from bot.services.reminders.zones import QuietHours, zone_of
from bot.storage import Database
from bot.storage.models import (
    Application,
    ApplicationLink,
    Chat,
    Message,
    Reminder,
    ReminderDelivery,
    ReminderRun,
    utcnow,
)

log = logging.getLogger("crewbot.reminders")

DRAFT, ACTIVE, DONE, CANCELLED = "draft", "active", "done", "cancelled"
ALL = "all"
# Applications whose crews "all" reaches: still in the department's hands, or granted.
OPEN_STATUSES = (workflow.SUBMITTED, workflow.UNDER_REVIEW, workflow.INFO_REQUESTED,
                 workflow.APPROVED)
# A draft not confirmed within this long is gone: a Confirm pressed days later would
# schedule something its author has forgotten.
DRAFT_LIFETIME = timedelta(hours=24)
# Zalo lets an OA write to a user only within 7 days of the user's last message.
ZALO_WINDOW = timedelta(days=7)
BATCH = 500
FINAL = ("sent", "done", "failed", "unreachable")


@dataclass(frozen=True)
class Draft:
    reminder: Reminder
    application: Application | None
    recipients: int


@dataclass(frozen=True)
class Summary:
    """One reminder as `/reminders` and `crewbot reminders list` show it."""

    reminder: Reminder
    reference: str
    delivered: int
    failed: int
    waiting: int


class Reminders:
    def __init__(self, config: Config, db: Database, outbox: Outbox, catalogs: Catalogs,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.settings = config.reminders
        self.db = db
        self.outbox = outbox
        self.catalogs = catalogs
        # The one clock of every decision here; tests move it instead of waiting.
        self.clock = clock
        self.quiet = QuietHours.parse(self.settings.quiet_hours)

    # Scheduling.

    async def draft(self, session: AsyncSession, *, target: str, schedule: Schedule,
                    text: str, author: str, author_chat: Chat | None = None,
                    author_thread: str = "", urgent: bool = False) -> Draft:
        """A reminder that waits for its author's Confirm; LookupError: no such
        application. Nothing is scheduled until `confirm`."""
        now = self.clock()
        application = None
        if target.lower() != ALL:
            application = await session.scalar(select(Application).where(
                Application.reference == target.strip().upper()))
            if application is None:
                raise LookupError(target)
        reminder = Reminder(
            kind=MANUAL, application_id=application.id if application else None,
            target=ALL if application is None else "application", text=text.strip(),
            author=author[:128], author_chat_id=author_chat.id if author_chat else None,
            author_thread=author_thread or None, timezone=schedule.zone,
            schedule=schedule.to_json(), urgent=urgent, status=DRAFT,
            next_at=schedule.first(now), created_at=now, cancelled_by="")
        session.add(reminder)
        await session.flush()
        count = len(await self._recipients(session, reminder))
        return Draft(reminder, application, count)

    async def confirm(self, session: AsyncSession, reminder_id: int) -> Reminder | None:
        """Draft -> active, once (a second Confirm, or one from another process, finds it
        no longer a draft); None when it is not a live draft any more."""
        now = self.clock()
        reminder = await session.get(Reminder, reminder_id, populate_existing=True)
        if reminder is None or reminder.status != DRAFT \
                or reminder.created_at < now - DRAFT_LIFETIME:
            return None
        first = Schedule.from_json(reminder.schedule).first(now)
        if first is None:
            return None
        done = await session.execute(
            update(Reminder).where(Reminder.id == reminder_id, Reminder.status == DRAFT)
            .values(status=ACTIVE, confirmed_at=now, next_at=first)
            .execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) != 1:
            return None
        await session.refresh(reminder)
        log.info("reminder scheduled id=%s author=%s first=%s", reminder.id, reminder.author,
                 first.isoformat())
        return reminder

    async def cancel(self, session: AsyncSession, reminder_id: int, who: str
                     ) -> Reminder | None:
        """A draft or an active reminder stops; what is already queued still goes."""
        done = await session.execute(
            update(Reminder).where(Reminder.id == reminder_id,
                                   Reminder.status.in_((DRAFT, ACTIVE)))
            .values(status=CANCELLED, ended_at=self.clock(), cancelled_by=who[:128])
            .execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) != 1:
            return None
        await session.execute(
            update(ReminderDelivery).where(ReminderDelivery.reminder_id == reminder_id,
                                           ReminderDelivery.status == "waiting")
            .values(status="cancelled"))
        log.info("reminder cancelled id=%s by=%s", reminder_id, who)
        return await session.get(Reminder, reminder_id, populate_existing=True)

    async def upcoming(self, session: AsyncSession, limit: int = 30) -> list[Summary]:
        """Active reminders, soonest first, with what their past occurrences achieved."""
        rows = (await session.execute(
            select(Reminder, Application.reference)
            .outerjoin(Application, Application.id == Reminder.application_id)
            .where(Reminder.status == ACTIVE).order_by(Reminder.next_at, Reminder.id)
            .limit(limit))).all()
        ids = [reminder.id for reminder, _ in rows]
        counts: dict[tuple[int, str], int] = {}
        if ids:
            outcome = func.coalesce(Message.status, ReminderDelivery.status)
            for reminder_id, status, number in (await session.execute(
                    select(ReminderDelivery.reminder_id, outcome, func.count())
                    .outerjoin(Message, Message.id == ReminderDelivery.message_id)
                    .where(ReminderDelivery.reminder_id.in_(ids))
                    .group_by(ReminderDelivery.reminder_id, outcome))).all():
                counts[(reminder_id, status)] = number

        def tally(rid: int, *statuses: str) -> int:
            return sum(counts.get((rid, status), 0) for status in statuses)
        return [Summary(reminder, reference or ALL, tally(reminder.id, "sent", "done"),
                        tally(reminder.id, "failed", "unreachable"),
                        tally(reminder.id, "waiting", "queued", "pending", "sending"))
                for reminder, reference in rows]

    async def _recipients(self, session: AsyncSession, reminder: Reminder) -> list[Chat]:
        """Every chat linked to the reminder's application, or to any open one."""
        query = select(Chat).join(ApplicationLink, ApplicationLink.chat_id == Chat.id)
        if reminder.application_id is not None:
            query = query.where(ApplicationLink.application_id == reminder.application_id)
        else:
            query = query.join(Application, Application.id == ApplicationLink.application_id
                               ).where(Application.status.in_(OPEN_STATUSES))
        return list((await session.scalars(query.distinct().order_by(Chat.id))).all())

    # Firing.

    async def tick(self) -> int:
        """One pass: fire what fell due, queue what is due, report what settled. The
        number of outbox rows queued (the caller wakes the outbox when there are any)."""
        now = self.clock()
        fired = 0
        while fired < 200 and await self._fire_one(now):
            fired += 1
        queued = 0
        while True:
            count = await self._queue_due(now)
            queued += count
            if count < BATCH:
                break
        await self._report(now)
        if queued:
            self.outbox.wake()
        return queued

    async def next_due(self) -> datetime | None:
        """The earliest moment something will be due, for the process's next wake."""
        async with self.db.session() as session:
            fire = await session.scalar(select(func.min(Reminder.next_at)).where(
                Reminder.status == ACTIVE))
            send = await session.scalar(select(func.min(ReminderDelivery.due_at)).where(
                ReminderDelivery.status == "waiting"))
        found = [moment for moment in (fire, send) if moment is not None]
        return min(found) if found else None

    async def _fire_one(self, now: datetime) -> bool:
        """Fire the earliest due reminder no other process holds; False when none."""
        async with self.db.session() as session:
            reminder = await session.scalar(
                select(Reminder).where(Reminder.status == ACTIVE, Reminder.next_at <= now)
                .order_by(Reminder.next_at, Reminder.id).limit(1)
                .with_for_update(skip_locked=True))
            if reminder is None:
                return False
            occurrence = reminder.next_at
            assert occurrence is not None
            schedule = Schedule.from_json(reminder.schedule)
            late = now - timedelta(minutes=self.settings.grace_minutes)
            if occurrence < late:
                following, missed = schedule.after(occurrence), 1
                while following is not None and following < late and missed < 10_000:
                    following, missed = schedule.after(following), missed + 1
                if await self._run(session, reminder, occurrence, "missed", missed):
                    log.warning("reminder missed id=%s occurrence=%s count=%s", reminder.id,
                                occurrence.isoformat(), missed)
            elif reminder.kind in AUTOMATIC and not await self._still_holds(session, reminder):
                following = None
                await self._run(session, reminder, occurrence, "dropped", 0)
            else:
                following = schedule.after(occurrence)
                chats = await self._recipients(session, reminder)
                if await self._run(session, reminder, occurrence, "fired", len(chats)):
                    await self._deliveries(session, reminder, occurrence, chats, now)
                    log.info("reminder fired id=%s occurrence=%s recipients=%s",
                             reminder.id, occurrence.isoformat(), len(chats))
            await session.execute(
                update(Reminder)
                .where(Reminder.id == reminder.id, Reminder.next_at == occurrence,
                       Reminder.status == ACTIVE)
                .values(next_at=following, status=ACTIVE if following else DONE,
                        ended_at=None if following else now)
                .execution_options(synchronize_session=False))
        return True

    async def _run(self, session: AsyncSession, reminder: Reminder, occurrence: datetime,
                   outcome: str, recipients: int) -> bool:
        """Claim one occurrence; False when another process already has it."""
        statement = (insert_for(session)(ReminderRun).values(
            reminder_id=reminder.id, occurrence=occurrence, outcome=outcome,
            recipients=recipients, created_at=self.clock(),
            reported_at=None if outcome == "missed" or reminder.author_chat_id else
            self.clock()).on_conflict_do_nothing().returning(ReminderRun.id))
        return (await session.execute(statement)).scalar_one_or_none() is not None

    async def _deliveries(self, session: AsyncSession, reminder: Reminder,
                          occurrence: datetime, chats: Sequence[Chat], now: datetime) -> None:
        rows = []
        for chat in chats:
            due, held = occurrence, False
            if self.quiet is not None and not reminder.urgent:
                release = self.quiet.release(max(occurrence, now), self._zone(chat))
                if release is not None:
                    due, held = release, True
            rows.append(dict(reminder_id=reminder.id, occurrence=occurrence, chat_id=chat.id,
                             status="unreachable" if self._unreachable(chat, now)
                             else "waiting", due_at=due, held=held))
        for start in range(0, len(rows), BATCH):
            await session.execute(insert_for(session)(ReminderDelivery)
                                  .values(rows[start:start + BATCH]).on_conflict_do_nothing())

    def _unreachable(self, chat: Chat, now: datetime) -> bool:
        """Known now not to take a message: blocked, or a Zalo OA follower silent for more
        than Zalo's 7 days (the OA may not write first). Counted, reported, not tried."""
        if chat.unreachable_since is not None:
            return True
        return (chat.channel == "zalo" and self.config.zalo.api == "oa"
                and chat.last_seen < now - ZALO_WINDOW)

    def _zone(self, chat: Chat) -> str:
        return zone_of(chat.timezone, chat.language, self.config.bot.timezone)

    async def _still_holds(self, session: AsyncSession, reminder: Reminder) -> bool:
        """An automatic reminder's date may have moved since it was scheduled (a permit
        extended, the items supplied): it goes out only if its key is still current."""
        application = await session.get(Application, reminder.application_id,
                                        populate_existing=True)
        if application is None:
            return False
        today = self.clock().astimezone(ZoneInfo(self.config.bot.timezone)).date()
        return reminder.auto_key in {key for key, _kind, _day in
                                     self._automatic_for(application, today)}

    async def _queue_due(self, now: datetime) -> int:
        """Claim up to BATCH due deliveries and write their outbox rows, in one transaction."""
        async with self.db.session() as session:
            ids = list((await session.scalars(
                select(ReminderDelivery.id)
                .where(ReminderDelivery.status == "waiting", ReminderDelivery.due_at <= now)
                .order_by(ReminderDelivery.due_at, ReminderDelivery.id).limit(BATCH)
                .with_for_update(skip_locked=True))).all())
            if not ids:
                return 0
            claimed = set((await session.scalars(
                update(ReminderDelivery)
                .where(ReminderDelivery.id.in_(ids), ReminderDelivery.status == "waiting")
                .values(status="queued", queued_at=now)
                .returning(ReminderDelivery.id))).all())
            rows = (await session.execute(
                select(ReminderDelivery, Reminder, Chat, Application)
                .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
                .join(Chat, Chat.id == ReminderDelivery.chat_id)
                .outerjoin(Application, Application.id == Reminder.application_id)
                .where(ReminderDelivery.id.in_(claimed))
                .order_by(ReminderDelivery.id))).all()
            for delivery, reminder, chat, application in rows:
                t = self.catalogs.get(chat.language or self.config.bot.default_language)
                text = texts.delivery(reminder, application, delivery.occurrence,
                                      self._zone(chat), t)
                buttons: tuple[tuple[Button, ...], ...] = (
                    ((Button(t.gettext("My application"), "application:status"),),)
                    if application is not None else ())
                queued = await self.outbox.enqueue(session, chat, [Reply(text, buttons)])
                await session.flush()
                delivery.message_id = queued[0].id if queued else None
            return len(ids)

    async def _report(self, now: datetime) -> None:
        """Tell authors what they must know: a missed occurrence, members not reached."""
        async with self.db.session() as session:
            runs = (await session.execute(
                select(ReminderRun, Reminder)
                .join(Reminder, Reminder.id == ReminderRun.reminder_id)
                .where(ReminderRun.reported_at.is_(None)).order_by(ReminderRun.id).limit(50)
                .with_for_update(of=ReminderRun, skip_locked=True))).all()
            for run, reminder in runs:
                if run.outcome == "missed":
                    await self._tell_author(session, reminder, self._missed_text(
                        reminder, run))
                elif run.outcome == "fired":
                    statuses = (await session.execute(
                        select(ReminderDelivery.status, Message.status, Chat.display_name,
                               Chat.channel)
                        .join(Chat, Chat.id == ReminderDelivery.chat_id)
                        .outerjoin(Message, Message.id == ReminderDelivery.message_id)
                        .where(ReminderDelivery.reminder_id == run.reminder_id,
                               ReminderDelivery.occurrence == run.occurrence))).all()
                    if any(own == "waiting" or (own == "queued" and sent not in FINAL)
                           for own, sent, _name, _channel in statuses):
                        continue  # not settled yet; looked at again next pass
                    missing = [f"{name or '?'} ({channel})" for own, sent, name, channel
                               in statuses if own == "unreachable"
                               or (own == "queued" and sent in ("failed", "unreachable"))]
                    if missing:
                        await self._tell_author(session, reminder, self._missing_text(
                            reminder, run, len(statuses), missing))
                run.reported_at = now

    def _author_language(self, chat: Chat | None) -> str:
        return (chat.language if chat is not None and chat.language
                else self.config.bot.default_language)

    async def _tell_author(self, session: AsyncSession, reminder: Reminder,
                           words: Callable[[Chat], str]) -> None:
        if reminder.author_chat_id is None:
            log.warning("reminder report without an author chat id=%s", reminder.id)
            return
        chat = await session.get(Chat, reminder.author_chat_id)
        if chat is None:
            return
        await self.outbox.enqueue(session, chat, [Reply(words(chat))],
                                  thread=reminder.author_thread or "")
        self.outbox.wake()

    def _missed_text(self, reminder: Reminder, run: ReminderRun) -> Callable[[Chat], str]:
        def words(chat: Chat) -> str:
            t = self.catalogs.get(self._author_language(chat))
            text = t.gettext(
                "Reminder #{id} was due at {moment} while crewbot was not running, more "
                "than {minutes} minutes ago, so it was not sent late.").format(
                    id=reminder.id, moment=t.moment(run.occurrence, reminder.timezone),
                    minutes=self.settings.grace_minutes)
            if run.recipients > 1:
                text += " " + t.ngettext("{count} occurrence was missed.",
                                         "{count} occurrences were missed.",
                                         run.recipients).format(count=run.recipients)
            return text + " " + t.gettext("Send it again with /remind if it still matters.")
        return words

    def _missing_text(self, reminder: Reminder, run: ReminderRun, total: int,
                      missing: list[str]) -> Callable[[Chat], str]:
        def words(chat: Chat) -> str:
            t = self.catalogs.get(self._author_language(chat))
            return (t.gettext("Reminder #{id} ({moment}) reached {reached} of {total} "
                              "members.").format(
                                  id=reminder.id,
                                  moment=t.moment(run.occurrence, reminder.timezone),
                                  reached=total - len(missing), total=total)
                    + " " + t.gettext("Not reachable now (blocked the bot, or a Zalo user "
                                      "silent for more than 7 days): {names}.").format(
                                          names=", ".join(missing[:20])))
        return words

    # Automatic reminders.

    def _automatic_for(self, application: Application, today: date
                       ) -> list[tuple[str, str, date]]:
        """(key, kind, date) of the automatic reminders this application calls for."""
        wanted: list[tuple[str, date]] = []
        if self.settings.permit_expiry and application.status == workflow.APPROVED \
                and application.valid_until is not None:
            wanted += [(PERMIT_END, application.valid_until - timedelta(days=7)),
                       (PERMIT_END, application.valid_until - timedelta(days=1))]
        if self.settings.requested_items and application.status == workflow.INFO_REQUESTED \
                and application.requested_due is not None:
            wanted.append((REQUESTED_ITEMS, application.requested_due - timedelta(days=3)))
        if self.settings.shoot_start and application.status in OPEN_STATUSES:
            wanted.append((SHOOT_START, application.shoot_start - timedelta(days=1)))
        return [(f"{kind}:{application.id}:{day.isoformat()}", kind, day)
                for kind, day in wanted if day >= today]

    async def schedule_automatic(self) -> int:
        """Insert the automatic reminders the applications call for (each once: its key
        is unique); the number inserted. Run at start and every day."""
        zone = self.config.bot.timezone
        now = self.clock()
        today = now.astimezone(ZoneInfo(zone)).date()
        hour, minute = (int(part) for part in self.settings.automatic_time.split(":"))
        inserted = 0
        async with self.db.session() as session:
            applications = (await session.scalars(select(Application).where(
                Application.status.in_(OPEN_STATUSES)))).all()
            for application in applications:
                for key, kind, day in self._automatic_for(application, today):
                    at = datetime.combine(day, time(hour, minute), ZoneInfo(zone))
                    if at < now - timedelta(minutes=self.settings.grace_minutes):
                        continue  # today's, but its hour has long passed
                    schedule = Schedule("once", zone, at=at)
                    done = await session.execute(
                        insert_for(session)(Reminder).values(
                            kind=kind, auto_key=key, application_id=application.id,
                            target="application", text="", author="system",
                            author_chat_id=None, author_thread=None, timezone=zone,
                            schedule=schedule.to_json(), urgent=False, status=ACTIVE,
                            next_at=at, created_at=now, confirmed_at=now,
                            cancelled_by="").on_conflict_do_nothing()
                        .returning(Reminder.id))
                    if done.scalar_one_or_none() is not None:
                        inserted += 1
        if inserted:
            log.info("automatic reminders scheduled count=%s", inserted)
        return inserted
