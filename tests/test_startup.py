"""What an operator sees when a command cannot start: one line, the right exit code.

Exit codes: 1 for a problem outside the configuration (a database server down, a port
taken, a driver missing), 2 for the configuration or the command line. Never a
traceback. Most tests run `crewbot` as a subprocess, as an operator would.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot import cli
from tests.conftest import PG_URL
from tests.fakes.zalo_api import FakeZaloOA

UNREACHABLE_PG = "postgresql+asyncpg://postgres@127.0.0.1:1/x"


def environment(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    env.update(extra)
    return env


def crewbot(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd,
                          env=environment(env or {}), input=stdin, capture_output=True,
                          text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    return lines[0]


# -- the database ---------------------------------------------------------------------

@pytest.mark.parametrize("command", [["db", "upgrade"], ["chat"], ["kb", "gaps"], ["run"],
                                     ["zalo", "authorize", "CODE"]])
def test_unreachable_postgresql_server(tmp_path: Path, command: list[str]) -> None:
    result = crewbot(*command, cwd=tmp_path, env={
        "CREWBOT_DATABASE_URL": UNREACHABLE_PG, "CREWBOT_TELEGRAM_TOKEN": "1:abc",
        "CREWBOT_ZALO_APP_ID": "1", "CREWBOT_ZALO_APP_SECRET": "s",
        "CREWBOT_ZALO_OA_SECRET_KEY": "k"})
    assert one_line(result, 1) == (
        "crewbot: cannot connect to the database server at 127.0.0.1:1 "
        f"({UNREACHABLE_PG}): connection refused; is PostgreSQL running there?")


@pytest.mark.skipif(not PG_URL, reason="needs CREWBOT_TEST_DATABASE_URL (a PostgreSQL server)")
@pytest.mark.parametrize("command", [["db", "upgrade"], ["chat"]])
def test_postgresql_database_that_does_not_exist(tmp_path: Path, command: list[str]) -> None:
    url = make_url(PG_URL).set(database="crewbot_no_such_db")
    safe = url.render_as_string(hide_password=True)
    result = crewbot(*command, cwd=tmp_path, env={
        "CREWBOT_DATABASE_URL": url.render_as_string(hide_password=False)})
    server = f"{url.host}:{url.port or 5432}"
    assert one_line(result, 1) == (
        f"crewbot: the database 'crewbot_no_such_db' does not exist on {server} ({safe}); "
        "create it first (createdb crewbot_no_such_db) or correct the URL")


def test_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    result = crewbot("db", "upgrade", cwd=tmp_path, env={"CREWBOT_DATABASE_URL": url})
    assert one_line(result, 1) == (
        f"crewbot: cannot open the database {url}: unable to open database file")


@pytest.mark.parametrize("command", [["db", "upgrade"], ["run"], ["chat"]])
def test_unsupported_database_scheme_is_a_configuration_error(tmp_path: Path,
                                                              command: list[str]) -> None:
    result = crewbot(*command, cwd=tmp_path,
                     env={"CREWBOT_DATABASE_URL": "mysql://crewbot:hunter2@db/crewbot"})
    assert one_line(result, 2) == (
        "crewbot: configuration error: $CREWBOT_DATABASE_URL: expected "
        "'sqlite+aiosqlite:///FILE' or 'postgresql+asyncpg://USER:PASSWORD@HOST:PORT/NAME', "
        "got 'mysql://crewbot:***@db/crewbot'")


def test_asyncpg_not_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("CREWBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CREWBOT_DATABASE_URL", "postgresql+asyncpg://crewbot@db/crewbot")
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # `import asyncpg` now fails
    for command in (["db", "upgrade"], ["kb", "gaps"]):
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            code = cli.main(command)
        assert code == 1
        assert stderr.getvalue().splitlines() == [
            "crewbot: PostgreSQL needs the asyncpg driver, which is not installed: "
            "pip install -e '.[postgres]'"]


# -- the web server and the knowledge base ------------------------------------------------

def test_web_port_already_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The port is bound before any channel talks to its platform, so the Telegram
        # server at 127.0.0.1:1 is never reached.
        result = crewbot("run", cwd=tmp_path, env={
            "CREWBOT_TELEGRAM_TOKEN": "1:abc",
            "CREWBOT_TELEGRAM_API_BASE_URL": "http://127.0.0.1:1/bot",
            "CREWBOT_WEB_PORT": str(port), "CREWBOT_LOG_LEVEL": "WARNING"})
    assert one_line(result, 1) == (
        f"crewbot: cannot listen on 127.0.0.1:{port}: the port is already in use (another "
        "crewbot running?); stop it or choose another [web] port")


@pytest.mark.parametrize("command", [["run"], ["chat"], ["ask", "drone"], ["kb", "check"],
                                     ["kb", "stats"]])
def test_knowledge_dir_that_does_not_exist(tmp_path: Path, command: list[str]) -> None:
    result = crewbot(*command, cwd=tmp_path, env={"CREWBOT_KNOWLEDGE_DIR": "kb",
                                                  "CREWBOT_TELEGRAM_TOKEN": "1:abc"})
    assert one_line(result, 2) == (
        "crewbot: configuration error: $CREWBOT_KNOWLEDGE_DIR: expected the folder holding "
        "articles/ and vendors/ (empty = the bundled knowledge base), got 'kb' "
        f"(no folder {str(tmp_path.resolve() / 'kb')!r})")


# -- crewbot zalo authorize: Zalo unreachable or refusing ---------------------------------

@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake


async def authorize(tmp_path: Path, oa: FakeZaloOA, code: str, oauth_base_url: str = ""
                    ) -> tuple[int, list[str]]:
    """`crewbot zalo authorize CODE` in its own thread and loop; its code and stderr lines."""
    config_file = tmp_path / "authorize.toml"
    config_file.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "crewbot.db"}"\n'
        f'[zalo]\napp_id = "{oa.app_id}"\napp_secret = "{oa.app_secret}"\n'
        f'oa_secret_key = "{oa.oa_secret_key}"\napi_base_url = "{oa.base_url}"\n'
        f'oauth_base_url = "{oauth_base_url or oa.base_url}"\n[log]\nlevel = "WARNING"\n',
        encoding="utf-8")
    stderr = io.StringIO()

    def run() -> int:
        with contextlib.redirect_stderr(stderr):
            return cli.main(["zalo", "authorize", code, "--config", str(config_file)])

    code_ = await asyncio.to_thread(run)
    assert "Traceback" not in stderr.getvalue()
    return code_, stderr.getvalue().splitlines()


async def test_authorize_zalo_unreachable_keeps_the_code(
        tmp_path: Path, oa: FakeZaloOA, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CREWBOT_") and n != "CREWBOT_CONFIG"]:
        monkeypatch.delenv(name)
    oa.add_authorization_code("code-1")
    code, lines = await authorize(tmp_path, oa, "code-1", oauth_base_url="http://127.0.0.1:1")
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("crewbot zalo authorize: cannot reach Zalo at http://127.0.0.1:1 ")
    assert lines[0].endswith("the code was not used; try again with the same code")
    oa.fail("authorize", 503)  # a gateway's 5xx page: Zalo did not take the code either
    code, lines = await authorize(tmp_path, oa, "code-1")
    assert code == 1 and len(lines) == 1
    assert "(HTTP 503)" in lines[0]
    assert lines[0].endswith("the code was not used; try again with the same code")
    code, lines = await authorize(tmp_path, oa, "code-1")  # the same code, now it works
    assert (code, lines) == (0, [])


async def test_authorize_code_refused_by_zalo_says_get_a_new_one(
        tmp_path: Path, oa: FakeZaloOA, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CREWBOT_")]:
        monkeypatch.delenv(name)
    code, lines = await authorize(tmp_path, oa, "never-issued")
    assert code == 1
    assert lines == ["crewbot zalo authorize: Zalo refused the code (Zalo error -14005 (HTTP 200): "
                     "Invalid authorization code); a code works once and for 10 minutes: "
                     "get a new one and try again"]


# -- the command line ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "crewbot ask: error: give a QUESTION (not empty) or --batch FILE"),
        (["ask", "  ", " "], "crewbot ask: error: give a QUESTION (not empty) or --batch FILE"),
        (["ask"], "crewbot ask: error: give a QUESTION (not empty) or --batch FILE"),
        (["db"], "crewbot db: error: choose an ACTION: upgrade"),
        (["kb"], "crewbot kb: error: choose an ACTION: check, stats, gaps"),
        (["zalo"], "crewbot zalo: error: choose an ACTION: authorize"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = crewbot(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"usage: crewbot {args[0]} ")
    assert result.stderr.strip().splitlines()[-1] == message
    assert result.stdout == "" and "Traceback" not in result.stderr


@pytest.mark.parametrize("batch", [False, True])
def test_reader_that_stops_reading_ends_quietly(tmp_path: Path, batch: bool) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps({"q": f"Can I fly a drone? {n}"}) + "\n"
                                 for n in range(60)), encoding="utf-8")
    args = ["ask", "--json", "--batch", str(questions)] if batch else ["kb", "stats"]
    process = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=tmp_path,
                               env=environment({}), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `| head -1` does once it has its line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert stderr == ""


def test_ctrl_c_in_chat_ends_quietly(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "bot", "chat"], cwd=tmp_path,
                               env=environment({}), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(b"/start\n")
        process.stdin.flush()
        assert process.stdout.readline()  # the welcome: it is now waiting for a line
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)  # stdin stays open: the reader is blocked
        started = time.monotonic()
        code = process.wait(timeout=20)
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
        process.stdin.close()
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    assert code == 130
    assert "Traceback" not in stderr and stderr == ""
