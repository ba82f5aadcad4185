"""The web desk's applications pages: the list, one application, its status change and
a new application.

A status change goes through `Applications.change`, as the admin API and `/setstatus`
do: the application, its history event, one outbox notice per following chat and the
audit row are one transaction, so every linked chat is told once or nothing happens.
A change refused (a move the workflow does not allow, missing details, a change made at
the same moment) is shown in the page and changes nothing.

Who follows an application is shown as a count; only the admin role sees the chats'
names and channels. Only the coordinator and admin roles create applications; the
access code (and its QR code) is shown once, on the page the creation leads to: it is
kept in the encrypted session for that one page and removed as it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiMapping
from sqlalchemy.exc import IntegrityError

from bot.api.errors import ApiError
from bot.api.routes import MAX_ITEM, MAX_ITEMS, MAX_NOTE, _new_application
from bot.services import staff_accounts
from bot.services.applications import (
    STATUSES,
    ApplicationError,
    Conflict,
    MissingDetail,
    StatusChange,
    TransitionRefused,
    UnknownStatus,
    items,
    workflow,
)
from bot.services.applications.workflow import APPROVED, INFO_REQUESTED, TRANSITIONS
from bot.storage.models import StaffAccount

if TYPE_CHECKING:
    from bot.web_desk.routes import WebDesk

CREATORS = ("coordinator", "admin")
ADMIN = "admin"
CREATED = "created"  # the session key of the code shown once
NEW_FORM = ("production_title", "company", "country", "service_company", "shoot_start",
            "shoot_end", "contact_email", "external_case")


@dataclass
class Problem:
    """Why a form was refused: a code the template words, and its values."""

    code: str
    values: dict[str, str] = field(default_factory=dict)


def _date(form: MultiMapping[str | Any], name: str) -> date | None:
    raw = str(form.get(name, "")).strip()
    return date.fromisoformat(raw) if raw else None


def _refused(refused: TransitionRefused) -> Problem:
    return Problem("transition", {"current": refused.current,
                                  "allowed": ", ".join(refused.allowed) or "-"})


def _change(form: MultiMapping[str | Any], current: str, actor: str
            ) -> StatusChange | Problem:
    """The change the form asks for, or why it cannot be made (checked before the
    service, which would refuse the same things with English words)."""
    status = str(form.get("status", "")).strip()
    note = str(form.get("note", "")).strip()
    try:
        workflow.check(current, status)
    except UnknownStatus:
        return Problem("no_status")
    except TransitionRefused as refused:
        return _refused(refused)
    if len(note) > MAX_NOTE:
        return Problem("note_long", {"limit": str(MAX_NOTE)})
    try:
        due, until = _date(form, "due"), _date(form, "valid_until")
    except ValueError:
        return Problem("date")
    if status == INFO_REQUESTED:
        wanted = [line.strip() for line in str(form.get("requested", "")).splitlines()
                  if line.strip()]
        if not wanted:
            return Problem("items")
        if len(wanted) > MAX_ITEMS or any(len(item) > MAX_ITEM for item in wanted):
            return Problem("items_long", {"items": str(MAX_ITEMS), "limit": str(MAX_ITEM)})
        if due is None:
            return Problem("due")
        return StatusChange(status, note=note, actor=actor, requested=wanted, due=due)
    if status == APPROVED:
        permit = str(form.get("permit_number", "")).strip()
        if not permit or len(permit) > 64:
            return Problem("permit")
        if until is None:
            return Problem("valid_until")
        return StatusChange(status, note=note, actor=actor, permit_number=permit,
                            valid_until=until)
    return StatusChange(status, note=note, actor=actor)


class ApplicationPages:
    def __init__(self, desk: WebDesk) -> None:
        self.desk = desk
        self.app = desk.app

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/applications", self.listing)
        router.add_get("/applications/new", self.new_form)
        router.add_post("/applications", self.create)
        router.add_get("/applications/{reference:[A-Za-z0-9-]{1,32}}", self.page)
        router.add_post("/applications/{reference:[A-Za-z0-9-]{1,32}}/status", self.status)

    @staticmethod
    def _account(request: web.Request) -> StaffAccount:
        from bot.web_desk.routes import ACCOUNT

        return request[ACCOUNT]

    # -- the list -------------------------------------------------------------------

    async def listing(self, request: web.Request) -> web.StreamResponse:
        text = request.query.get("q", "")[:100]
        status = request.query.get("status", "")
        async with self.app.db.session() as db:
            found = await self.app.applications.find(
                db, text, status if status in STATUSES else None)
        return aiohttp_jinja2.render_template(
            "applications.html", request, await self.desk._context(
                request, applications=found, q=text, status=status, statuses=STATUSES,
                may_create=self._account(request).role in CREATORS))

    # -- one application ------------------------------------------------------------

    async def _render(self, request: web.Request, reference: str, *,
                      problem: Problem | None = None, form: dict[str, str] | None = None,
                      created: str = "", status: int = 200) -> web.StreamResponse:
        async with self.app.db.session() as db:
            application = await self.app.applications.get(db, reference)
            if application is None:
                raise web.HTTPNotFound(text=f"no application {reference}")
            history = await self.app.applications.history(db, application)
            followers = await self.app.applications.followers(db, application)
        admin = self._account(request).role == ADMIN
        chats = ([{"name": chat.display_name, "channel": chat.channel}
                  for chat in followers] if admin else [])
        qr = ""
        if created:
            import segno

            qr = segno.make(created, error="m", micro=False).svg_data_uri(scale=6)
        response = aiohttp_jinja2.render_template(
            "application.html", request, await self.desk._context(
                request, application=application, history=[
                    {"when": self.desk._when(event.created_at), "from": event.from_status,
                     "to": event.to_status, "note": event.note, "actor": event.actor}
                    for event in history],
                locations=items(application.locations),
                requested=items(application.requested), followers=len(followers),
                chats=chats, moves=TRANSITIONS.get(application.status, ()),
                problem=problem, form=form or {}, created=created, qr=qr,
                notice=request.query.get("notice", "")), status=status)
        if created:
            response.headers["Cache-Control"] = "no-store"
        return response

    async def page(self, request: web.Request) -> web.StreamResponse:
        reference = request.match_info["reference"].upper()
        session = await get_session(request)
        created = ""
        shown = session.get(CREATED)
        if isinstance(shown, dict) and shown.get("reference") == reference:
            created = str(shown.get("code", ""))
            del session[CREATED]  # once: a reload no longer has it
        return await self._render(request, reference, created=created)

    async def status(self, request: web.Request) -> web.StreamResponse:
        account = self._account(request)
        reference = request.match_info["reference"].upper()
        form = await request.post()
        kept = {name: str(form.get(name, "")) for name in (
            "status", "note", "requested", "due", "permit_number", "valid_until")}
        async with self.app.db.session() as db:
            application = await self.app.applications.get(db, reference)
            if application is None:
                raise web.HTTPNotFound(text=f"no application {reference}")
            current = application.status
        wanted = _change(form, current, self.desk._author(account))
        if isinstance(wanted, Problem):
            return await self._render(request, reference, problem=wanted, form=kept,
                                      status=409 if wanted.code == "transition" else 400)
        problem: Problem | None = None
        try:
            async with self.app.db.session() as db:
                await self.app.applications.change(db, reference, wanted)
                await staff_accounts.audit(db, account, f"status:{wanted.status}",
                                           f"application:{reference}")
        except LookupError:
            raise web.HTTPNotFound(text=f"no application {reference}") from None
        except TransitionRefused as refused:  # moved by someone else meanwhile
            problem = _refused(refused)
        except Conflict:
            problem = Problem("conflict")
        except MissingDetail as missing:
            problem = Problem("valid_early" if "before" in str(missing) else "details")
        except ApplicationError:
            problem = Problem("details")
        if problem is not None:
            return await self._render(request, reference, problem=problem, form=kept,
                                      status=409)
        self.app.outbox.wake()
        raise web.HTTPSeeOther(f"/desk/applications/{reference}?notice=changed")

    # -- a new application ----------------------------------------------------------

    def _may_create(self, request: web.Request) -> None:
        if self._account(request).role not in CREATORS:
            raise web.HTTPForbidden(text="only coordinators and admins create applications")

    async def new_form(self, request: web.Request) -> web.StreamResponse:
        self._may_create(request)
        return aiohttp_jinja2.render_template("application_new.html", request,
                                              await self.desk._context(
                                                  request, form={}, problem=None))

    async def create(self, request: web.Request) -> web.StreamResponse:
        self._may_create(request)
        account = self._account(request)
        form = await request.post()
        kept = {name: str(form.get(name, "")).strip() for name in (*NEW_FORM, "locations")}
        body: dict[str, object] = {name: kept[name] for name in NEW_FORM if kept[name]}
        body["locations"] = [line.strip() for line in kept["locations"].splitlines()
                             if line.strip()]
        problem: Problem | None = None
        try:
            new = _new_application(body)
            async with self.app.db.session() as db:
                application, code = await self.app.applications.create(
                    db, new, self.desk._author(account))
                reference = application.reference
                await staff_accounts.audit(db, account, "create_application",
                                           f"application:{reference}")
        except ApiError as error:
            problem = Problem("field", {"field": error.field or "", "detail": error.message})
        except IntegrityError:
            problem = Problem("duplicate_case")
        except ApplicationError as error:
            problem = Problem("field", {"field": "", "detail": str(error)})
        if problem is not None:
            return aiohttp_jinja2.render_template(
                "application_new.html", request, await self.desk._context(
                    request, form=kept, problem=problem), status=400)
        session = await get_session(request)
        session[CREATED] = {"reference": reference, "code": code}
        raise web.HTTPSeeOther(f"/desk/applications/{reference}")
