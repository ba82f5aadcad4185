"""`crewbot app` as staff use it at a desk: the real command, a real database.

Each command runs through `bot.cli.main` in this process (stdout and stderr captured)
against the configured database; what the command says is then checked against the
database through the applications service, and one test runs `crewbot` as a
subprocess for the start-up errors every command shares.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import segno
from sqlalchemy import func, select

from bot import cli
from bot.config import Config
from bot.i18n import Catalogs
from bot.messages import Reply
from bot.services import chats
from bot.services.applications import Applications
from bot.services.outbox import Outbox
from bot.storage import Database
from bot.storage.models import Application, ApplicationEvent, Chat, Message, utcnow

T = TypeVar("T")
CREATE = ["app", "create", "--title", "Rice and Rain", "--company", "Lumière Films SAS",
          "--country", "FR", "--service-company", "Hanoi Fixers Co.", "--start",
          "2027-03-01", "--end", "2027-03-20", "--location", "Ha Long Bay", "--location",
          "Hoi An", "--email", "prod@example.com"]
REFERENCE = re.compile(r"VN-FP-\d{4}-\d{4}")
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")
HEADER = ("case_number,production_title,company,country,service_company,shoot_start,"
          "shoot_end,locations,contact_email\n")


@dataclass
class Result:
    code: int
    out: str
    err: str


Crewbot = Callable[..., Result]


@pytest.fixture
def crewbot(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Crewbot:
    """`crewbot ARGS...` in this process, configured only by the environment."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CREWBOT_")
                 and not n.startswith("CREWBOT_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CREWBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("CREWBOT_LOG_LEVEL", "WARNING")

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = cli.main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def with_service(config: Config, work: Callable[[Applications], Awaitable[T]]) -> T:
    """Look at (or prepare) the database as the bot would, between commands."""
    async def go() -> T:
        db = Database(config.database.url)
        try:
            return await work(Applications(db, Outbox(db, config.outbox),
                                           Catalogs(config.bot.languages), config))
        finally:
            await db.close()

    return asyncio.run(go())


def created(result: Result) -> tuple[str, str]:
    assert result.code == 0, result.err
    reference = REFERENCE.search(result.out)
    code = CODE.search(result.out)
    assert reference and code, result.out
    return reference.group(), code.group()


def one_line(result: Result, code: int) -> str:
    assert "Traceback" not in result.err
    assert result.code == code, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


async def follow(service: Applications, channel: str, external: str, reference: str,
                 code: str) -> Chat:
    async with service.db.session() as session:
        chat = await chats.get_or_create_chat(session, channel, external, "Crew")
        chat.language = "en"
        assert await service.track(session, chat, reference, code) is not None
        return chat


# -- create, list, show -----------------------------------------------------------------

def test_create_shows_the_code_once_and_how_crews_use_it(crewbot: Crewbot,
                                                         config: Config) -> None:
    result = crewbot(*CREATE, "--case", "DC-2027-001")
    reference, code = created(result)
    assert f"/track {reference}" in result.out and "shown only now" in result.out
    listed = crewbot("app", "list")
    assert listed.code == 0
    assert re.fullmatch(rf"{reference}\s+submitted\s+\d{{4}}-\d\d-\d\d \d\d:\d\d\s+"
                        r"Rice and Rain", listed.out.strip())
    shown = crewbot("app", "show", reference.lower())
    assert shown.code == 0, shown.err
    for detail in ("Rice and Rain", "Lumière Films SAS (FR)", "Hanoi Fixers Co.",
                   "2027-03-01 to 2027-03-20", "Ha Long Bay; Hoi An", "prod@example.com",
                   "DC-2027-001", "history:"):
        assert detail in shown.out
    assert code not in shown.out and "$argon2" not in shown.out

    async def check(service: Applications) -> None:  # the printed code is the one stored
        await follow(service, "telegram", "1001", reference, code)

    with_service(config, check)
    again = crewbot(*CREATE, "--case", "DC-2027-001")
    assert one_line(again, 1) == (f"crewbot app create: case DC-2027-001 is already "
                                  f"{reference}; nothing created")


@pytest.mark.parametrize(("option", "value", "problem"), [
    ("--country", "fr", "--country 'fr' is not a country code"),
    ("--country", "XY", "--country 'XY' is not a country code"),
    ("--country", "ZZ", "--country 'ZZ' is not a country code"),
    ("--email", "prod.example.com", "--email 'prod.example.com' is not an e-mail address"),
    ("--end", "2027-02-28", "--end 2027-02-28 is before --start 2027-03-01"),
    ("--end", "2027-02-30", "expected a date YYYY-MM-DD, got '2027-02-30'"),
    ("--title", " ", "--title is empty"),
])
def test_create_with_bad_arguments_is_a_usage_error(crewbot: Crewbot, option: str, value: str,
                                                    problem: str) -> None:
    args = list(CREATE)
    args[args.index(option) + 1] = value
    result = crewbot(*args)
    assert result.code == 2 and problem in result.err and not result.out
    assert "no applications" in crewbot("app", "list").out


def test_list_filters_by_status_newest_change_first(crewbot: Crewbot) -> None:
    first, _ = created(crewbot(*CREATE))
    second, _ = created(crewbot(*CREATE))
    assert crewbot("app", "set-status", first, "under_review").code == 0
    lines = crewbot("app", "list").out.splitlines()
    assert [line.split()[:2] for line in lines] == [[first, "under_review"],
                                                    [second, "submitted"]]
    assert [line.split()[0] for line in
            crewbot("app", "list", "--status", "submitted").out.splitlines()] == [second]
    limited = crewbot("app", "list", "--limit", "1")
    assert len(limited.out.splitlines()) == 1 and "1 of 2 shown" in limited.err
    assert crewbot("app", "list", "--status", "won").code == 2
    assert crewbot("app", "list", "--limit", "0").code == 2
    assert crewbot("app", "list", "--status", "approved").out == "no applications in status " \
                                                                 "approved\n"


def test_show_unknown_reference_is_one_line(crewbot: Crewbot) -> None:
    assert one_line(crewbot("app", "show", "VN-FP-2026-0042"), 1) == (
        "crewbot app show: no application VN-FP-2026-0042")
    assert crewbot("app").code == 2


# -- set-status ---------------------------------------------------------------------------

class Platform:
    """Telegram or Zalo as the running bot's outbox meets it: records what is sent."""

    text_limit = 4096
    edits = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        self.sent.append((chat_id, reply.text))
        return str(len(self.sent))


def test_set_status_queues_one_notice_per_following_chat_for_the_running_bot(
        crewbot: Crewbot, config: Config) -> None:
    reference, code = created(crewbot(*CREATE))

    async def prepare(service: Applications) -> None:
        await follow(service, "telegram", "1001", reference, code)
        await follow(service, "zalo", "z-7", reference, code)
        gone = await follow(service, "telegram", "1002", reference, code)
        await follow(service, "console", "desk", reference, code)
        async with service.db.session() as session:
            row = await session.get(Chat, gone.id)
            assert row is not None
            row.unreachable_since = utcnow()

    with_service(config, prepare)
    result = crewbot("app", "set-status", reference, "under_review", "--note",
                     "Dossier complete", "--actor", "officer.lan")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"{reference}: submitted -> under_review (by officer.lan)",
        "2 chat(s) will be told: the notices are queued in the outbox, and the running bot "
        "(crewbot run) sends them within seconds.",
        "1 chat(s) will not be told: the platform refused them before (the bot blocked, or "
        "the chat gone).",
        "1 chat(s) on console will not be told: no bot sends there."]

    async def deliver(service: Applications) -> tuple[list[tuple[str, str]], list[str]]:
        telegram, zalo = Platform("telegram"), Platform("zalo")
        bot = Outbox(service.db, config.outbox)  # the running bot's, which has the senders
        bot.register(telegram)
        bot.register(zalo)
        assert await bot.sweep() == 2
        async with service.db.session() as session:
            application = await service.get(session, reference)
            assert application is not None
            events = await service.history(session, application)
        return telegram.sent + zalo.sent, [f"{e.to_status}/{e.actor}/{e.note}" for e in events]

    sent, history = with_service(config, deliver)
    assert [chat for chat, _text in sent] == ["1001", "z-7"]
    assert all("Dossier complete" in text for _chat, text in sent)
    assert history[-1] == "under_review/officer.lan/Dossier complete"


def test_refused_move_names_the_allowed_ones_and_changes_nothing(crewbot: Crewbot,
                                                                 config: Config) -> None:
    reference, code = created(crewbot(*CREATE))
    with_service(config, lambda service: follow(service, "telegram", "1001", reference, code))
    refused = crewbot("app", "set-status", reference, "approved", "--permit-number", "GP-1",
                      "--valid-until", "2027-03-31")
    assert one_line(refused, 1) == (
        f"crewbot app set-status: {reference}: cannot go from submitted to approved; "
        "allowed from submitted: under_review, withdrawn")
    assert not refused.out

    async def unchanged(service: Applications) -> None:
        async with service.db.session() as session:
            row = await service.get(session, reference)
            assert row is not None and row.status == "submitted" and row.version == 1
            assert await session.scalar(select(func.count()).select_from(Message)) == 0
            assert await session.scalar(
                select(func.count()).select_from(ApplicationEvent)) == 1

    with_service(config, unchanged)
    assert one_line(crewbot("app", "set-status", "VN-FP-2026-0999", "withdrawn"), 1) == (
        "crewbot app set-status: no application VN-FP-2026-0999")


def test_set_status_details_and_bad_arguments(crewbot: Crewbot, config: Config) -> None:
    reference, _ = created(crewbot(*CREATE))
    assert crewbot("app", "set-status", reference, "under_review").code == 0
    missing = crewbot("app", "set-status", reference, "approved", "--permit-number", "GP-1")
    assert one_line(missing, 2) == ("crewbot app set-status: approved needs --permit-number "
                                    "and --valid-until")
    stray = crewbot("app", "set-status", reference, "rejected", "--due", "2027-01-05")
    assert stray.code == 2 and "--due goes only with info_requested, not with rejected" \
        in stray.err
    assert crewbot("app", "set-status", reference, "granted").code == 2
    assert crewbot("app", "set-status", reference, "approved", "--valid-until",
                   "31/03/2027").code == 2
    asked = crewbot("app", "set-status", reference, "info_requested", "--requested",
                    "Script in Vietnamese", "Crew list", "--due", "2027-01-05")
    assert asked.code == 0, asked.err
    assert "No chat follows it yet" in asked.out
    assert crewbot("app", "set-status", reference, "under_review").code == 0
    approved = crewbot("app", "set-status", reference, "approved", "--permit-number",
                       "GP-123/CĐA", "--valid-until", "2027-03-31")
    assert approved.code == 0, approved.err
    shown = crewbot("app", "show", reference).out
    assert "GP-123/CĐA, valid 2027-03-01 to 2027-03-31" in shown
    assert "under_review -> info_requested" in shown and "under_review -> approved" in shown


# -- link -----------------------------------------------------------------------------------

def png_modules(path: Path) -> list[list[bool]]:
    """The dark and light squares of a QR code PNG, read back from its pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, idat = 8, {}, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(
            ">I", data[position + 8 + length:position + 12 + length])[0]
        chunks[kind] = body
        idat += body if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB",
                                                                      chunks[b"IHDR"])
    assert (depth, colour, interlace) == (1, 0, 0), "segno writes 1-bit greyscale"
    raw, stride = zlib.decompress(idat), (width + 7) // 8
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) *
                                                          (stride + 1)])
        for x in range(stride):
            left = line[x - 1] if x else 0
            up, corner = previous[x], previous[x - 1] if x else 0
            guess = {0: 0, 1: left, 2: up, 3: (left + up) // 2}.get(kind)
            if guess is None:  # Paeth
                p = left + up - corner
                guess = min((abs(p - left), 0, left), (abs(p - up), 1, up),
                            (abs(p - corner), 2, corner))[2]
            line[x] = (line[x] + guess) & 0xFF
        rows.append(bytes(line))
        previous = bytes(line)
    dark = [[not (rows[y][x // 8] >> (7 - x % 8)) & 1 for x in range(width)]
            for y in range(height)]
    xs = [x for row in dark for x, d in enumerate(row) if d]
    ys = [y for y, row in enumerate(dark) if any(row)]
    left, top, size = min(xs), min(ys), max(xs) - min(xs) + 1
    assert left >= 4 and top >= 4, "a quiet zone around the symbol"
    # The top-left finder pattern is 7 modules wide: that gives the module's size.
    module = next(x for x in range(left, width) if not dark[top][x]) - left
    assert module % 7 == 0
    module //= 7
    count = size // module
    return [[dark[top + r * module + module // 2][left + c * module + module // 2]
             for c in range(count)] for r in range(count)]


def test_link_makes_a_new_deep_link_and_its_qr_code(crewbot: Crewbot, config: Config,
                                                    tmp_path: Path) -> None:
    reference, _ = created(crewbot(*CREATE))
    first = crewbot("app", "link", reference, "--bot", "@CrewHelpBot")
    assert first.code == 0, first.err
    link = first.out.splitlines()[0]
    assert re.fullmatch(r"https://t\.me/CrewHelpBot\?start=t-[A-Za-z0-9_-]{22}", link)
    assert "Earlier links to it no longer work" in first.out
    qr = tmp_path / "links" / "rice.png"
    qr.parent.mkdir()
    second = crewbot("app", "link", reference.lower(), "--bot", "CrewHelpBot", "--qr", str(qr))
    assert second.code == 0, second.err
    new_link = second.out.splitlines()[0]
    assert new_link != link and f"QR code of the link: {qr}" in second.out
    assert [p.name for p in qr.parent.iterdir()] == ["rice.png"]  # no scratch file left
    expected = segno.make(new_link, error="m", micro=False)
    assert png_modules(qr) == [[bool(m) for m in row] for row in expected.matrix]
    if shutil.which("zbarimg"):
        decoded = subprocess.run(["zbarimg", "--raw", "-q", str(qr)], capture_output=True,
                                 text=True, check=True)
        assert decoded.stdout.strip() == new_link

    async def tokens(service: Applications) -> tuple[bool, bool]:
        async with service.db.session() as session:
            chat = await chats.get_or_create_chat(session, "telegram", "2001")
            old = await service.track_token(session, chat, link.split("start=")[1])
            new = await service.track_token(session, chat, new_link.split("start=")[1])
            return old is None, new is not None and new.reference == reference

    assert with_service(config, tokens) == (True, True)


def test_link_refusals(crewbot: Crewbot, tmp_path: Path) -> None:
    reference, _ = created(crewbot(*CREATE))
    assert crewbot("app", "link", reference).code == 2  # --bot is required (no getMe offline)
    assert crewbot("app", "link", reference, "--bot", "crew help").code == 2
    assert crewbot("app", "link", reference, "--bot", "CrewHelp").code == 2  # not a bot's
    assert crewbot("app", "link", reference, "--bot", "CrewHelpBot", "--qr", "x.svg").code == 2
    unknown = crewbot("app", "link", "VN-FP-2026-0999", "--bot", "CrewHelpBot", "--qr",
                      str(tmp_path / "x.png"))
    assert one_line(unknown, 1) == "crewbot app link: no application VN-FP-2026-0999"
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".x.png*"))
    nowhere = crewbot("app", "link", reference, "--bot", "CrewHelpBot", "--qr",
                      str(tmp_path / "no" / "x.png"))
    assert one_line(nowhere, 1).startswith(f"crewbot app link: cannot write {tmp_path}")
    assert "nothing changed" in nowhere.err
    assert "deep link:       none" in crewbot("app", "show", reference).out


# -- import ---------------------------------------------------------------------------------

GOOD = [
    "DC-1,Rice and Rain,Lumière Films SAS,FR,Hanoi Fixers Co.,2027-03-01,2027-03-20,"
    "Ha Long Bay; Hoi An,prod@example.com",
    'DC-2,"Seoul, then Hue",K-Pictures,KR,Saigon Line,2027-04-01,2027-04-02,Huế,'
    "pd@kpictures.kr",
]


def write(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def imported(result: Result) -> dict[str, tuple[str, str]]:
    """Case number to (reference, code), from the lines of a successful import."""
    assert result.code == 0, result.err
    found = re.findall(r"^line \d+: (VN-FP-\d{4}-\d{4})  access code (\S+)  case (\S+)  ",
                       result.out, re.MULTILINE)
    return {case: (reference, code) for reference, code, case in found}


def test_import_creates_all_and_a_second_run_skips_them(crewbot: Crewbot, config: Config,
                                                        tmp_path: Path) -> None:
    csv_file = write(tmp_path / "cases.csv", *GOOD)
    first = crewbot("app", "import", str(csv_file))
    new = imported(first)
    assert sorted(new) == ["DC-1", "DC-2"]
    assert first.out.splitlines()[0].startswith("line 2: ")
    assert "2 imported, 0 skipped" in first.out and "shown only now" in first.out

    async def stored(service: Applications) -> list[tuple[str | None, str, str]]:
        await follow(service, "zalo", "z-1", *new["DC-2"])  # the printed code works
        async with service.db.session() as session:
            rows = (await session.scalars(select(Application).order_by(Application.id))).all()
            return [(row.external_case, row.locations, row.production_title) for row in rows]

    assert with_service(config, stored) == [
        ("DC-1", '["Ha Long Bay", "Hoi An"]', "Rice and Rain"),
        ("DC-2", '["Huế"]', "Seoul, then Hue")]
    again = crewbot("app", "import", str(csv_file))
    assert again.code == 0 and not imported(again)
    assert again.out.splitlines() == [
        f"line 2: case DC-1 is already {new['DC-1'][0]}: skipped",
        f"line 3: case DC-2 is already {new['DC-2'][0]}: skipped",
        "0 imported, 2 skipped (already imported)."]
    more = write(tmp_path / "more.csv", *GOOD, GOOD[0].replace("DC-1", "DC-3"))
    third = crewbot("app", "import", str(more))
    assert sorted(imported(third)) == ["DC-3"] and "1 imported, 2 skipped" in third.out
    assert len(crewbot("app", "list").out.splitlines()) == 3


def test_import_reports_every_bad_row_by_line_and_imports_nothing(
        crewbot: Crewbot, tmp_path: Path) -> None:
    good = GOOD[0]
    csv_file = write(
        tmp_path / "bad.csv",
        GOOD[1],                                                       # line 2: fine
        good.replace("2027-03-20", "2027-02-30").replace("DC-1", "DC-5"),  # 3: no such day
        good.replace("2027-03-20", "2027-02-20").replace("DC-1", "DC-6"),  # 4: end < start
        "",                                                            # 5: blank, ignored
        good.replace(",FR,", ",France,").replace("DC-1", "DC-7"),      # 6: country
        good.replace("prod@example.com", "prod at example").replace("DC-1", "DC-8"),  # 7
        "DC-9,Short row,Co",                                           # 8: missing columns
        good.replace("DC-1", "DC-2"),                                  # 9: repeated case
        good.replace(",FR,", ",ZZ,").replace("DC-1", "DC-10").replace("prod@", "@"),  # 10
    )
    result = crewbot("app", "import", str(csv_file))
    assert result.code == 1 and not result.out
    assert result.err.splitlines() == [
        f"{csv_file}:3: shoot_end '2027-02-30' is not a date (YYYY-MM-DD)",
        f"{csv_file}:4: shoot_end 2027-02-20 is before shoot_start 2027-03-01",
        f"{csv_file}:6: country 'France' is not a country code: two capital letters "
        "(ISO 3166), e.g. FR",
        f"{csv_file}:7: contact_email 'prod at example' is not an e-mail address",
        f"{csv_file}:8: missing country, service_company, shoot_start, shoot_end, locations, "
        "contact_email (the row has 3 fields, the header 9)",
        f"{csv_file}:9: case_number DC-2 is also on line 2",
        f"{csv_file}:10: country 'ZZ' is not a country code: two capital letters (ISO 3166), "
        "e.g. FR",
        f"{csv_file}:10: contact_email '@example.com' is not an e-mail address",
        f"crewbot app import: 7 bad row(s) in {csv_file}: nothing imported; correct them "
        "and run again"]
    assert crewbot("app", "list").out == "no applications\n"


def test_import_header_missing_a_column_is_one_error(crewbot: Crewbot, tmp_path: Path
                                                    ) -> None:
    csv_file = tmp_path / "old.csv"
    csv_file.write_text(HEADER.replace(",contact_email", ",email") + GOOD[0] + "\n",
                        encoding="utf-8")
    assert one_line(crewbot("app", "import", str(csv_file)), 1) == (
        f"crewbot app import: {csv_file}:1: the header lacks contact_email; expected the "
        f"columns {HEADER.strip()}")
    assert one_line(crewbot("app", "import", str(tmp_path / "none.csv")), 1) == (
        f"crewbot app import: cannot read {tmp_path / 'none.csv'}: No such file or directory")


def test_import_takes_excel_csv_with_a_byte_order_mark_and_quoted_newlines(
        crewbot: Crewbot, tmp_path: Path) -> None:
    csv_file = tmp_path / "excel.csv"
    csv_file.write_bytes(("\ufeff" + HEADER + 'DC-1,"Rice\nand Rain",Co,FR,SC,2027-03-01,'
                          "2027-03-20,Hoi An,a@b.fr\r\nDC-2,X,Co,FR,SC,2027-03-01,"
                          "2027-03-01,Hue,bad\r\n").encode())
    result = crewbot("app", "import", str(csv_file))
    assert result.err.splitlines()[0] == (
        f"{csv_file}:4: contact_email 'bad' is not an e-mail address")  # the row's line


# -- start-up, as every command ---------------------------------------------------------------

def test_app_commands_share_the_start_up_errors(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}

    def crewbot_process(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path,
                              env={**env, **extra}, capture_output=True, text=True,
                              timeout=120)

    down = crewbot_process("app", "list",
                           CREWBOT_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/x")
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert down.stderr.strip() == (
        "crewbot: cannot connect to the database server at 127.0.0.1:1 (postgresql+asyncpg:"
        "//postgres@127.0.0.1:1/x): connection refused; is PostgreSQL running there?")
    typo = crewbot_process("app", "show", "VN-FP-2026-0001", CREWBOT_DATABASE_URL="mysql://x")
    assert typo.returncode == 2 and typo.stderr.startswith("crewbot: configuration error: ")
    fresh = crewbot_process("app", "list")
    assert fresh.returncode == 0 and fresh.stdout == "no applications\n"
    assert (tmp_path / "crewbot.db").exists()

