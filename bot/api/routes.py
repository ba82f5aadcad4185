"""The admin API for the department's case system, under `/api/v1/` on the one web server.

A sub-application, so that its bearer check and its JSON errors cover every path under
the prefix (an unknown path is a JSON 404 after the token check, never a page that
tells a stranger what exists) and nothing else on the server. Bodies are limited by the
server's own `client_max_size`. Every answer is JSON; every refusal is an `ApiError`
raised before anything is written or inside the transaction that then rolls back.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api import idempotency
from bot.api.errors import ApiError, bad_request, error_response
from bot.api.parse import Fields, decode_cursor, encode_cursor, json_object, parse_date_time
from bot.api.views import Body, application_json, histories
from bot.services.applications import (
    STATUSES,
    ApplicationError,
    Conflict,
    MissingDetail,
    NewApplication,
    StatusChange,
    TransitionRefused,
)
from bot.services.applications.workflow import APPROVED, INFO_REQUESTED
from bot.storage.errors import is_transient

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("crewbot.api")

PREFIX = "/api/v1/"
# The actor of a creation's history event: applications come from the case system.
CASE_SYSTEM = "case_system"
MAX_NAME = 256
MAX_NOTE = 4000
MAX_ITEMS = 50
MAX_ITEM = 500
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
RETRY_AFTER_SECONDS = 5

NEW_FIELDS = ("production_title", "company", "country", "service_company", "shoot_start",
              "shoot_end", "locations", "contact_email", "external_case")
CHANGE_FIELDS = ("status", "note", "actor", "requested", "due", "permit_number",
                 "valid_from", "valid_until")
# The details a status change may carry, and the one status each belongs to.
DETAILS = {"requested": INFO_REQUESTED, "due": INFO_REQUESTED, "permit_number": APPROVED,
           "valid_from": APPROVED, "valid_until": APPROVED}
LIST_PARAMETERS = ("status", "updated_since", "limit", "cursor")
_REFERENCE = re.compile(r"[A-Za-z0-9-]{1,32}")
_LIMIT = re.compile(r"\d{1,3}")
T = TypeVar("T")
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


class AdminApi:
    def __init__(self, app: App) -> None:
        self.app = app
        # Compared as digests: equal length whatever was sent, so timing tells nothing.
        self._token = hashlib.sha256(app.config.admin_api.token.encode()).digest()
        self.idempotency = idempotency.Idempotency(app.db)

    def web_app(self) -> web.Application:
        api = web.Application(middlewares=[self._guard])
        api.router.add_post("/applications", self.create)
        api.router.add_get("/applications", self.search, allow_head=False)
        api.router.add_get("/applications/{reference}", self.read, allow_head=False)
        api.router.add_post("/applications/{reference}/status", self.change)
        return api

    # Every request.

    def _authorised(self, request: web.Request) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        digest = hashlib.sha256(given.strip().encode("utf-8", "surrogateescape")).digest()
        return hmac.compare_digest(digest, self._token) and scheme.lower() == "bearer"

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        where = request.raw_path[:200]
        if not self._authorised(request):
            log.warning("admin api refused reason=unauthorized method=%s path=%s remote=%s",
                        request.method, where, request.remote)
            return error_response(401, "unauthorized", "missing or wrong bearer token",
                                  headers={"WWW-Authenticate": 'Bearer realm="crewbot"'})
        try:
            response = await handler(request)
        except ApiError as error:
            response = error.response()
        except web.HTTPException as error:  # no such path or method, a body over the limit
            allow = error.headers.get("Allow")
            response = error_response(
                error.status, _HTTP_CODES.get(error.status, "http_error"),
                error.reason, None, {"Allow": allow} if allow else None)
        except Exception as error:
            if is_transient(error):
                self.app.outage.failed(error, "admin_api")
                response = error_response(503, "unavailable", "the database is not "
                                          "available; retry later", None,
                                          {"Retry-After": str(RETRY_AFTER_SECONDS)})
            else:
                log.exception("admin api failed method=%s path=%s", request.method, where)
                response = error_response(500, "internal", "internal error; it is logged")
        log.info("admin api method=%s path=%s status=%s replayed=%s", request.method, where,
                 response.status, response.headers.get("Idempotent-Replayed", "false"))
        return response

    @staticmethod
    def _reference(request: web.Request) -> str:
        reference = request.match_info["reference"]
        if not _REFERENCE.fullmatch(reference):  # no such reference can exist
            raise _not_found(reference[:40])
        return reference.upper()

    @staticmethod
    def _key(request: web.Request) -> str | None:
        values = request.headers.getall(idempotency.HEADER, [])
        if len(values) > 1:
            raise bad_request("invalid_value", f"{idempotency.HEADER} given more than once",
                              idempotency.HEADER)
        return idempotency.check_key(values[0]) if values else None

    async def _idempotent(self, request: web.Request, raw: bytes,
                          work: idempotency.Work) -> web.Response:
        key = self._key(request)
        answer = await self.idempotency.run(
            key, idempotency.fingerprint(request.method, request.raw_path, raw), work)
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return web.json_response(answer.body, status=answer.status, headers=headers)

    # The operations.

    async def create(self, request: web.Request) -> web.Response:
        raw = await request.read()
        new = _new_application(json_object(raw))

        async def work(session: AsyncSession) -> tuple[int, Body]:
            try:
                application, code = await self.app.applications.create(session, new,
                                                                       CASE_SYSTEM)
            except IntegrityError:  # the service re-raises only a known external case
                raise ApiError(409, "duplicate_external_case", "an application with this "
                               "external_case exists already", "external_case") from None
            except ApplicationError as error:
                raise bad_request("invalid_value", str(error), None) from None
            events = await self.app.applications.history(session, application)
            return 201, {**application_json(application, events), "access_code": code}

        return await self._idempotent(request, raw, work)

    async def read(self, request: web.Request) -> web.Response:
        reference = self._reference(request)
        async with self.app.db.session() as session:
            application = await self.app.applications.get(session, reference)
            if application is None:
                raise _not_found(reference)
            events = await self.app.applications.history(session, application)
        return web.json_response(application_json(application, events))

    async def search(self, request: web.Request) -> web.Response:
        status, updated_since, limit, after = _list_query(request.query)
        async with self.app.db.session() as session:
            rows = await self.app.applications.search(session, status, updated_since,
                                                      limit + 1, after)
            page = rows[:limit]
            events = await histories(session, page)
        next_cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
        return web.json_response({
            "items": [application_json(row, events[row.id]) for row in page],
            "next_cursor": next_cursor})

    async def change(self, request: web.Request) -> web.Response:
        reference = self._reference(request)
        raw = await request.read()
        change = _status_change(json_object(raw))

        async def work(session: AsyncSession) -> tuple[int, Body]:
            try:
                application, _ = await self.app.applications.change(session, reference,
                                                                     change)
            except LookupError:
                raise _not_found(reference) from None
            except TransitionRefused as error:
                raise ApiError(409, "transition_refused", str(error), "status") from None
            except Conflict as error:
                raise ApiError(409, "conflict", str(error), None) from None
            except MissingDetail as error:
                raise bad_request("missing_detail", str(error), _missing(change)) from None
            except ApplicationError as error:
                raise bad_request("invalid_value", str(error), "status") from None
            events = await self.app.applications.history(session, application)
            return 200, application_json(application, events)

        # The crews' notices are committed with the change; the outbox sends them now.
        response = await self._idempotent(request, raw, work)
        self.app.outbox.wake()
        return response


def _not_found(reference: str) -> ApiError:
    return ApiError(404, "not_found", f"no application {reference}", None)


def _new_application(body: Mapping[str, object]) -> NewApplication:
    fields = Fields(body, NEW_FIELDS)
    new = NewApplication(
        production_title=fields.text("production_title", MAX_NAME),
        company=fields.text("company", MAX_NAME),
        country=fields.country("country"),
        service_company=fields.text("service_company", MAX_NAME),
        shoot_start=_required(fields.date("shoot_start")),
        shoot_end=_required(fields.date("shoot_end")),
        locations=_required(fields.texts("locations", MAX_ITEMS, MAX_NAME)),
        contact_email=fields.email("contact_email"),
        external_case=fields.optional_text("external_case", 128))
    if new.shoot_end < new.shoot_start:
        raise bad_request("invalid_value", "shoot_end is before shoot_start", "shoot_end")
    return new


def _status_change(body: Mapping[str, object]) -> StatusChange:
    fields = Fields(body, CHANGE_FIELDS)
    status = fields.text("status", 32)
    if status not in STATUSES:
        raise bad_request("invalid_value", f"unknown status {status!r}; expected one of "
                          f"{', '.join(STATUSES)}", "status")
    change = StatusChange(
        status=status,
        note=fields.optional_text("note", MAX_NOTE, multiline=True, allow_empty=True) or "",
        actor=fields.text("actor", 128),
        requested=fields.texts("requested", MAX_ITEMS, MAX_ITEM, required=False) or [],
        due=fields.date("due", required=False),
        permit_number=fields.optional_text("permit_number", 64) or "",
        valid_from=fields.date("valid_from", required=False),
        valid_until=fields.date("valid_until", required=False))
    for name, belongs in DETAILS.items():
        if fields.given(name) and status != belongs:
            raise bad_request("not_applicable", f"{name} applies only to status {belongs}",
                              name)
    return change


def _missing(change: StatusChange) -> str:
    """The field a `MissingDetail` is about, for the case system's form to highlight."""
    if change.status == INFO_REQUESTED:
        return "requested"
    return "permit_number" if not change.permit_number else "valid_until"


def _required(value: T | None) -> T:
    assert value is not None  # `Fields` raised for a missing required field
    return value


def _list_query(query: MultiMapping[str]) -> tuple[str | None, datetime | None, int, int]:
    """status, updated_since, limit and the id to continue after; each at most once."""
    for name in query:
        if name not in LIST_PARAMETERS:
            raise bad_request("unknown_field", f"unknown query parameter {name!r}; expected "
                              f"{', '.join(LIST_PARAMETERS)}", name)
        if len(query.getall(name)) > 1:
            raise bad_request("invalid_value", f"{name} given more than once", name)
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise bad_request("invalid_value", f"unknown status {status[:40]!r}; expected one of "
                          f"{', '.join(STATUSES)}", "status")
    since = query.get("updated_since")
    updated_since = parse_date_time(since, "updated_since") if since is not None else None
    limit = DEFAULT_LIMIT
    if (raw_limit := query.get("limit")) is not None:
        if not _LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise bad_request("invalid_value", f"limit must be a whole number from 1 to "
                              f"{MAX_LIMIT}", "limit")
        limit = int(raw_limit)
    cursor = query.get("cursor")
    after = decode_cursor(cursor) if cursor is not None else 0
    return status, updated_since, limit, after
