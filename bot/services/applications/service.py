"""Applications: created by the department, moved by staff, followed by crews' chats.

Every change is one transaction: the application row (written on the version it was
read at, so a concurrent change is a `Conflict`, never a lost event), its history
event, and one outbox row per following chat in that chat's language. The outbox then
delivers each notice once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Catalogs
from bot.messages import Button, Reply
from bot.services.applications import codes, texts, workflow
from bot.services.outbox import Outbox
from bot.storage import Database
from bot.storage.models import (
    Application,
    ApplicationEvent,
    ApplicationLink,
    Chat,
    LinkAttempt,
    utcnow,
)

log = logging.getLogger("crewbot.applications")

REFERENCE_PREFIX = "VN-FP"
MAX_FAILED_LINKS = 5
FAILED_LINK_WINDOW = timedelta(hours=1)
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class NewApplication:
    production_title: str
    company: str
    country: str
    service_company: str
    shoot_start: date
    shoot_end: date
    locations: list[str]
    contact_email: str
    external_case: str | None = None


@dataclass(frozen=True)
class StatusChange:
    status: str
    note: str = ""
    actor: str = ""
    requested: list[str] = field(default_factory=list)
    due: date | None = None
    permit_number: str = ""
    valid_from: date | None = None
    valid_until: date | None = None


class TooManyAttempts(Exception):
    """Five wrong references or codes from one chat within the hour."""


class Applications:
    def __init__(self, db: Database, outbox: Outbox, catalogs: Catalogs, config: Config
                 ) -> None:
        self.db = db
        self.outbox = outbox
        self.catalogs = catalogs
        self.config = config

    # Reading.

    async def get(self, session: AsyncSession, reference: str) -> Application | None:
        return await session.scalar(select(Application).where(
            Application.reference == reference.strip().upper()))

    async def history(self, session: AsyncSession, application: Application
                      ) -> list[ApplicationEvent]:
        return list((await session.scalars(
            select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
            .order_by(ApplicationEvent.id))).all())

    async def search(self, session: AsyncSession, status: str | None = None,
                     updated_since: datetime | None = None, limit: int = 50,
                     after_id: int = 0) -> list[Application]:
        """Oldest first, from after `after_id`: a cursor that does not skip or repeat."""
        query = select(Application).where(Application.id > after_id)
        if status:
            query = query.where(Application.status == status)
        if updated_since is not None:
            query = query.where(Application.updated_at >= updated_since)
        return list((await session.scalars(query.order_by(Application.id).limit(limit))).all())

    async def find(self, session: AsyncSession, text: str = "", status: str | None = None,
                   limit: int = 100) -> list[Application]:
        """Newest first: the reference or the production title containing `text`
        (case aside), in `status` if given. For people looking, not for paging."""
        query = select(Application)
        if status:
            query = query.where(Application.status == status)
        wanted = text.strip().lower()
        if wanted:
            pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            query = query.where(
                func.lower(Application.reference).like(pattern, escape="\\")
                | func.lower(Application.production_title).like(pattern, escape="\\"))
        return list((await session.scalars(
            query.order_by(Application.id.desc()).limit(limit))).all())

    async def followed(self, session: AsyncSession, chat: Chat) -> list[Application]:
        return list((await session.scalars(
            select(Application).join(ApplicationLink,
                                     ApplicationLink.application_id == Application.id)
            .where(ApplicationLink.chat_id == chat.id).order_by(Application.id))).all())

    async def followers(self, session: AsyncSession, application: Application) -> list[Chat]:
        return list((await session.scalars(
            select(Chat).join(ApplicationLink, ApplicationLink.chat_id == Chat.id)
            .where(ApplicationLink.application_id == application.id)
            .order_by(Chat.id))).all())

    # Creating.

    async def create(self, session: AsyncSession, new: NewApplication, actor: str,
                     today: date | None = None) -> tuple[Application, str]:
        """The new application and its access code (the only time the code is seen)."""
        if new.shoot_end < new.shoot_start:
            raise workflow.ApplicationError("shoot_end is before shoot_start")
        today = today or utcnow().date()
        code = codes.new_access_code()
        now = utcnow()
        for _ in range(10):
            reference = await self._next_reference(session, today.year)
            application = Application(
                reference=reference, external_case=new.external_case,
                production_title=new.production_title, company=new.company,
                country=new.country.upper(), service_company=new.service_company,
                shoot_start=new.shoot_start, shoot_end=new.shoot_end,
                locations=json.dumps(new.locations, ensure_ascii=False),
                contact_email=new.contact_email, status=workflow.SUBMITTED,
                permit_number="", note="", requested="[]",
                access_code_hash=codes.hash_code(code), version=1, created_at=now,
                updated_at=now)
            try:
                async with session.begin_nested():
                    session.add(application)
                    await session.flush()
            except IntegrityError:
                if new.external_case and await session.scalar(select(Application.id).where(
                        Application.external_case == new.external_case)):
                    raise
                continue  # another process took the reference: take the next one
            session.add(ApplicationEvent(application_id=application.id, from_status="",
                                         to_status=workflow.SUBMITTED, note="",
                                         actor=actor[:128], created_at=now))
            log.info("application created reference=%s actor=%s", reference, actor)
            return application, code
        raise workflow.ApplicationError("could not allocate a reference; try again")

    async def _next_reference(self, session: AsyncSession, year: int) -> str:
        prefix = f"{REFERENCE_PREFIX}-{year}-"
        last = await session.scalar(
            select(func.max(Application.reference)).where(
                Application.reference.like(f"{prefix}%"),
                func.length(Application.reference) == len(prefix) + 4))
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{prefix}{number:04d}"

    # Changing.

    async def change(self, session: AsyncSession, reference: str, change: StatusChange,
                     today: date | None = None) -> tuple[Application, ApplicationEvent]:
        """Apply one move of the workflow, its history event and its notices, or raise."""
        application = await self._locked(session, reference)
        if application is None:
            raise LookupError(reference)
        workflow.check(application.status, change.status)
        today = today or utcnow().date()
        values = self._effects(application, change, today)
        now = utcnow()
        done = await session.execute(
            update(Application)
            .where(Application.id == application.id,
                   Application.version == application.version)
            .values(status=change.status, version=application.version + 1, updated_at=now,
                    **values)
            .execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 1) != 1:
            raise workflow.Conflict(application.reference)
        event = ApplicationEvent(application_id=application.id,
                                 from_status=application.status, to_status=change.status,
                                 note=change.note, actor=(change.actor or "staff")[:128],
                                 created_at=now)
        session.add(event)
        await session.flush()
        await session.refresh(application)
        await self._notify(session, application, event)
        log.info("application status reference=%s from=%s to=%s actor=%s",
                 application.reference, event.from_status, event.to_status, event.actor)
        return application, event

    async def _locked(self, session: AsyncSession, reference: str) -> Application | None:
        """Read for change: a row lock on PostgreSQL makes a second writer wait and then
        see the first one's result; SQLite serialises writers by itself."""
        query = select(Application).where(Application.reference == reference.strip().upper())
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return await session.scalar(query.execution_options(populate_existing=True))

    def _effects(self, application: Application, change: StatusChange, today: date
                 ) -> dict[str, object]:
        """What a move changes besides the status (due dates, requests, the permit)."""
        days = self.config.applications.decision_days
        values: dict[str, object] = {"note": change.note}
        if change.status == workflow.UNDER_REVIEW:
            # The file is complete now: taken into review, or the requested items arrived.
            values.update(complete_since=today,
                          decision_due=workflow.decision_due(today, days),
                          requested="[]", requested_due=None)
        elif change.status == workflow.INFO_REQUESTED:
            wanted = [item.strip() for item in change.requested if item.strip()]
            if not wanted:
                raise workflow.MissingDetail("info_requested needs the items requested")
            values.update(requested=json.dumps(wanted, ensure_ascii=False),
                          requested_due=change.due, decision_due=None)
        elif change.status == workflow.APPROVED:
            if not change.permit_number.strip() or change.valid_until is None:
                raise workflow.MissingDetail("approved needs permit_number and valid_until")
            valid_from = change.valid_from or application.shoot_start
            if change.valid_until < valid_from:
                raise workflow.MissingDetail("valid_until is before valid_from")
            values.update(permit_number=change.permit_number.strip(), valid_from=valid_from,
                          valid_until=change.valid_until, decision_due=None)
        elif change.status in (workflow.REJECTED, workflow.WITHDRAWN):
            values.update(decision_due=None, requested="[]", requested_due=None)
        return values

    async def _notify(self, session: AsyncSession, application: Application,
                      event: ApplicationEvent) -> None:
        for chat in await self.followers(session, application):
            t = self.catalogs.get(chat.language or self.config.bot.default_language)
            text = texts.change_notice(application, event, t)
            buttons = ((Button(t.gettext("My application"), "application:status"),),)
            await self.outbox.enqueue(session, chat, [Reply(text, buttons)])

    async def expire_due(self, today: date | None = None) -> int:
        """Approved applications whose permit ended become `expired` (a daily job)."""
        today = today or utcnow().date()
        async with self.db.session() as session:
            due = (await session.scalars(select(Application.reference).where(
                Application.status == workflow.APPROVED,
                Application.valid_until < today))).all()
        expired = 0
        for reference in due:
            try:
                async with self.db.session() as session:
                    await self.change(session, reference, StatusChange(
                        workflow.EXPIRED, actor=SYSTEM_ACTOR), today)
                expired += 1
            except (workflow.ApplicationError, LookupError) as error:
                log.info("expiry skipped reference=%s reason=%s", reference, error)
        return expired

    # Following.

    async def track(self, session: AsyncSession, chat: Chat, reference: str, code: str
                    ) -> Application | None:
        """Link `chat` when the code is right; None for a wrong reference or code alike."""
        await self._check_attempts(session, chat)
        application = await self.get(session, reference)
        stored = application.access_code_hash if application is not None else None
        if application is None or not codes.verify_code(stored, code):
            session.add(LinkAttempt(chat_id=chat.id, created_at=utcnow()))
            return None
        await self._link(session, application, chat)
        return application

    async def track_token(self, session: AsyncSession, chat: Chat, token: str
                          ) -> Application | None:
        await self._check_attempts(session, chat)
        application = await session.scalar(select(Application).where(
            Application.link_token_hash == codes.hash_link_token(token)))
        if application is None:
            session.add(LinkAttempt(chat_id=chat.id, created_at=utcnow()))
            return None
        await self._link(session, application, chat)
        return application

    async def _check_attempts(self, session: AsyncSession, chat: Chat) -> None:
        failures = await session.scalar(select(func.count()).select_from(LinkAttempt).where(
            LinkAttempt.chat_id == chat.id,
            LinkAttempt.created_at > utcnow() - FAILED_LINK_WINDOW))
        if (failures or 0) >= MAX_FAILED_LINKS:
            raise TooManyAttempts

    async def _link(self, session: AsyncSession, application: Application, chat: Chat
                    ) -> None:
        exists = await session.scalar(select(ApplicationLink.id).where(
            ApplicationLink.application_id == application.id,
            ApplicationLink.chat_id == chat.id))
        if exists is None:
            session.add(ApplicationLink(application_id=application.id, chat_id=chat.id,
                                        created_at=utcnow()))
            await session.flush()

    async def untrack(self, session: AsyncSession, chat: Chat, reference: str) -> bool:
        application = await self.get(session, reference)
        if application is None:
            return False
        done = await session.execute(delete(ApplicationLink).where(
            ApplicationLink.application_id == application.id,
            ApplicationLink.chat_id == chat.id))
        return bool(getattr(done, "rowcount", 0))

    async def new_link_token(self, session: AsyncSession, reference: str) -> str | None:
        """A fresh deep-link token (earlier links stop working), or None: no such reference."""
        application = await self.get(session, reference)
        if application is None:
            return None
        token = codes.new_link_token()
        application.link_token_hash = codes.hash_link_token(token)
        await session.flush()
        return token
