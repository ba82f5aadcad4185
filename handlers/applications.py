"""Following a permit application (crews) and moving it (staff), in the chat.

Crews link a chat with the reference and access code the department gave them; a
wrong reference and a wrong code get the same answer, so nobody learns which
references exist. Staff commands check the role first and change nothing otherwise.
"""

from __future__ import annotations

from datetime import date

from bot.i18n import N_
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.services import roles
from bot.services.applications import (
    STATUSES,
    ApplicationError,
    Conflict,
    MissingDetail,
    StatusChange,
    TooManyAttempts,
    TransitionRefused,
    UnknownStatus,
    items,
    texts,
)
from bot.services.applications.codes import LINK_PREFIX
from bot.storage.models import Application
from handlers.menus import footer_buttons

EXAMPLE = "/track VN-FP-2026-0007 ABCDE-FGHJK"


def _buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return (footer_buttons(ctx.t),)


async def _card(ctx: Context, application: Application) -> str:
    history = await ctx.app.applications.history(ctx.session, application)
    return texts.status_card(application, history, ctx.t)


async def _linked(ctx: Context, application: Application | None) -> list[Reply]:
    _ = ctx._
    if application is not None and ctx.chat.language is None:
        ctx.chat.language = ctx.language  # notices go out in the language of this answer
    if application is None:
        return [Reply(_("That reference and access code do not match an application I can "
                        "show you. Check both with your Vietnamese film-service company."),
                      _buttons(ctx))]
    text = _("You now follow {reference}. You will be told here whenever its status "
             "changes.").format(reference=application.reference)
    return [Reply(text + "\n\n" + await _card(ctx, application), _buttons(ctx))]


def _too_many(ctx: Context) -> list[Reply]:
    return [Reply(ctx._("Too many wrong attempts from this chat. Please wait an hour, then "
                        "try again."), _buttons(ctx))]


async def track(ctx: Context) -> list[Reply]:
    """`/track REF CODE` (the code may be typed with spaces or in lower case)."""
    parts = ctx.incoming.args.split(maxsplit=1)
    if len(parts) != 2:
        return [Reply(ctx._("Usage: /track REFERENCE ACCESS-CODE, for example {example}")
                      .format(example=EXAMPLE))]
    try:
        application = await ctx.app.applications.track(ctx.session, ctx.chat, parts[0],
                                                        parts[1])
    except TooManyAttempts:
        return _too_many(ctx)
    return await _linked(ctx, application)


async def track_link(ctx: Context, token: str) -> list[Reply]:
    """A deep link (`/start t-...`) links in one tap, as `/track` does."""
    try:
        application = await ctx.app.applications.track_token(ctx.session, ctx.chat, token)
    except TooManyAttempts:
        return _too_many(ctx)
    return await _linked(ctx, application)


def is_link_token(payload: str) -> bool:
    return payload.startswith(LINK_PREFIX)


async def status(ctx: Context) -> list[Reply]:
    """`/status` and the "My application" button: every application this chat follows."""
    followed = await ctx.app.applications.followed(ctx.session, ctx.chat)
    if not followed:
        return [Reply(ctx._("You don't follow any application yet. Send /track with the "
                            "reference and access code the Cinema Department gave you, "
                            "for example: {example}").format(example=EXAMPLE),
                      _buttons(ctx))]
    cards = [Reply(await _card(ctx, application)) for application in followed]
    last = cards[-1]
    cards[-1] = Reply(last.text, _buttons(ctx))
    return cards


async def untrack(ctx: Context) -> list[Reply]:
    reference = ctx.incoming.args.strip()
    if not reference:
        return [Reply(ctx._("Usage: /untrack REFERENCE"))]
    if await ctx.app.applications.untrack(ctx.session, ctx.chat, reference):
        return [Reply(ctx._("You no longer follow {reference}.").format(
            reference=reference.upper()), _buttons(ctx))]
    return [Reply(ctx._("You don't follow {reference}.").format(reference=reference.upper()),
                  _buttons(ctx))]


# Staff.

def _refused(ctx: Context) -> list[Reply]:
    return [Reply(ctx._("This command is for Cinema Department staff."))]


async def staff_show(ctx: Context) -> list[Reply]:
    """`/app REF`: what the crew sees, and what only staff see."""
    if not roles.is_staff(ctx.role):
        return _refused(ctx)
    _ = ctx._
    reference = ctx.incoming.args.strip()
    if not reference:
        return [Reply(_("Usage: /app REFERENCE"))]
    application = await ctx.app.applications.get(ctx.session, reference)
    if application is None:
        return [Reply(_("No application {reference}.").format(reference=reference.upper()))]
    followers = await ctx.app.applications.followers(ctx.session, application)
    facts = "\n".join([
        _("Company: {company} ({country})").format(company=application.company,
                                                   country=application.country),
        _("Film-service company: {name}").format(name=application.service_company),
        _("Shoot: {start} to {end}").format(start=ctx.t.date(application.shoot_start),
                                           end=ctx.t.date(application.shoot_end)),
        _("Locations: {places}").format(places=", ".join(items(application.locations))),
        _("Contact: {email}").format(email=application.contact_email),
        ctx.t.ngettext("Followed by {count} chat", "Followed by {count} chats",
                       len(followers)).format(count=len(followers)),
    ])
    return [Reply(await _card(ctx, application) + "\n\n" + facts)]


async def staff_list(ctx: Context) -> list[Reply]:
    """`/apps [STATUS]`: the latest applications, one line each."""
    if not roles.is_staff(ctx.role):
        return _refused(ctx)
    _ = ctx._
    wanted = ctx.incoming.args.strip().lower()
    if wanted and wanted not in STATUSES:
        return [Reply(_("Usage: /apps [STATUS], where STATUS is one of: {statuses}").format(
            statuses=", ".join(STATUSES)))]
    found = await ctx.app.applications.search(ctx.session, status=wanted or None, limit=100)
    if not found:
        return [Reply(_("No applications."))]
    lines = [f"{a.reference} · {texts.label(a.status, ctx.t)} · {a.production_title}"
             for a in found[-30:]]
    head = ctx.t.ngettext("{count} application", "{count} applications", len(found)).format(
        count=len(found))
    return [Reply(head + "\n" + "\n".join(lines))]


SETSTATUS_USAGE = N_("Usage: /setstatus REFERENCE STATUS [note]. For info_requested the "
                     "note lists the items requested, separated by \";\". For approved: "
                     "/setstatus REFERENCE approved PERMIT-NUMBER VALID-UNTIL [note], the "
                     "date as YYYY-MM-DD.")


def _parse_change(ctx: Context, status: str, rest: str) -> StatusChange:
    actor = f"{ctx.incoming.channel}:{ctx.incoming.user_id}"
    if status == "info_requested":
        wanted = [item.strip() for item in rest.split(";") if item.strip()]
        return StatusChange(status, note="", actor=actor, requested=wanted)
    if status == "approved":
        words = rest.split(maxsplit=2)
        if len(words) < 2:
            raise MissingDetail("approved needs a permit number and a validity end")
        try:
            until = date.fromisoformat(words[1])
        except ValueError as error:
            raise MissingDetail("the validity end is not a date") from error
        return StatusChange(status, note=words[2] if len(words) > 2 else "", actor=actor,
                            permit_number=words[0], valid_until=until)
    return StatusChange(status, note=rest, actor=actor)


async def staff_set_status(ctx: Context) -> list[Reply]:
    """`/setstatus REF STATUS [note]`: moves it; every following chat is told once."""
    if not roles.is_staff(ctx.role):
        return _refused(ctx)
    _ = ctx._
    words = ctx.incoming.args.split(maxsplit=2)
    if len(words) < 2:
        return [Reply(_(SETSTATUS_USAGE))]
    reference, status = words[0], words[1].lower()
    try:
        change = _parse_change(ctx, status, words[2] if len(words) > 2 else "")
        application, _event = await ctx.app.applications.change(ctx.session, reference, change)
    except LookupError:
        return [Reply(_("No application {reference}.").format(reference=reference.upper()))]
    except TransitionRefused as refused:
        allowed = ", ".join(refused.allowed) or "-"
        return [Reply(_("Not changed: from {current} the allowed moves are: {allowed}.").format(
            current=refused.current, allowed=allowed))]
    except Conflict:
        return [Reply(_("Not changed: someone changed {reference} at the same moment. Look "
                        "at it again with /app {reference}.").format(
                            reference=reference.upper()))]
    except (UnknownStatus, MissingDetail, ApplicationError):
        return [Reply(_(SETSTATUS_USAGE))]
    followers = await ctx.app.applications.followers(ctx.session, application)
    told = ctx.t.ngettext("{count} following chat will be told.",
                          "{count} following chats will be told.",
                          len(followers)).format(count=len(followers))
    return [Reply(_("{reference} is now {status}.").format(
        reference=application.reference, status=texts.label(application.status, ctx.t))
        + " " + told)]


def register(router: Router) -> None:
    router.command("track", track, N_("Follow your permit application"))
    router.command("status", status, N_("Where your application stands"))
    router.command("untrack", untrack)
    router.command("app", staff_show)  # in the desk, handlers.escalations.desk_app
    for name, handler in (("apps", staff_list), ("setstatus", staff_set_status)):
        router.command(name, handler)  # in a private chat
        router.desk_command(name, handler)  # and in the staff desk group
    router.action("application", status)
