"""Coordinators' reminders (`/remind`, `/reminders`, `/cancel`) and everyone's `/timezone`.

Nothing is scheduled on the strength of a parse alone: the bot reads the WHEN back
(date, zone, number of recipients) and schedules only on Confirm, because a reminder
to forty crew members at the wrong hour cannot be taken back.
"""

from __future__ import annotations

from bot.i18n import N_
from bot.messages import Button, Reply
from bot.router import Context, Router
from bot.services import chats, roles
from bot.services.reminders import texts
from bot.services.reminders.service import ALL
from bot.services.reminders.when import Schedule, WhenError, parse_request
from bot.services.reminders.zones import read_zone, zone_of
from bot.storage.models import Chat

REMIND_USAGE = N_(
    "Usage: /remind TARGET WHEN TEXT\n"
    "TARGET: an application reference (such as VN-FP-2026-0001), or all (every chat "
    "linked to an open application).\n"
    "WHEN, on your clock ({zone}): 2026-12-01 09:00 · in 2 minutes · in 3 days · "
    "tomorrow 8:00 · friday 17:00 · every monday 09:00 · daily 07:30 until 2026-12-20\n"
    "Write urgent before WHEN to send during the members' quiet hours too.\n"
    "Example: /remind VN-FP-2026-0001 tomorrow 8:00 Bring the permit to the set.")
WHEN_PROBLEMS = {
    "past": N_("That time has already passed."),
    "too_far": N_("That is more than two years ahead."),
    "until_before": N_("The end date comes before the first occurrence."),
    "unreadable": N_("I could not read WHEN."),
}


def is_coordinator(ctx: Context) -> bool:
    return roles.is_coordinator(ctx.role)


def _refused(ctx: Context) -> list[Reply]:
    return [Reply(ctx._("This command is for the department's coordinators."))]


async def _own_chat(ctx: Context) -> Chat:
    """The person's own (private) chat row, which holds their time zone: in the desk
    group the chat is the group, but the clock is the coordinator's."""
    if not ctx.incoming.is_group:
        return ctx.chat
    return await chats.get_or_create_chat(ctx.session, ctx.incoming.channel,
                                          ctx.incoming.user_id, ctx.incoming.display_name)


async def coordinator_zone(ctx: Context) -> str:
    own = await _own_chat(ctx)
    return own.timezone or ctx.app.config.bot.timezone


def _usage(ctx: Context, zone: str, problem: str = "") -> list[Reply]:
    lead = ctx._(WHEN_PROBLEMS[problem]) + "\n\n" if problem in WHEN_PROBLEMS else ""
    return [Reply(lead + ctx._(REMIND_USAGE).format(zone=zone))]


async def remind(ctx: Context) -> list[Reply]:
    """`/remind TARGET [urgent] WHEN TEXT`: read back, with Confirm / Cancel."""
    if not is_coordinator(ctx):
        return _refused(ctx)
    _ = ctx._
    zone = await coordinator_zone(ctx)
    try:
        request = parse_request(ctx.incoming.args.split(), ctx.app.reminders.clock(), zone)
    except WhenError as error:
        return _usage(ctx, zone, error.reason)
    schedule, text, target, urgent = (request.schedule, request.text, request.target,
                                      request.urgent)
    try:
        draft = await ctx.app.reminders.draft(
            ctx.session, target=target, schedule=schedule, text=text,
            author=f"{ctx.incoming.channel}:{ctx.incoming.user_id}", author_chat=ctx.chat,
            author_thread=ctx.incoming.thread_id, urgent=urgent)
    except LookupError:
        return [Reply(_("No application {reference}.").format(reference=target.upper()))]
    reminder = draft.reminder
    who = (draft.application.reference if draft.application is not None
           else _("every chat linked to an open application"))
    lines = [
        _("Reminder for {target}").format(target=who) + ": "
        + ctx.t.ngettext("{count} chat", "{count} chats", draft.recipients).format(
            count=draft.recipients),
        _("When: {when}").format(when=texts.describe(schedule, reminder.next_at, ctx.t)),
    ]
    if urgent:
        lines.append(_("Urgent: sent during the members' quiet hours too."))
    lines += ["", reminder.text, "", _("Nothing is scheduled until you confirm.")]
    buttons = ((Button(_("Confirm"), f"reminder:confirm:{reminder.id}"),
                Button(_("Cancel"), f"reminder:drop:{reminder.id}")),)
    return [Reply("\n".join(lines), buttons)]


async def pressed(ctx: Context) -> list[Reply]:
    """`reminder:confirm:ID` and `reminder:drop:ID`, from the read-back's buttons."""
    if not is_coordinator(ctx):
        return _refused(ctx)
    _ = ctx._
    parts = ctx.incoming.action.split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        return []
    verb, reminder_id = parts[1], int(parts[2])
    service = ctx.app.reminders
    if verb == "confirm":
        reminder = await service.confirm(ctx.session, reminder_id)
        if reminder is None:
            return [Reply(_("This reminder can no longer be confirmed (already confirmed, "
                            "cancelled, or more than a day old). Send /remind again."))]
        schedule = Schedule.from_json(reminder.schedule)
        return [Reply(_("Scheduled: reminder #{id}, {when}.").format(
            id=reminder.id, when=texts.describe(schedule, reminder.next_at, ctx.t))
            + "\n" + _("/reminders lists the upcoming ones; /cancel {id} cancels this one.")
            .format(id=reminder.id), edit=True)]
    if verb == "drop":
        await service.cancel(ctx.session, reminder_id,
                             f"{ctx.incoming.channel}:{ctx.incoming.user_id}")
        return [Reply(_("Cancelled: nothing was scheduled."), edit=True)]
    return []


async def upcoming(ctx: Context) -> list[Reply]:
    """`/reminders`: what will go out, and how the past occurrences went."""
    if not is_coordinator(ctx):
        return _refused(ctx)
    _ = ctx._
    zone = await coordinator_zone(ctx)
    found = await ctx.app.reminders.upcoming(ctx.session)
    if not found:
        return [Reply(_("No upcoming reminders. Schedule one with /remind."))]
    lines = [_("Upcoming reminders:")]
    for summary in found:
        reminder = summary.reminder
        target = summary.reference if summary.reference != ALL else _("all")
        when = ctx.t.moment(reminder.next_at, zone) if reminder.next_at else "-"
        preview = reminder.text if len(reminder.text) <= 60 else reminder.text[:57] + "..."
        if reminder.kind != texts.MANUAL:
            preview = _("(automatic, from the application's dates)")
        repeat = " ↻" if Schedule.from_json(reminder.schedule).repeats else ""
        lines.append(f"#{reminder.id} · {target} · {when}{repeat} · {preview}")
        lines.append("   " + _("delivered {delivered}, not delivered {failed}, waiting "
                               "{waiting}").format(delivered=summary.delivered,
                                                   failed=summary.failed,
                                                   waiting=summary.waiting))
    lines.append(_("/cancel ID cancels one."))
    return [Reply("\n".join(lines))]


async def cancel(ctx: Context) -> list[Reply]:
    """`/cancel ID`."""
    if not is_coordinator(ctx):
        return _refused(ctx)
    _ = ctx._
    arg = ctx.incoming.args.strip().lstrip("#")
    if not arg.isdigit():
        return [Reply(_("Usage: /cancel ID, where ID is the reminder's number in "
                        "/reminders."))]
    done = await ctx.app.reminders.cancel(ctx.session, int(arg),
                                          f"{ctx.incoming.channel}:{ctx.incoming.user_id}")
    if done is None:
        return [Reply(_("No upcoming reminder #{id}.").format(id=arg))]
    return [Reply(_("Reminder #{id} is cancelled; nothing more of it will be sent.").format(
        id=done.id))]


async def timezone(ctx: Context) -> list[Reply]:
    """`/timezone [ZONE]`: whose clock reminders are shown (and held back at night) on."""
    _ = ctx._
    own = await _own_chat(ctx)
    usage = _("Usage: /timezone ZONE, for example /timezone Europe/Paris, /timezone Seoul "
              "or /timezone Asia/Ho_Chi_Minh.")
    typed = ctx.incoming.args.strip()
    if not typed:
        current = (own.timezone or (ctx.app.config.bot.timezone if is_coordinator(ctx)
                   else zone_of(None, own.language, ctx.app.config.bot.timezone)))
        said = _("Your time zone: {zone}.") if own.timezone else _(
            "Your time zone: {zone} (not chosen yet; a guess from your language).")
        return [Reply(said.format(zone=current) + "\n" + usage)]
    zone = read_zone(typed)
    if zone is None:
        return [Reply(_("I do not know the time zone {zone}.").format(zone=typed[:64])
                      + "\n" + usage)]
    own.timezone = zone
    await ctx.session.flush()
    now = ctx.t.moment(ctx.app.reminders.clock(), zone)
    return [Reply(_("Your time zone is now {zone}: it is {now} there. Reminders reach you "
                    "on this clock.").format(zone=zone, now=now))]


def register(router: Router) -> None:
    for name, handler in (("remind", remind), ("reminders", upcoming), ("cancel", cancel)):
        router.command(name, handler)
        router.desk_command(name, handler)
    router.command("timezone", timezone, N_("Your time zone, for reminders"))
    router.desk_command("timezone", timezone)
    router.action("reminder", pressed)
    router.desk_action("reminder", pressed)
