"""The web desk's pages, its session rules and its live queue.

Sessions are aiohttp-session's encrypted cookies (Fernet: encrypted and signed, so a
staff member can neither read nor forge one): HttpOnly, SameSite=Strict, Secure unless
`[desk] secure_cookie` is off. A session ends after `[desk] session_minutes` without a
request (the cookie's own age and the `seen` time inside it), and at once when its
account is disabled or its password is changed (the account's session generation
moves on): every request reads the account from the database.

Every POST carries the session's CSRF token in the form, compared in constant time;
without it the request is refused with 403 before any handler runs, so it changes
nothing. Without a session a page is redirected to the sign-in form and anything else
(the event stream, a script's fetch) gets 401.

The live queue is a server-sent event stream driven by a database poll (the newest
escalation and escalation message ids), not by in-process events: a crew message taken
by another process shows up all the same.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import Session, get_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from babel.dates import format_datetime
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import domain_translations
from bot.router import Context
from bot.services import staff_accounts
from bot.storage.models import (
    Chat,
    Escalation,
    EscalationMessage,
    StaffAccount,
    utcnow,
)
from bot.web_desk.applications import ApplicationPages
from handlers import escalations
from handlers.escalations import Prepared
from handlers.wording import pick

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("crewbot.web_desk")

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
DOMAIN = "desk"
LANGUAGES = ("en", "vi")
COOKIE = "crewbot_desk"
# Paths that work without a signed-in account (the prefix `/desk` included).
PUBLIC = frozenset({"/desk/login", "/desk/language", "/desk/static/desk.css"})
EVENTS = "/desk/events"
HEARTBEAT_SECONDS = 15.0

ACCOUNT = web.RequestKey("account", StaffAccount)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_language: contextvars.ContextVar[str] = contextvars.ContextVar("desk_language",
                                                                default="en")


@dataclass(frozen=True)
class Row:
    """One open escalation as the queue shows it."""

    escalation: Escalation
    chat: Chat
    applications: list[str]
    waiting_minutes: int
    overdue: bool


def _wants_html(request: web.Request) -> bool:
    return request.path != EVENTS and "text/html" in request.headers.get("Accept", "")


def _token_ok(session: Session, given: object) -> bool:
    expected = session.get("csrf")
    return (isinstance(expected, str) and isinstance(given, str) and bool(given)
            and hmac.compare_digest(expected.encode(), given.encode()))


class WebDesk:
    def __init__(self, app: App) -> None:
        self.app = app
        self.config = app.config.desk
        self.closing = asyncio.Event()
        self._translations = {language: domain_translations(DOMAIN, language)
                              for language in LANGUAGES}

    # -- the application ------------------------------------------------------------

    def web_app(self) -> web.Application:
        desk = web.Application()
        key = base64.urlsafe_b64decode(self.config.secret_key.encode("ascii"))
        setup_sessions(desk, EncryptedCookieStorage(
            key, cookie_name=COOKIE, path="/desk", httponly=True, samesite="Strict",
            secure=self.config.secure_cookie, max_age=self.config.session_minutes * 60))
        desk.middlewares.append(self._guard)
        environment = aiohttp_jinja2.setup(
            desk, loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
            extensions=["jinja2.ext.i18n"])
        environment.install_gettext_callables(  # type: ignore[attr-defined]
            self._gettext, self._ngettext, newstyle=True)
        desk.router.add_get("/", self.queue)
        desk.router.add_get("/queue", self.queue_rows)
        desk.router.add_get("/events", self.events)
        desk.router.add_get("/login", self.login_form)
        desk.router.add_post("/login", self.login)
        desk.router.add_post("/logout", self.logout)
        desk.router.add_post("/language", self.language)
        desk.router.add_get("/escalations/{id:\\d+}", self.thread)
        desk.router.add_get("/escalations/{id:\\d+}/messages", self.thread_messages)
        desk.router.add_post("/escalations/{id:\\d+}/reply", self.reply)
        desk.router.add_post("/escalations/{id:\\d+}/claim", self.claim)
        desk.router.add_post("/escalations/{id:\\d+}/close", self.close)
        desk.router.add_post("/escalations/{id:\\d+}/transfer", self.transfer)
        desk.router.add_post("/escalations/{id:\\d+}/article", self.send_article)
        desk.router.add_post("/escalations/{id:\\d+}/canned", self.send_canned)
        ApplicationPages(self).add_routes(desk.router)
        desk.router.add_static("/static", str(STATIC))
        desk.on_shutdown.append(self._on_shutdown)
        return desk

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.closing.set()  # event streams end, so the server's stop does not wait on them

    def _gettext(self, message: str) -> str:
        return self._translations[_language.get()].gettext(message)

    def _ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations[_language.get()].ngettext(singular, plural, n)

    # -- the guard: session, CSRF, account ------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        session = await get_session(request)
        language = session.get("lang")
        _language.set(language if language in LANGUAGES else "en")
        if request.method == "POST":
            form = await request.post()
            if not _token_ok(session, form.get("csrf_token")):
                log.warning("web desk refused a post without a valid csrf token path=%s",
                            request.path)
                raise web.HTTPForbidden(text="invalid or missing CSRF token")
        if request.path in PUBLIC:
            return await handler(request)
        account = await self._account(session)
        if account is None:
            if _wants_html(request):
                raise web.HTTPFound("/desk/login")
            raise web.HTTPUnauthorized(text="sign in at /desk/login")
        request[ACCOUNT] = account
        if request.path != EVENTS:  # a stream's response is sent before it could be saved
            session["seen"] = utcnow().timestamp()
        return await handler(request)

    async def _account(self, session: Session) -> StaffAccount | None:
        """The signed-in account, if the session is fresh and the account may still
        sign in; else the session is emptied."""
        account_id = session.get("account")
        if not isinstance(account_id, int):
            return None
        seen = session.get("seen")
        idle = utcnow().timestamp() - (seen if isinstance(seen, float | int) else 0)
        account = None
        if idle <= self.config.session_minutes * 60:
            async with self.app.db.session() as db:
                account = await db.get(StaffAccount, account_id)
        if (account is None or account.disabled
                or session.get("generation") != account.session_generation):
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            return None
        return account

    @staticmethod
    def _csrf(session: Session) -> str:
        token = session.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            session["csrf"] = token
        return token

    async def _context(self, request: web.Request, **values: Any) -> dict[str, Any]:
        session = await get_session(request)
        return {"csrf_token": self._csrf(session), "account": request.get(ACCOUNT),
                "language": _language.get(), "languages": LANGUAGES,
                "path": request.path, **values}

    # -- signing in and out ---------------------------------------------------------

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        return aiohttp_jinja2.render_template("login.html", request,
                                              await self._context(request, problem=""))

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        async with self.app.db.session() as db:
            outcome = await staff_accounts.sign_in(db, email, password)
            if outcome.account is not None:
                action = "sign_in" if outcome.outcome == "ok" else f"sign_in_{outcome.outcome}"
                await staff_accounts.audit(db, outcome.account, action)
        if outcome.outcome != "ok" or outcome.account is None:
            status = {"locked": 429, "disabled": 403}.get(outcome.outcome, 401)
            context = await self._context(request, problem=outcome.outcome, email=email)
            return aiohttp_jinja2.render_template("login.html", request, context,
                                                  status=status)
        session = await get_session(request)
        language = session.get("lang")
        session.invalidate()  # a new session (and CSRF token) for the signed-in account
        session = await get_session(request)
        session["account"] = outcome.account.id
        session["generation"] = outcome.account.session_generation
        session["seen"] = utcnow().timestamp()
        session["csrf"] = secrets.token_urlsafe(32)
        if language:
            session["lang"] = language
        log.info("web desk sign-in account=%s", outcome.account.id)
        raise web.HTTPSeeOther("/desk/")

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        session.invalidate()
        raise web.HTTPSeeOther("/desk/login")

    async def language(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        chosen = str(form.get("lang", ""))
        session = await get_session(request)
        if chosen in LANGUAGES:
            session["lang"] = chosen
        back = str(form.get("next", "/desk/"))
        raise web.HTTPSeeOther(back if back.startswith("/desk/") else "/desk/")

    # -- the queue ------------------------------------------------------------------

    async def _rows(self, db: AsyncSession) -> list[Row]:
        now = utcnow()
        sla = self.app.config.staff.sla_minutes
        rows = []
        for escalation, chat in await self.app.escalations.open_ones(db):
            followed = await self.app.applications.followed(db, chat)
            minutes = int((now - escalation.opened_at).total_seconds() // 60)
            rows.append(Row(escalation, chat, [a.reference for a in followed], minutes,
                            escalation.first_answered_at is None and minutes >= sla))
        return rows

    async def _stamp(self, db: AsyncSession) -> str:
        """What changes when an escalation opens or any message joins one."""
        newest = (await db.execute(select(func.max(Escalation.id)))).scalar() or 0
        message = (await db.execute(select(func.max(EscalationMessage.id)))).scalar() or 0
        return f"{newest}-{message}"

    async def queue(self, request: web.Request) -> web.StreamResponse:
        async with self.app.db.session() as db:
            rows, stamp = await self._rows(db), await self._stamp(db)
        return aiohttp_jinja2.render_template("queue.html", request, await self._context(
            request, rows=rows, stamp=stamp))

    async def queue_rows(self, request: web.Request) -> web.StreamResponse:
        async with self.app.db.session() as db:
            rows = await self._rows(db)
        return aiohttp_jinja2.render_template("_rows.html", request, await self._context(
            request, rows=rows))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """`change` whenever the stamp differs from the one the page was drawn with."""
        last = request.query.get("since", "")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        account_id, generation = request[ACCOUNT].id, request[ACCOUNT].session_generation
        loop = asyncio.get_running_loop()
        beat = loop.time()
        while not self.closing.is_set():
            async with self.app.db.session() as db:
                account = await db.get(StaffAccount, account_id)
                if (account is None or account.disabled
                        or account.session_generation != generation):
                    break
                stamp = await self._stamp(db)
            if stamp != last:
                last = stamp
                await response.write(f"event: change\ndata: {json.dumps(stamp)}\n\n".encode())
                beat = loop.time()
            elif loop.time() - beat > HEARTBEAT_SECONDS:
                await response.write(b": still here\n\n")
                beat = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), self.config.poll_seconds)
        return response

    # -- one escalation -------------------------------------------------------------

    async def _escalation(self, db: AsyncSession, request: web.Request) -> Escalation:
        escalation = await db.get(Escalation, int(request.match_info["id"]))
        if escalation is None:
            raise web.HTTPNotFound(text="no such escalation")
        return escalation

    def _when(self, moment: datetime) -> str:
        zone = ZoneInfo(self.app.config.bot.timezone)
        return format_datetime(moment, "short", tzinfo=zone, locale=_language.get())

    async def _messages(self, db: AsyncSession, escalation: Escalation
                        ) -> list[dict[str, str]]:
        shown = []
        for message in await self.app.escalations.history(db, escalation):
            if message.direction == "crew":
                language = escalation.language
            else:
                language = (self.app.knowledge.detect_language(message.text)[0]
                            if message.text else "")
            shown.append({"direction": message.direction, "author": message.author,
                          "text": message.text, "language": language,
                          "when": self._when(message.created_at)})
        return shown

    async def thread(self, request: web.Request) -> web.StreamResponse:
        async with self.app.db.session() as db:
            escalation = await self._escalation(db, request)
            chat = await db.get(Chat, escalation.chat_id)
            followed = await self.app.applications.followed(db, chat) if chat else []
            messages = await self._messages(db, escalation)
            stamp = await self._stamp(db)
            colleagues = [account.email for account in await staff_accounts.listing(db)
                          if not account.disabled and account.id != request[ACCOUNT].id]
        language = escalation.language
        knowledge = self.app.knowledge
        articles = sorted((article.id, pick(article.title, language))
                          for article in knowledge.articles)
        canned = sorted((name, pick(texts, language))
                        for name, texts in knowledge.replies.items())
        return aiohttp_jinja2.render_template("thread.html", request, await self._context(
            request, escalation=escalation, chat=chat, applications=followed,
            messages=messages, stamp=stamp, notice=request.query.get("notice", ""),
            opened=self._when(escalation.opened_at), colleagues=colleagues,
            articles=articles, canned=canned))

    async def thread_messages(self, request: web.Request) -> web.StreamResponse:
        async with self.app.db.session() as db:
            messages = await self._messages(db, await self._escalation(db, request))
        return aiohttp_jinja2.render_template("_messages.html", request,
                                              await self._context(request,
                                                                  messages=messages))

    @staticmethod
    def _author(account: StaffAccount) -> str:
        return f"{account.email} (web desk)"

    async def reply(self, request: web.Request) -> web.StreamResponse:
        """Relayed as a Telegram desk reply is (`Escalations.from_staff`), and shown in
        the escalation's Telegram topic, where a web answer would otherwise not be."""
        account: StaffAccount = request[ACCOUNT]
        text = str((await request.post()).get("text", "")).strip()
        here = f"/desk/escalations/{request.match_info['id']}"
        if not text:
            raise web.HTTPSeeOther(here)
        async with self.app.db.session() as db:
            escalation = await self._escalation(db, request)
            relayed = await self.app.escalations.from_staff(
                db, escalation, self._author(account), text, desk_copy=True)
            if relayed:
                await staff_accounts.audit(db, account, "reply", f"escalation:{escalation.id}")
        self.app.outbox.wake()
        raise web.HTTPSeeOther(here if relayed else f"{here}?notice=closed")

    async def claim(self, request: web.Request) -> web.StreamResponse:
        account: StaffAccount = request[ACCOUNT]
        async with self.app.db.session() as db:
            escalation = await self._escalation(db, request)
            await self.app.escalations.claim(db, escalation, account.email)
            await staff_accounts.audit(db, account, "claim", f"escalation:{escalation.id}")
        self.app.outbox.wake()
        raise web.HTTPSeeOther(f"/desk/escalations/{request.match_info['id']}")

    async def close(self, request: web.Request) -> web.StreamResponse:
        account: StaffAccount = request[ACCOUNT]
        async with self.app.db.session() as db:
            escalation = await self._escalation(db, request)
            if await self.app.escalations.close(db, escalation, self._author(account)):
                await staff_accounts.audit(db, account, "close",
                                           f"escalation:{escalation.id}")
        self.app.outbox.wake()
        raise web.HTTPSeeOther("/desk/")

    async def transfer(self, request: web.Request) -> web.StreamResponse:
        """To a colleague with an enabled account; the queue then shows it as theirs."""
        account: StaffAccount = request[ACCOUNT]
        to = str((await request.post()).get("to", ""))
        here = f"/desk/escalations/{request.match_info['id']}"
        async with self.app.db.session() as db:
            escalation = await self._escalation(db, request)
            colleague = await staff_accounts.by_email(db, to)
            if colleague is None or colleague.disabled or escalation.status != "open":
                raise web.HTTPSeeOther(f"{here}?notice=not-transferred")
            await self.app.escalations.claim(db, escalation, colleague.email,
                                             transferred=True)
            await staff_accounts.audit(db, account, "transfer",
                                       f"escalation:{escalation.id} to:{colleague.email}")
        self.app.outbox.wake()
        raise web.HTTPSeeOther(f"{here}?notice=transferred")

    async def send_article(self, request: web.Request) -> web.StreamResponse:
        return await self._send_prepared(request, "article", "send_article",
                                         escalations.article_for_crew)

    async def send_canned(self, request: web.Request) -> web.StreamResponse:
        return await self._send_prepared(request, "name", "send_reply",
                                         escalations.canned_for_crew)

    async def _send_prepared(self, request: web.Request, field: str, action: str,
                             prepare: Callable[[Context, str], Prepared | None]
                             ) -> web.StreamResponse:
        """An article or a canned reply, prepared in the crew's language exactly as the
        Telegram desk's /article and /reply prepare it."""
        account: StaffAccount = request[ACCOUNT]
        chosen = str((await request.post()).get(field, ""))
        here = f"/desk/escalations/{request.match_info['id']}"
        async with self.app.db.session() as db:
            escalation = await self._escalation(db, request)
            crew = await db.get(Chat, escalation.chat_id)
            prepared = (prepare(escalations.crew_context(self.app, db, crew,
                                                         escalation.language), chosen)
                        if crew is not None else None)
            if prepared is None:
                raise web.HTTPSeeOther(f"{here}?notice=unknown")
            if not await escalations.send_prepared(
                    self.app, db, escalation, self._author(account), prepared,
                    self.app.escalations.desk_translator()):
                raise web.HTTPSeeOther(f"{here}?notice=closed")
            await staff_accounts.audit(db, account, action,
                                       f"escalation:{escalation.id} {chosen.strip()}")
        self.app.outbox.wake()
        raise web.HTTPSeeOther(f"{here}?notice=sent")
