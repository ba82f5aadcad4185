"""`crewbot app`: permit applications from a desk, without the admin API or a browser.

Staff create applications (one at a time or from the department's CSV export), move
them through the workflow and hand crews a deep link or QR code. Everything goes
through `Applications`, so the command line refuses the same moves with the same words
as the API and the staff chat. Access codes and link tokens are printed once, when they
are made: only their hashes are stored, so nothing can show them again.

The heavy imports (SQLAlchemy, argon2, the channels) are inside the functions: building
the parser runs for every `crewbot` command, `--help` included.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import getpass
import os
import re
import secrets
import sys
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.config import Config
    from bot.messages import Reply
    from bot.services.applications import Applications, NewApplication

OK, FAILED, USAGE = 0, 1, 2  # as in bot.cli
ACTIONS = "create, list, show, set-status, link, import"

# The department's export, in this order; `locations` separated by ";".
COLUMNS = ("case_number", "production_title", "company", "country", "service_company",
           "shoot_start", "shoot_end", "locations", "contact_email")
# The same fields as `app create` names them, so a problem reads in the caller's terms.
OPTIONS = {"case_number": "--case", "production_title": "--title", "company": "--company",
           "country": "--country", "service_company": "--service-company",
           "shoot_start": "--start", "shoot_end": "--end", "locations": "--location",
           "contact_email": "--email"}
# The columns' sizes in the database: PostgreSQL refuses longer text, SQLite would not.
LIMITS = {"case_number": 128, "production_title": 256, "company": 256,
          "service_company": 256, "contact_email": 256}
PERMIT_NUMBER_LIMIT = 64
EMAIL = re.compile(r"[^@\s,;<>\"]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Telegram's rule for a username; a bot's ends in "bot".
BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,30}[A-Za-z0-9]")
# Details a move uses; given with another move, the service would drop them silently.
DETAILS = {"requested": ("--requested", "info_requested"), "due": ("--due", "info_requested"),
           "permit_number": ("--permit-number", "approved"),
           "valid_from": ("--valid-from", "approved"),
           "valid_until": ("--valid-until", "approved")}


class _NotDone(Exception):
    """A command stopped for a reason the operator can act on: its exit code and line."""

    def __init__(self, code: int, line: str) -> None:
        super().__init__(line)
        self.code = code
        self.line = line


# -- the command line ------------------------------------------------------------------

def _iso_date(text: str) -> date:
    """Only YYYY-MM-DD: `fromisoformat` alone also takes 20270301 and week dates."""
    try:
        if ISO_DATE.fullmatch(text.strip()):
            return date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}")


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, got {text!r}")
    return number


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`crewbot app` and its actions; each action's parser rides in the arguments as
    `app_parser`, so `check` can report a bad argument against the right usage line."""
    app = sub.add_parser("app", parents=[common], help="permit applications (staff)")
    actions = app.add_subparsers(dest="app_command", metavar="ACTION")

    create = actions.add_parser(
        "create", parents=[common],
        help="record a new application; prints its reference and access code (once)")
    create.add_argument("--title", required=True, help="the production's title")
    create.add_argument("--company", required=True, help="the foreign production company")
    create.add_argument("--country", required=True,
                        help="the company's country: two capital letters (ISO 3166), e.g. FR")
    create.add_argument("--service-company", required=True,
                        help="the Vietnamese service company")
    create.add_argument("--start", required=True, type=_iso_date, help="first shooting day")
    create.add_argument("--end", required=True, type=_iso_date, help="last shooting day")
    create.add_argument("--location", required=True, action="append", metavar="PLACE",
                        help="a shooting location (repeat for each)")
    create.add_argument("--email", required=True, help="the production's contact e-mail")
    create.add_argument("--case", metavar="EXT", help="the department's own case number")
    create.add_argument("--actor", help="who records it, for the history (default: you)")

    listing = actions.add_parser("list", parents=[common],
                                 help="one line per application, last changed first")
    listing.add_argument("--status", help="only applications in this status")
    listing.add_argument("--limit", type=_positive, default=50, help="at most N (default 50)")

    show = actions.add_parser("show", parents=[common],
                              help="an application's details and history")
    show.add_argument("reference", metavar="REF")

    change = actions.add_parser(
        "set-status", parents=[common],
        help="move an application on; the chats following it are told")
    change.add_argument("reference", metavar="REF")
    change.add_argument("status", metavar="STATUS",
                        help="the new status; a move the workflow does not allow is refused "
                             "with the allowed ones")
    change.add_argument("--note", default="", help="for the crew and the history")
    change.add_argument("--actor", help="who decided, for the history (default: you)")
    change.add_argument("--requested", nargs="+", action="extend", default=[],
                        metavar="ITEM", help="info_requested: what the crew must send")
    change.add_argument("--due", type=_iso_date, metavar="DATE",
                        help="info_requested: by when")
    change.add_argument("--permit-number", default="", metavar="P",
                        help="approved: the permit's number")
    change.add_argument("--valid-from", type=_iso_date, metavar="D",
                        help="approved: first valid day (default: the first shooting day)")
    change.add_argument("--valid-until", type=_iso_date, metavar="D",
                        help="approved: last valid day")

    link = actions.add_parser(
        "link", parents=[common],
        help="a new Telegram deep link (and QR code) that links a chat without the code")
    link.add_argument("reference", metavar="REF")
    link.add_argument("--bot", required=True, metavar="USERNAME",
                      help="the bot's Telegram username (the one in t.me/USERNAME)")
    link.add_argument("--qr", metavar="FILE.png", help="also write the link as a QR code PNG")

    load = actions.add_parser(
        "import", parents=[common],
        help="create applications from a CSV file; rows already imported are skipped")
    load.add_argument("file", metavar="FILE.csv",
                      help=f"columns {','.join(COLUMNS)}; locations separated by ;")

    for parser in actions.choices.values():
        parser.set_defaults(app_parser=parser)
    return app


def check(args: argparse.Namespace) -> None:
    """Refuse bad arguments before the configuration and the database are touched, as
    usage errors (exit 2) with the action's usage line."""
    from bot.services.applications.workflow import STATUSES

    parser: argparse.ArgumentParser = args.app_parser
    if args.app_command == "create":
        values = {"case_number": args.case, "production_title": args.title,
                  "company": args.company, "country": args.country,
                  "service_company": args.service_company, "shoot_start": args.start,
                  "shoot_end": args.end,
                  "locations": [place for place in args.location if place.strip()],
                  "contact_email": args.email}
        problems = _problems(values, OPTIONS, optional=("case_number",))
        if problems:
            parser.error("; ".join(problems))
    elif args.app_command == "list":
        if args.status is not None and args.status not in STATUSES:
            parser.error(f"unknown status {args.status!r}; expected one of "
                         f"{', '.join(STATUSES)}")
    elif args.app_command == "set-status":
        if args.status not in STATUSES:
            parser.error(f"unknown status {args.status!r}; expected one of "
                         f"{', '.join(STATUSES)}")
        stray = [f"{option} goes only with {status}"
                 for key, (option, status) in DETAILS.items()
                 if getattr(args, key) and status != args.status]
        if stray:
            parser.error(f"{'; '.join(stray)}, not with {args.status}")
        if len(args.permit_number.strip()) > PERMIT_NUMBER_LIMIT:
            parser.error(f"--permit-number is longer than {PERMIT_NUMBER_LIMIT} characters")
    elif args.app_command == "link":
        args.bot = args.bot.strip().removeprefix("@")
        if not BOT_USERNAME.fullmatch(args.bot) or not args.bot.lower().endswith("bot"):
            parser.error(f"--bot: {args.bot!r} is not a bot's username (5 to 32 letters, "
                         "digits and _, ending in bot)")
        if args.qr is not None and Path(args.qr).suffix.lower() != ".png":
            parser.error(f"--qr: the file name must end in .png, got {args.qr!r}")


async def run(args: argparse.Namespace, config: Config) -> int:
    command = {"create": _create, "list": _list, "show": _show, "set-status": _set_status,
               "link": _link, "import": _import}[args.app_command]
    try:
        await command(args, config)
    except _NotDone as stop:
        print(f"crewbot app {args.app_command}: {stop.line}", file=sys.stderr)
        return stop.code
    return OK


# -- checking an application's fields ---------------------------------------------------

def _problems(values: Mapping[str, object], names: Mapping[str, str],
              optional: Sequence[str] = (), reported: Sequence[str] = ()) -> list[str]:
    """Everything wrong with one application's fields, each named as the caller knows it
    (`names`: a CSV column or an option), so that all of a row's faults show at once;
    fields in `reported` already have their problem."""
    problems: list[str] = []
    for key in COLUMNS:
        value = values.get(key)
        name = names[key]
        if isinstance(value, str):
            value = value.strip()
        if key in reported:
            continue
        if value in (None, "", []):
            if key not in optional:
                problems.append(f"{name} is empty")
            continue
        if isinstance(value, str) and key in LIMITS and len(value) > LIMITS[key]:
            problems.append(f"{name} is longer than {LIMITS[key]} characters")
    country = values.get("country")
    if isinstance(country, str) and country.strip() and not _is_country(country.strip()):
        problems.append(f"{names['country']} {country.strip()!r} is not a country "
                        "code: two capital letters (ISO 3166), e.g. FR")
    email = values.get("contact_email")
    if isinstance(email, str) and email.strip() and not EMAIL.fullmatch(email.strip()):
        problems.append(f"{names['contact_email']} {email.strip()!r} is not an "
                        "e-mail address")
    start, end = values.get("shoot_start"), values.get("shoot_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(f"{names['shoot_end']} {end} is before "
                        f"{names['shoot_start']} {start}")
    return problems


def _is_country(code: str) -> bool:
    from bot.services.applications.countries import COUNTRIES

    return code in COUNTRIES


def _new(values: Mapping[str, object]) -> NewApplication:
    from bot.services.applications import NewApplication

    def text(key: str) -> str:
        value = values[key]
        return value.strip() if isinstance(value, str) else ""

    start, end, places = values["shoot_start"], values["shoot_end"], values["locations"]
    assert isinstance(start, date) and isinstance(end, date) and isinstance(places, list)
    return NewApplication(
        production_title=text("production_title"), company=text("company"),
        country=text("country"), service_company=text("service_company"),
        shoot_start=start, shoot_end=end,
        locations=[str(place).strip() for place in places if str(place).strip()],
        contact_email=text("contact_email"), external_case=text("case_number") or None)


def _actor(given: str | None) -> str:
    """Who did it, for the history: as given, else the desk's login name."""
    if given and given.strip():
        return given.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "staff"


def _code_note(reference: str) -> str:
    return (f"The access code is shown only now (only a hash of it is stored): give it to "
            f"the crew with the reference. They follow the application by sending "
            f"/track {reference} CODE to the bot.")


# -- the database ----------------------------------------------------------------------

class _LeftToTheBot:
    """Stands in for a platform's sender, so notices are queued as `pending`.

    The outbox marks a row for a channel it has no sender for as done (the console's
    way). This process sends nothing: the running bot's outbox sweep sends the rows,
    for whichever channels it serves, split as that channel needs, so the text limit is
    the real channel's. Chats the platform refused stay `unreachable`, as in the bot.
    """

    def __init__(self, name: str, text_limit: int) -> None:
        self.name = name
        self.text_limit = text_limit
        self.edits = False

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        from bot.channels.base import RetryLater

        raise RetryLater("left to the running bot", counts=False)


def _platform_senders(config: Config) -> list[_LeftToTheBot]:
    """Telegram and Zalo whatever this configuration says: the desk's configuration
    often lacks the tokens the bot's service has, and a notice must not be lost for it."""
    from bot.channels.telegram import CHANNEL as TELEGRAM
    from bot.channels.telegram import TEXT_LIMIT
    from bot.channels.zalo.channel import CHANNEL as ZALO

    if config.zalo.api == "bot":
        from bot.channels.zalo.bot_client import MAX_TEXT
    else:
        from bot.channels.zalo.oa_client import MAX_TEXT
    return [_LeftToTheBot(TELEGRAM, TEXT_LIMIT), _LeftToTheBot(ZALO, MAX_TEXT)]


@contextlib.asynccontextmanager
async def _applications(config: Config, notices: bool = False) -> AsyncIterator[Applications]:
    """The service on the configured database, migrated first as by every command, so
    an unreachable server or an old schema shows as the shared one-line start-up error."""
    from bot.i18n import Catalogs
    from bot.services.applications import Applications
    from bot.services.outbox import Outbox
    from bot.storage import Database

    db = Database(config.database.url)
    try:
        await db.upgrade()
        outbox = Outbox(db, config.outbox)
        if notices:
            for sender in _platform_senders(config):
                outbox.register(sender)
        yield Applications(db, outbox, Catalogs(config.bot.languages), config)
    finally:
        await db.close()


async def _existing(session: AsyncSession, cases: Sequence[str]) -> dict[str, str]:
    """Case number to reference for the cases already recorded: what makes a second
    import of the same export skip its rows instead of doubling them."""
    from sqlalchemy import select

    from bot.storage.models import Application

    found: dict[str, str] = {}
    for start in range(0, len(cases), 500):  # SQLite's limit on bound parameters
        rows = await session.execute(
            select(Application.external_case, Application.reference)
            .where(Application.external_case.in_(cases[start:start + 500])))
        found.update({case: reference for case, reference in rows if case})
    return found


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"


# -- the actions -----------------------------------------------------------------------

async def _create(args: argparse.Namespace, config: Config) -> None:
    from sqlalchemy.exc import IntegrityError

    new = _new({"case_number": args.case or "", "production_title": args.title,
                "company": args.company, "country": args.country,
                "service_company": args.service_company, "shoot_start": args.start,
                "shoot_end": args.end, "locations": args.location,
                "contact_email": args.email})
    async with _applications(config) as service:
        try:
            async with service.db.session() as session:
                if new.external_case:
                    taken = await _existing(session, [new.external_case])
                    if taken:
                        raise _NotDone(FAILED, f"case {new.external_case} is already "
                                               f"{taken[new.external_case]}; nothing created")
                application, code = await service.create(session, new, _actor(args.actor))
        except IntegrityError as error:
            raise _NotDone(FAILED, f"case {new.external_case} was recorded by someone else "
                                   "at the same moment; nothing created") from error
    print(f"created {application.reference}: {application.production_title} "
          f"({application.status})")
    print(f"access code: {code}")
    print(_code_note(application.reference))


async def _list(args: argparse.Namespace, config: Config) -> None:
    from sqlalchemy import func, select

    from bot.storage.models import Application

    async with _applications(config) as service, service.db.session() as session:
        query = select(Application)
        total = select(func.count()).select_from(Application)
        if args.status:
            query = query.where(Application.status == args.status)
            total = total.where(Application.status == args.status)
        rows = (await session.scalars(
            query.order_by(Application.updated_at.desc(), Application.id.desc())
            .limit(args.limit))).all()
        count = await session.scalar(total) or 0
    if not rows:
        print(f"no applications{f' in status {args.status}' if args.status else ''}")
        return
    for row in rows:
        print(f"{row.reference:<16}  {row.status:<14}  {_when(row.updated_at)}  "
              f"{row.production_title}")
    if count > len(rows):
        print(f"{len(rows)} of {count} shown, last changed first; --limit N for more",
              file=sys.stderr)


async def _show(args: argparse.Namespace, config: Config) -> None:
    from bot.services.applications import items

    async with _applications(config) as service, service.db.session() as session:
        application = await service.get(session, args.reference)
        if application is None:
            raise _NotDone(FAILED, f"no application {args.reference.strip().upper()}")
        history = await service.history(session, application)
        followers = await service.followers(session, application)
    a = application
    lines = [
        f"{a.reference}  {a.status}",
        ("title", a.production_title),
        ("company", f"{a.company} ({a.country})"),
        ("service company", a.service_company),
        ("shooting", f"{a.shoot_start} to {a.shoot_end}"),
        ("locations", "; ".join(items(a.locations))),
        ("contact", a.contact_email),
        ("case", a.external_case or "-"),
    ]
    requested = items(a.requested)
    if requested:
        due = f" (by {a.requested_due})" if a.requested_due else ""
        lines.append(("requested", "; ".join(requested) + due))
    if a.decision_due:
        lines.append(("decision due", str(a.decision_due)))
    if a.permit_number:
        lines.append(("permit", f"{a.permit_number}, valid {a.valid_from} to {a.valid_until}"))
    if a.note:
        lines.append(("note", a.note))
    channels = Counter(chat.channel for chat in followers)
    lines.append(("followed by", f"{len(followers)} chat(s)" + (
        f" ({', '.join(f'{name} {n}' for name, n in sorted(channels.items()))})"
        if channels else "")))
    lines.append(("deep link", "active (crewbot app link makes a new one)"
                  if a.link_token_hash else "none (crewbot app link makes one)"))
    lines.append(("created", f"{_when(a.created_at)} UTC"))
    lines.append(("updated", f"{_when(a.updated_at)} UTC (version {a.version})"))
    for line in lines:
        print(line if isinstance(line, str) else f"  {line[0] + ':':<17}{line[1]}")
    print("history:")
    for event in history:
        move = f"{event.from_status} -> {event.to_status}" if event.from_status \
            else event.to_status
        note = f"  {event.note}" if event.note else ""
        print(f"  {_when(event.created_at)}  {move:<30}  by {event.actor}{note}")


async def _set_status(args: argparse.Namespace, config: Config) -> None:
    from bot.services.applications import (
        ApplicationError,
        MissingDetail,
        StatusChange,
        TransitionRefused,
    )

    change = StatusChange(
        args.status, note=args.note.strip(), actor=_actor(args.actor),
        requested=list(args.requested), due=args.due, permit_number=args.permit_number,
        valid_from=args.valid_from, valid_until=args.valid_until)
    async with _applications(config, notices=True) as service:
        reference = args.reference.strip().upper()
        try:
            async with service.db.session() as session:
                application, event = await service.change(session, reference, change)
                followers = await service.followers(session, application)
        except LookupError as error:
            raise _NotDone(FAILED, f"no application {reference}") from error
        except MissingDetail as error:
            raise _NotDone(USAGE, _as_options(str(error))) from error
        except TransitionRefused as error:
            raise _NotDone(FAILED, f"{reference}: {error}") from error
        except ApplicationError as error:  # a concurrent change: read again, retry
            raise _NotDone(FAILED, str(error)) from error
        served = set(service.outbox.senders)
    told = [chat for chat in followers
            if chat.channel in served and chat.unreachable_since is None]
    refused = [chat for chat in followers
               if chat.channel in served and chat.unreachable_since is not None]
    elsewhere = [chat for chat in followers if chat.channel not in served]
    print(f"{application.reference}: {event.from_status} -> {event.to_status} "
          f"(by {event.actor})")
    if not followers:
        print("No chat follows it yet, so nobody is told.")
    else:
        print(f"{len(told)} chat(s) will be told: the notices are queued in the outbox, and "
              "the running bot (crewbot run) sends them within seconds.")
    if refused:
        print(f"{len(refused)} chat(s) will not be told: the platform refused them before "
              "(the bot blocked, or the chat gone).")
    if elsewhere:
        print(f"{len(elsewhere)} chat(s) on {', '.join(sorted({c.channel for c in elsewhere}))} "
              "will not be told: no bot sends there.")


def _as_options(message: str) -> str:
    """The service names details by field; here they are options."""
    for key, (option, _status) in DETAILS.items():
        message = re.sub(rf"\b{key}\b", option, message)
    return message.replace("needs the items requested", "needs the items requested "
                                                        "(--requested ITEM ...)")


async def _link(args: argparse.Namespace, config: Config) -> None:
    """The token is made, the QR code written and only then is the change committed:
    a file that cannot be written leaves the earlier link working."""
    import segno

    reference = args.reference.strip().upper()
    target = Path(args.qr) if args.qr else None
    scratch: Path | None = None
    if target is not None:
        # A file of our own beside the target, created now: a folder that cannot be
        # written to stops us before the link changes, and the rename is atomic.
        scratch = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            scratch.open("xb").close()
        except OSError as error:
            raise _NotDone(FAILED, f"cannot write {target}: {error.strerror or error}; "
                                   "nothing changed") from error
    try:
        async with _applications(config) as service:
            async with service.db.session() as session:
                token = await service.new_link_token(session, reference)
                if token is None:
                    raise _NotDone(FAILED, f"no application {reference}")
                link = f"https://t.me/{args.bot}?start={token}"
                if scratch is not None:
                    segno.make(link, error="m", micro=False).save(
                        str(scratch), kind="png", scale=10, border=4)
            if scratch is not None and target is not None:
                os.replace(scratch, target)
                scratch = None
    except OSError as error:
        raise _NotDone(FAILED, f"cannot write {target}: {error.strerror or error}; "
                               "nothing changed, the earlier link still works") from error
    finally:
        if scratch is not None:
            scratch.unlink(missing_ok=True)
    print(link)
    print(f"Opening this link in Telegram links the chat to {reference} without the access "
          "code: give it only to the crew. Earlier links to it no longer work.")
    if target is not None:
        print(f"QR code of the link: {target}")


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, object]


def _read_rows(path: Path) -> tuple[list[_Row], list[tuple[int, str]]]:
    """Every row checked before anything is written: the rows, or each problem with the
    line where its row starts in the file (a quoted field may span lines)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise _NotDone(FAILED, f"{path} is not UTF-8 text (byte {error.start}); save it "
                               "as CSV UTF-8") from error
    except OSError as error:
        raise _NotDone(FAILED, f"cannot read {path}: {error.strerror or error}") from error
    reader = csv.reader(text.splitlines(keepends=True))
    header: list[str] | None = None
    rows: list[_Row] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    end = 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if header is None:
                header = [field.strip() for field in fields]
                missing = [column for column in COLUMNS if column not in header]
                if missing:
                    raise _NotDone(FAILED, f"{path}:{start}: the header lacks "
                                           f"{', '.join(missing)}; expected the columns "
                                           f"{','.join(COLUMNS)}")
                continue
            row_problems, values = _check_row(header, fields)
            case = values["case_number"]
            if isinstance(case, str) and case:
                if case in seen:
                    row_problems.append(f"case_number {case} is also on line {seen[case]}")
                else:
                    seen[case] = start
            problems += [(start, problem) for problem in row_problems]
            rows.append(_Row(start, values))
    except csv.Error as error:
        problems.append((reader.line_num, f"not CSV ({error})"))
    if header is None:
        raise _NotDone(FAILED, f"{path} is empty; expected a header with the columns "
                               f"{','.join(COLUMNS)}")
    return rows, problems


def _check_row(header: list[str], fields: list[str]) -> tuple[list[str], dict[str, object]]:
    """All of a row's problems, not only the first: whoever fixes the export sees
    everything at once instead of one fault per run."""
    problems: list[str] = []
    if len(fields) > len(header):
        problems.append(f"{len(fields)} fields, the header has {len(header)}")
    raw = dict(zip(header, fields, strict=False))
    absent = [column for column in COLUMNS if column not in raw]
    if absent:
        problems.append(f"missing {', '.join(absent)} (the row has {len(fields)} fields, "
                        f"the header {len(header)})")
    values: dict[str, object] = {key: raw.get(key, "").strip() for key in COLUMNS}
    reported = list(absent)
    for key in ("shoot_start", "shoot_end"):
        value = raw.get(key, "").strip()
        if value:
            try:
                values[key] = _iso_date(value)
            except argparse.ArgumentTypeError:
                problems.append(f"{key} {value!r} is not a date (YYYY-MM-DD)")
                reported.append(key)
    values["locations"] = [place.strip() for place in raw.get("locations", "").split(";")
                           if place.strip()]
    problems += _problems(values, {key: key for key in COLUMNS}, reported=reported)
    return problems, values


async def _import(args: argparse.Namespace, config: Config) -> None:
    from sqlalchemy.exc import IntegrityError

    path = Path(args.file)
    rows, problems = _read_rows(path)
    if problems:
        for line, problem in problems:
            print(f"{path}:{line}: {problem}", file=sys.stderr)
        bad = len({line for line, _problem in problems})
        raise _NotDone(FAILED, f"{bad} bad row(s) in {path}: nothing imported; correct "
                               "them and run again")
    if not rows:
        print(f"{path} has no rows: nothing to import")
        return
    outcome: list[str] = []  # in the file's order, printed once all is committed
    created = skipped = 0
    async with _applications(config) as service:
        try:
            async with service.db.session() as session:
                cases = [str(row.values["case_number"]) for row in rows]
                existing = await _existing(session, cases)
                actor = f"import:{path.name}"[:128]
                for row in rows:
                    case = str(row.values["case_number"])
                    if case in existing:
                        outcome.append(f"line {row.line}: case {case} is already "
                                       f"{existing[case]}: skipped")
                        skipped += 1
                        continue
                    application, code = await service.create(session, _new(row.values),
                                                             actor)
                    outcome.append(f"line {row.line}: {application.reference}  access code "
                                   f"{code}  case {case}  {application.production_title}")
                    created += 1
        except IntegrityError as error:
            raise _NotDone(FAILED, f"some of {path}'s cases were recorded by someone else "
                                   "at the same moment; nothing imported; run again") from error
    for entry in outcome:
        print(entry)
    print(f"{created} imported, {skipped} skipped (already imported).")
    if created:
        print("The access codes above are shown only now (only hashes are stored): give "
              "each crew its reference and code; they send /track REFERENCE CODE to the bot.")
