"""`crewbot reminders list|add|cancel`: coordinators at a desk, with `/remind`'s syntax.

The command only writes rows; the running bot (any of its processes) fires and sends
them, exactly as it does for a reminder scheduled from a chat. `add` reads the WHEN
back and asks before it schedules, as the bot's Confirm button does; a script says
`--yes`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bot.config import Config

if TYPE_CHECKING:
    from bot.services.reminders import Reminders

OK, FAILED, USAGE = 0, 1, 2
ACTIONS = "list, add, cancel"
EXAMPLES = ("2026-12-01 09:00 · in 2 minutes · in 3 days · tomorrow 8:00 · friday 17:00 · "
            "every monday 09:00 · daily 07:30 until 2026-12-20")
PROBLEMS = {"past": "that time has already passed",
            "too_far": "that is more than two years ahead",
            "until_before": "the end date comes before the first occurrence",
            "unreadable": "WHEN is not a time crewbot can read",
            "usage": "give TARGET, WHEN and TEXT"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    reminders = sub.add_parser("reminders", parents=[common],
                               help="coordinators' reminders to crews (list, add, cancel)")
    actions = reminders.add_subparsers(dest="reminders_command", metavar="ACTION")
    listing = actions.add_parser("list", parents=[common],
                                 help="upcoming reminders with delivered / failed counts")
    listing.add_argument("--zone", help="show times on this IANA zone's clock "
                                        "(default: [bot] timezone)")
    add = actions.add_parser(
        "add", parents=[common], help="schedule a reminder: TARGET [urgent] WHEN TEXT",
        description=f"TARGET is an application reference or all. WHEN: {EXAMPLES}.")
    add.add_argument("words", nargs="+", metavar="TARGET WHEN TEXT")
    add.add_argument("--zone", help="read WHEN on this IANA zone's clock "
                                    "(default: [bot] timezone)")
    add.add_argument("--author", help="who schedules it (default: cli:$USER)")
    add.add_argument("--yes", action="store_true",
                     help="schedule without asking (scripts)")
    cancel = actions.add_parser("cancel", parents=[common], help="cancel a reminder")
    cancel.add_argument("id", type=int, metavar="ID")
    reminders.set_defaults(reminders_parser=reminders)
    add.set_defaults(reminders_parser=add)
    return reminders


def _zone(args: argparse.Namespace, config: Config) -> str:
    from bot.services.reminders.zones import read_zone

    if not getattr(args, "zone", None):
        return config.bot.timezone
    zone = read_zone(args.zone)
    if zone is None:
        args.reminders_parser.error(f"--zone: unknown time zone {args.zone!r}; expected an "
                                    "IANA name such as Asia/Ho_Chi_Minh or Europe/Paris")
    assert zone is not None
    return zone


@contextlib.asynccontextmanager
async def _service(config: Config) -> AsyncIterator[Reminders]:
    from bot.i18n import Catalogs
    from bot.services.outbox import Outbox
    from bot.services.reminders import Reminders
    from bot.storage import Database

    db = Database(config.database.url)
    try:
        await db.upgrade()
        yield Reminders(config, db, Outbox(db, config.outbox), Catalogs(["en"]))
    finally:
        await db.close()


async def run(args: argparse.Namespace, config: Config) -> int:
    # Imported here, not with the module: `crewbot ask` parses the same command line and
    # must not pay for the database layer at start-up.
    from bot.services.reminders import texts
    from bot.services.reminders.when import Schedule, WhenError, parse_request

    zone = _zone(args, config)
    async with _service(config) as service:
        english = service.catalogs.get("en")
        if args.reminders_command == "list":
            async with service.db.session() as session:
                found = await service.upcoming(session, limit=200)
            if not found:
                print("no upcoming reminders")
            for summary in found:
                reminder = summary.reminder
                when = english.moment(reminder.next_at, zone) if reminder.next_at else "-"
                repeats = " (repeats)" if Schedule.from_json(reminder.schedule).repeats else ""
                what = (reminder.text if reminder.kind == texts.MANUAL
                        else f"automatic: {reminder.kind}")
                print(f"#{reminder.id}\t{summary.reference}\t{when}{repeats}\t"
                      f"delivered {summary.delivered}, not delivered {summary.failed}, "
                      f"waiting {summary.waiting}\t{what}")
            return OK
        if args.reminders_command == "cancel":
            async with service.db.session() as session:
                done = await service.cancel(session, args.id, _me())
            if done is None:
                print(f"crewbot reminders cancel: no upcoming reminder #{args.id}",
                      file=sys.stderr)
                return FAILED
            print(f"reminder #{args.id} cancelled")
            return OK
        try:
            request = parse_request(args.words, service.clock(), zone)
        except WhenError as error:
            args.reminders_parser.error(f"{PROBLEMS[error.reason]} (WHEN: {EXAMPLES}; read "
                                        f"in {zone})")
        async with service.db.session() as session:
            try:
                draft = await service.draft(
                    session, target=request.target, schedule=request.schedule,
                    text=request.text, author=args.author or _me(), urgent=request.urgent)
            except LookupError:
                print(f"crewbot reminders add: no application {request.target.upper()}",
                      file=sys.stderr)
                return FAILED
            target = draft.application.reference if draft.application else "all"
            print(f"to: {target} ({draft.recipients} linked chats now)")
            print("when: " + texts.describe(request.schedule, draft.reminder.next_at,
                                            english))
            if request.urgent:
                print("urgent: sent during the members' quiet hours too")
            print(f"text: {request.text}")
            if not args.yes:
                if not sys.stdin.isatty():
                    print("crewbot reminders add: not scheduled; confirm on a terminal, or "
                          "add --yes", file=sys.stderr)
                    await session.rollback()
                    return USAGE
                answer = await asyncio.to_thread(input, "Schedule it? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    await session.rollback()
                    print("not scheduled")
                    return OK
            confirmed = await service.confirm(session, draft.reminder.id)
            assert confirmed is not None
            print(f"scheduled: reminder #{confirmed.id}")
    return OK


def _me() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
