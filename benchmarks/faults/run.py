"""Fault harness: `crewbot run` against a fake Telegram in its own process, under faults.

    python benchmarks/faults/run.py [--short] [--only SCENARIO[,SCENARIO]]
                                    [--database sqlite|postgresql|both] [--list]

The fake (`fake_telegram.py`) outlives the bot: it keeps the updates the bot has not
confirmed and serves them again, as Telegram does, so the bot can be killed, stopped and
restarted against it. Each scenario gets a fresh fake and a fresh database, sends a burst
of text messages from many private chats (commands and knowledge questions whose
answers are deterministic), injects its fault, restarts what the fault stopped, waits
until every update is confirmed and the outbox is empty (bounded), and compares every
chat's replies with the clean run's replies for the same messages:

- lost: expected replies that never arrived; duplicated: extra copies of expected ones;
  out of order: replies that arrived in a different order than in the clean run (the
  count of replies outside the longest common subsequence); unexpected replies (an
  apology, say) are counted in the notes.
- longest wait: for each chat still waiting for replies at a recovery point (the
  restarted bot logged "crewbot running", the database is back, the lock released, the
  storm over), the time from that point until its last expected reply; the longest.
- exit after SIGTERM: from the signal to the process's exit.

The clean run sends the burst one round at a time and learns each message's replies;
the same chats then get the whole burst at once and must get the same replies.

PostgreSQL scenarios use a private throwaway cluster (initdb in a temporary directory,
on a free port of 127.0.0.1; as root it runs as the `postgres` user), never the
machine's own server. Logs of every bot process, the fake and the cluster are kept in a
temporary directory whose path is printed, with `summary.md` and `results.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import pwd
import random
import selectors
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FAKE = Path(__file__).resolve().parent / "fake_telegram.py"
PG_BIN = Path("/usr/lib/postgresql/15/bin")

# Each message gets a deterministic set of replies. `/language vi` changes the chat's
# language, so the replies to what follows it in the same chat depend on the order.
QUESTIONS = [
    "/help",
    "Can our drone operator fly over Ha Long Bay?",
    "/menu",
    "We need a fixer in Saigon",
    "What documents go in the application?",
    "/language vi",
    "촬영 허가 신청은 누가 하나요?",
    "How many days does the ministry take to decide?",
    "/start",
    "ドローンの撮影許可はどこで取りますか？",
    "Quel visa pour l'équipe de tournage ?",
    "What is the weather in Paris today?",
    "外国剧组在越南拍摄需要什么许可？",
    "Có cần giấy phép để quay phim tài liệu không?",
    "/language",
    "Who do I contact at the Cinema Department?",
]
SEND_METHODS = ("sendmessage", "sendlocation", "sendvenue", "sendphoto", "senddocument")
READ_TIMEOUT = 15.0  # the bot's HTTP read timeout for Bot API calls (build_bot)

Item = tuple[str, str]  # (kind, text as the user sees it)


def question(chat_index: int, round_: int) -> str:
    return QUESTIONS[(chat_index * 3 + round_) % len(QUESTIONS)]


@dataclass(frozen=True)
class Profile:
    chats: int = 40            # chats in a burst
    rounds: int = 5            # messages per chat in a burst
    spacing: float = 0.2       # seconds between a burst's rounds
    term_cycles: int = 10      # SIGTERM during a burst, this many times
    term_chats: int = 20
    term_rounds: int = 3
    storm_times: int = 80      # failed calls in a 429 or 502 storm
    hang_seconds: float = 25.0  # how long calls hang (each longer than the read timeout)
    pg_stop_seconds: float = 150.0
    lock_seconds: float = 30.0
    done_timeout: float = 240.0  # after the last fault or restart, for everything to settle
    short: bool = False


FULL = Profile()
SHORT = Profile(chats=10, rounds=3, spacing=0.1, term_cycles=2, term_chats=10, term_rounds=3,
                storm_times=15, hang_seconds=20.0, pg_stop_seconds=15.0, lock_seconds=10.0,
                done_timeout=45.0, short=True)


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(method: str, url: str, body: Any = None, timeout: float = 10.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def poll(check: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """`check()`'s first truthy value within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class HarnessError(Exception):
    pass


# --- Processes.

class Processes:
    """Every process the harness started, so that a failure never leaves one behind."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[Any]] = []

    def add(self, process: subprocess.Popen[Any]) -> subprocess.Popen[Any]:
        self.started.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with contextlib.suppress(OSError):
                    process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=10)


PROCESSES = Processes()


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Fake:
    """fake_telegram.py in its own process, driven through its control API."""

    def __init__(self, directory: Path) -> None:
        self.log_path = directory / "fake.log"
        self._log = self.log_path.open("w")
        self.process = PROCESSES.add(subprocess.Popen(
            [sys.executable, str(FAKE)], stdout=subprocess.PIPE, stderr=self._log,
            env=child_env(), start_new_session=True))
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=30):
            raise HarnessError(f"the fake did not start; see {self.log_path}")
        line = self.process.stdout.readline()
        selector.close()
        info = json.loads(line)
        self.base_url: str = info["base_url"]
        self.token: str = info["token"]
        self.control: str = info["control_url"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return http(method, self.control + path, body)

    def messages(self, pairs: list[tuple[int, str]]) -> float:
        return float(self.call("POST", "/messages", {"messages": pairs})["at"])

    def fail(self, method: str, status: int, times: int, retry_after: int | None = None
             ) -> None:
        self.call("POST", "/fail", {"method": method, "status": status, "times": times,
                                    "retry_after": retry_after})

    def delay(self, method: str, seconds: float) -> None:
        self.call("POST", "/delay", {"method": method, "seconds": seconds})

    def hold(self, method: str, seconds: float) -> None:
        self.call("POST", "/hold", {"method": method, "seconds": seconds})

    def state(self) -> dict[str, Any]:
        return dict(self.call("GET", "/state"))

    def sent(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/sent")["messages"])

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                self.call("POST", "/shutdown")
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


class Bot:
    """One `crewbot run` process; its stdout and stderr go to its own log file."""

    def __init__(self, directory: Path, config: Path, number: int) -> None:
        self.log_path = directory / f"bot-{number}.log"
        self._log = self.log_path.open("w")
        self.process = PROCESSES.add(subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=directory,
            stdout=self._log, stderr=subprocess.STDOUT, env=child_env(),
            start_new_session=True))
        self.ready_at: float | None = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 120.0) -> float:
        def ready() -> bool | None:
            if "crewbot running" in self.log_text():
                return True
            if self.process.poll() is not None:
                raise HarnessError(f"the bot exited {self.process.returncode} before it was "
                                   f"ready; last lines:\n{self.log_text()[-1500:]}")
            return None

        if not poll(ready, timeout, 0.02):
            raise HarnessError(f"the bot was not ready within {timeout:.0f}s; "
                               f"see {self.log_path}")
        self.ready_at = time.monotonic()
        return self.ready_at

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)  # reaped: a zombie would still look alive to kill(0)
        self._log.close()

    def terminate(self, limit: float) -> tuple[float, int | None]:
        """SIGTERM; seconds until the process ended, and its exit code (None: it did not
        end within limit + 30 s and was killed)."""
        if self.process.poll() is not None:
            self._log.close()
            return 0.0, self.process.returncode
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.process.wait(timeout=limit + 30)
        except subprocess.TimeoutExpired:
            code = None
            self.process.kill()
            self.process.wait(timeout=30)
        seconds = time.monotonic() - started
        self._log.close()
        return seconds, code


# --- Databases.

class PgCluster:
    """A private PostgreSQL cluster in a temporary directory, on a free port."""

    def __init__(self, keep_logs_in: Path) -> None:
        self.keep_logs_in = keep_logs_in
        bin_dir = PG_BIN if PG_BIN.exists() else next(
            (p.parent for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None)
        if bin_dir is None:
            raise HarnessError("PostgreSQL binaries not found under /usr/lib/postgresql")
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="crewbot-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb and pg_ctl refuse to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync"], 120)
        self.start()

    def _run(self, command: list[str], timeout: float) -> None:
        result = subprocess.run([*self.as_user, *command], capture_output=True, text=True,
                                timeout=timeout, check=False)
        if result.returncode != 0:
            raise HarnessError(f"{' '.join(command[:2])} failed: "
                               f"{(result.stderr or result.stdout)[-800:]}")

    def start(self) -> float:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200")
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                   "-l", str(self.dir / "pg.log"), "-w", "-t", "60", "start"], 90)
        return time.monotonic()

    def stop(self, mode: str = "fast") -> float:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                   "-t", "60", "stop"], 90)
        return time.monotonic()

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str, timeout: float = 5.0) -> str | None:
        try:
            result = subprocess.run(
                [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                 "postgres", "-d", database, "-AtF", "|", "-c", sql],
                capture_output=True, text=True, timeout=timeout, check=False,
                env={**os.environ, "PGCONNECT_TIMEOUT": "3"})
        except subprocess.TimeoutExpired:
            return None
        return result.stdout if result.returncode == 0 else None

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                       "-w", "-t", "30", "stop"], 60)
        with contextlib.suppress(OSError):
            shutil.copy(self.dir / "pg.log", self.keep_logs_in / "postgresql.log")
        shutil.rmtree(self.dir, ignore_errors=True)


OUTBOX_SQL = "SELECT status, count(*) FROM messages WHERE direction = 'out' GROUP BY status"


class Storage:
    """The scenario's database as the bot sees it (url) and as the harness inspects it."""

    def __init__(self, kind: str, directory: Path, cluster: PgCluster | None, name: str
                 ) -> None:
        self.kind = kind
        self.cluster = cluster
        self.path = directory / "crewbot.db"
        self.name = name
        if kind == "postgresql":
            assert cluster is not None
            if cluster.psql("postgres", f'CREATE DATABASE "{name}"', timeout=30) is None:
                raise HarnessError(f"could not create database {name}")
            self.url = cluster.url(name)
        else:
            self.url = f"sqlite+aiosqlite:///{self.path}"

    def outbox(self) -> dict[str, int] | None:
        """Outgoing rows per status, or None when the database does not answer."""
        if self.kind == "postgresql":
            assert self.cluster is not None
            text = self.cluster.psql(self.name, OUTBOX_SQL)
            if text is None:
                return None
            pairs = [line.split("|") for line in text.splitlines() if "|" in line]
            return {status: int(count) for status, count in pairs}
        if not self.path.exists():
            return {}
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                                    timeout=1.0)) as db:
                return {status: int(count) for status, count in db.execute(OUTBOX_SQL)}
        except sqlite3.Error:
            return None

    def open_rows(self) -> int | None:
        rows = self.outbox()
        return None if rows is None else rows.get("pending", 0) + rows.get("sending", 0)


class SqliteLock:
    """Another process holding `BEGIN EXCLUSIVE` on the bot's SQLite file."""

    CODE = (
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "db.execute('ROLLBACK')\n"
        "print('released', flush=True)\n"
    )

    def __init__(self, path: Path, seconds: float, log_path: Path) -> None:
        self.process = PROCESSES.add(subprocess.Popen(
            [sys.executable, "-c", self.CODE, str(path), str(seconds)],
            stdout=subprocess.PIPE, stderr=log_path.open("w"), text=True))
        self.locked_at = self._line("locked", 90)
        self.released_at: float | None = None

    def _line(self, expected: str, timeout: float) -> float:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        try:
            if not selector.select(timeout=timeout):
                raise HarnessError(f"the SQLite lock holder did not say {expected!r}")
            line = self.process.stdout.readline().strip()
        finally:
            selector.close()
        if line != expected:
            raise HarnessError(f"the SQLite lock holder said {line!r}, not {expected!r}")
        return time.monotonic()

    def wait_released(self, timeout: float) -> float:
        self.released_at = self._line("released", timeout)
        self.process.wait(timeout=10)
        return self.released_at


# --- Comparing replies.

def lcs(a: list[Item], b: list[Item]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


@dataclass
class ChatResult:
    lost: list[Item]
    duplicated: list[Item]
    unexpected: list[Item]
    out_of_order: int
    complete_at: float | None  # when every expected reply had arrived


def compare(expected: list[Item], actual: list[tuple[Item, float]]) -> ChatResult:
    want = Counter(expected)
    got = Counter(item for item, _ in actual)
    lost = [item for item in want for _ in range(want[item] - got[item])]
    duplicated = [item for item in got if item in want
                  for _ in range(got[item] - want[item])]
    unexpected = [item for item in got if item not in want for _ in range(got[item])]
    # In order: the longest run of the expected replies that arrived in their order,
    # duplicates skipped wherever they fall. (Taking the first copies as the real ones
    # miscounted a chat that asked one question twice: an early duplicate of the first
    # answer stood for the second and showed as a reordering.)
    arrived = [item for item, _ in actual if item in want]
    kept = sum(min(want[item], got[item]) for item in want)
    need = Counter(expected)
    complete_at = None if expected else 0.0
    for item, at in actual:
        if need[item] > 0:
            need[item] -= 1
            if not +need:
                complete_at = at
                break
    return ChatResult(lost, duplicated, unexpected, kept - lcs(arrived, expected),
                      complete_at)


@dataclass
class Result:
    scenario: str
    database: str
    messages: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unexpected: int = 0
    longest_wait: float | None = None  # math.inf: some chat never got all its replies
    wait_after: str = ""
    exits: list[float] = field(default_factory=list)
    exit_codes: list[int | None] = field(default_factory=list)
    limit: float = 10.0
    errors: int = 0
    tracebacks: int = 0
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    log_dir: str = ""
    seconds: float = 0.0
    failed: str = ""  # the harness itself could not finish the scenario
    # Outbox rows claimed (`sending`) when the bot was killed: the duplicate window.
    claimed_at_kill: int = 0

    @property
    def exit_max(self) -> float | None:
        return max(self.exits) if self.exits else None


# --- One scenario.

class Run:
    """One scenario on one database: its fake, storage, bot processes and burst."""

    def __init__(self, harness: Harness, scenario: str, database: str) -> None:
        self.harness = harness
        self.profile = harness.profile
        self.dir = harness.log_dir / f"{scenario}-{database}"
        self.dir.mkdir(parents=True)
        self.result = Result(scenario, database, log_dir=str(self.dir),
                             limit=harness.shutdown_seconds)
        self.fake = Fake(self.dir)
        name = f"crewbot_{scenario.replace('-', '_')}"
        self.storage = Storage(database, self.dir, harness.cluster, name)
        self.config = self.dir / "config.toml"
        shutdown = (f"[bot]\nshutdown_seconds = {harness.shutdown_seconds:g}\n"
                    if harness.shutdown_key else "")
        self.config.write_text(
            f'{shutdown}[database]\nurl = "{self.storage.url}"\n'
            f'[telegram]\ntoken = "{self.fake.token}"\napi_base_url = "{self.fake.base_url}"\n'
            'poll_timeout = 5\n[web]\nport = 0\n[log]\nlevel = "INFO"\n', encoding="utf-8")
        self.bots: list[Bot] = []
        self.bot: Bot | None = None
        # chat id -> (clean chat index, number of messages it was sent)
        self.chats: dict[int, tuple[int, int]] = {}
        self.first_sent: dict[int, float] = {}
        self.recoveries: list[tuple[str, float]] = []
        self._injectors: list[threading.Thread] = []
        self.started = time.monotonic()

    # Bot processes.

    def start_bot(self, recovery: bool = False) -> Bot:
        bot = Bot(self.dir, self.config, len(self.bots) + 1)
        self.bots.append(bot)
        self.bot = bot
        ready = bot.wait_ready()
        if recovery:
            self.recoveries.append(("restart", ready))
        return bot

    def kill_bot(self) -> None:
        assert self.bot is not None
        self.bot.kill()
        self.bot = None

    def terminate_bot(self, measured: bool = True) -> float:
        assert self.bot is not None
        seconds, code = self.bot.terminate(self.result.limit)
        self.bot = None
        if measured:
            self.result.exits.append(seconds)
            self.result.exit_codes.append(code)
        elif code != 0 or seconds > self.result.limit:
            self.result.notes.append(f"final stop took {seconds:.1f}s, exit {code}")
        return seconds

    # The burst.

    def burst(self, chat_ids: list[int], rounds: int, spacing: float | None = None,
              background: bool = True) -> None:
        """Chat `chat_ids[k]` asks the clean run's chat k's first `rounds` questions."""
        spacing = self.profile.spacing if spacing is None else spacing
        for index, chat in enumerate(chat_ids):
            self.chats[chat] = (index, rounds)
        self.result.messages += len(chat_ids) * rounds

        def inject() -> None:
            for round_ in range(rounds):
                at = self.fake.messages([(chat, question(index, round_))
                                         for index, chat in enumerate(chat_ids)])
                for chat in chat_ids:
                    self.first_sent.setdefault(chat, at)
                if round_ < rounds - 1:
                    time.sleep(spacing)

        if not background:
            inject()
            return
        thread = threading.Thread(target=inject, daemon=True)
        thread.start()
        self._injectors.append(thread)

    def injected(self) -> None:
        for thread in self._injectors:
            thread.join(timeout=60)
        self._injectors = [t for t in self._injectors if t.is_alive()]
        if self._injectors:
            raise HarnessError("injecting the burst did not finish")

    def expected(self, chat: int) -> list[Item]:
        index, rounds = self.chats[chat]
        return [item for round_ in range(rounds)
                for item in self.harness.clean[self.result.database][(index, round_)]]

    def expected_total(self, chats: list[int] | None = None) -> int:
        return sum(len(self.expected(chat)) for chat in (chats or list(self.chats)))

    def sent_to(self, chats: list[int]) -> int:
        per_chat = self.fake.state()["sent_per_chat"]
        return sum(per_chat.get(str(chat), 0) for chat in chats)

    def wait_sent(self, count: int, timeout: float = 60.0, chats: list[int] | None = None
                  ) -> bool:
        if chats is None:
            return bool(poll(lambda: self.fake.state()["sent"] >= count, timeout))
        return bool(poll(lambda: self.sent_to(chats) >= count, timeout))

    def by_chat(self) -> dict[int, list[tuple[Item, float]]]:
        now = time.monotonic()
        replies: dict[int, list[tuple[Item, float]]] = {chat: [] for chat in self.chats}
        for message in self.fake.sent():
            item = (message["kind"], message["text"])
            at = message["at"] if message["at"] is not None else now
            replies.setdefault(message["chat_id"], []).append((item, at))
        return replies

    def wait_done(self, timeout: float | None = None) -> bool:
        """Until every chat has its replies, no update waits unconfirmed, nothing is in
        flight and the outbox is empty; False when that did not happen in `timeout`
        (or nothing was left to happen: no update, no call, no open row, for 15 s)."""
        timeout = self.profile.done_timeout if timeout is None else timeout
        self.injected()
        deadline = time.monotonic() + timeout
        quiet_since, last_sent = time.monotonic(), -1
        while True:
            state = self.fake.state()
            in_flight = sum(state["in_flight"].get(m, 0) for m in SEND_METHODS)
            open_rows = self.storage.open_rows()
            replies = self.by_chat()
            complete = all(compare(self.expected(chat), replies.get(chat, [])).complete_at
                           is not None for chat in self.chats)
            idle = state["pending"] == 0 and in_flight == 0 and open_rows == 0
            if complete and idle:
                time.sleep(1.0)  # a late copy, if any, shows in the count
                return True
            now = time.monotonic()
            if not idle or state["sent"] != last_sent:
                quiet_since, last_sent = now, state["sent"]
            elif now - quiet_since > 15:
                return False
            if now > deadline:
                return False
            time.sleep(0.5)

    # Results.

    def finish(self, done: bool) -> Result:
        result = self.result
        if self.bot is not None:
            self.terminate_bot(measured=False)
        replies = self.by_chat()
        waits: dict[str, float] = {}
        for chat in sorted(self.chats):
            outcome = compare(self.expected(chat), replies.get(chat, []))
            result.lost += len(outcome.lost)
            result.duplicated += len(outcome.duplicated)
            result.unexpected += len(outcome.unexpected)
            result.out_of_order += outcome.out_of_order
            for label, items in (("lost", outcome.lost), ("duplicated", outcome.duplicated),
                                 ("unexpected", outcome.unexpected)):
                for kind, text in items[:3]:
                    result.details.append(f"chat {chat}: {label} {kind} {text[:60]!r}")
            if outcome.out_of_order:
                order = [text[:25] for (_, text), _ in replies.get(chat, [])]
                result.details.append(f"chat {chat}: {outcome.out_of_order} out of order: "
                                      f"{order}")
            for label, at in self.recoveries:
                if self.first_sent.get(chat, math.inf) >= at:
                    continue  # asked after this point: not waiting at it
                complete = outcome.complete_at
                if complete is not None and complete <= at:
                    continue
                wait = math.inf if complete is None else complete - at
                waits[label] = max(waits.get(label, 0.0), wait)
        if waits:
            label, wait = max(waits.items(), key=lambda kv: kv[1])
            result.longest_wait, result.wait_after = wait, label
        elif self.recoveries:
            result.longest_wait, result.wait_after = 0.0, self.recoveries[0][0]
        outbox = self.storage.outbox()
        if outbox:
            leftover = {k: v for k, v in outbox.items() if k not in ("sent", "done")}
            if leftover:
                result.notes.append("outbox " + ", ".join(f"{k} {v}"
                                                          for k, v in sorted(leftover.items())))
        state = self.fake.state()
        if state["pending"]:
            result.notes.append(f"{state['pending']} updates never confirmed")
        if not done:
            result.notes.append("did not settle in time")
        if result.unexpected:
            result.notes.append(f"{result.unexpected} unexpected replies")
        edited = sum(1 for m in self.fake.sent() if m["edited"])
        if edited:
            result.notes.append(f"{edited} replies edited")
        over = [s for s in result.exits if s > result.limit]
        if over:
            result.notes.append(f"{len(over)} exits over {result.limit:g}s")
        bad_codes = [c for c in result.exit_codes if c != 0]
        if bad_codes:
            result.notes.append(f"exit codes {bad_codes}")
        self.scan_logs()
        self.fake.stop()
        result.seconds = time.monotonic() - self.started
        return result

    def scan_logs(self) -> None:
        errors: list[str] = []
        for bot in self.bots:
            text = bot.log_text()
            self.result.tracebacks += text.count("Traceback")
            for line in text.splitlines():
                if "level=ERROR" in line:
                    errors.append(f"{bot.log_path.name}: {line[:300]}")
            cut = text.count("clean=False")
            if cut:
                self.result.notes.append(f"{bot.log_path.name}: stop cut short")
        self.result.errors = len(errors)
        distinct: dict[str, str] = {}
        for line in errors:
            key = line.split("logger=", 1)[-1][:80]
            distinct.setdefault(key, line)
        self.result.details.extend(f"log: {line}" for line in list(distinct.values())[:6])


# --- Scenarios.

def burst_ids(run: Run, base: int = 1001, chats: int | None = None) -> list[int]:
    return [base + k for k in range(chats or run.profile.chats)]


def scenario_clean(run: Run) -> bool:
    """The burst one round at a time, learning each message's replies; then the whole
    burst at once to other chats, which must get the same replies."""
    harness, profile = run.harness, run.profile
    learning = burst_ids(run, 9001)
    run.start_bot()
    clean: dict[tuple[int, int], list[Item]] = {}
    for round_ in range(profile.rounds):
        before = {(m["chat_id"], m["message_id"]) for m in run.fake.sent()}
        run.fake.messages([(chat, question(index, round_))
                           for index, chat in enumerate(learning)])
        last = [-1, time.monotonic()]

        def settled(last: list[Any] = last) -> bool:
            state = run.fake.state()
            in_flight = sum(state["in_flight"].get(m, 0) for m in SEND_METHODS)
            if state["sent"] != last[0] or state["pending"] or in_flight \
                    or run.storage.open_rows() != 0:
                last[0], last[1] = state["sent"], time.monotonic()
                return False
            return time.monotonic() - last[1] > 0.7

        if not poll(settled, 90, 0.1):
            raise HarnessError(f"the clean run's round {round_} did not settle")
        for index, chat in enumerate(learning):
            clean[(index, round_)] = [
                (m["kind"], m["text"]) for m in run.fake.sent()
                if m["chat_id"] == chat and (chat, m["message_id"]) not in before]
            if not clean[(index, round_)]:
                raise HarnessError(f"no reply to {question(index, round_)!r} in the clean run")
    harness.clean[run.result.database] = clean
    run.burst(burst_ids(run), profile.rounds)
    return run.wait_done()


def _killed(run: Run, when: Callable[[], bool], what: str, hold: bool = False) -> bool:
    run.start_bot()
    run.burst(burst_ids(run), run.profile.rounds)
    if not poll(when, 90, 0.01):
        run.result.notes.append(f"kill moment ({what}) not reached; killed anyway")
    held = run.fake.state()["held"] if hold else 0
    sent = run.fake.state()["sent"]
    run.kill_bot()
    # Nobody writes the database until the restart: its claimed rows are the sends whose
    # outcome the dead process never recorded, the only ones that may go out twice.
    claimed = (run.storage.outbox() or {}).get("sending", 0)
    run.result.claimed_at_kill += claimed
    if hold:
        run.fake.hold("sendMessage", 0)
        run.result.notes.append(f"{held} sends accepted, unanswered at the kill")
    run.result.notes.append(f"killed after {sent}/{run.expected_total()} replies, "
                            f"{claimed} rows claimed")
    run.injected()
    run.start_bot(recovery=True)
    return run.wait_done()


def scenario_sigkill_early(run: Run) -> bool:
    """SIGKILL at the first reply: the first batch is being handled."""
    return _killed(run, lambda: run.fake.state()["sent"] >= 1, "first reply")


def scenario_sigkill_mid(run: Run) -> bool:
    """SIGKILL when half the burst's replies are out."""
    return _killed(run, lambda: run.fake.state()["sent"] >= run.expected_total() // 2,
                   "half the replies")


def scenario_sigkill_inflight(run: Run) -> bool:
    """SIGKILL while sends are in flight: from a third of the replies on, Telegram holds
    its answers 3 s after storing the message; killed with such sends outstanding (the
    documented duplicate window: the platform has the message, the bot never heard)."""
    holding = False

    def moment() -> bool:
        nonlocal holding
        state = run.fake.state()
        if state["sent"] >= run.expected_total() // 3 and not holding:
            run.fake.hold("sendMessage", 3.0)
            holding = True
        return holding and state["held"] >= 3

    return _killed(run, moment, "3 answers held", hold=True)


def scenario_sigterm(run: Run) -> bool:
    """SIGTERM during a burst, repeatedly; each restart takes what the last one left,
    plus a new burst; the last start finishes everything."""
    profile = run.profile
    rng = random.Random(18)
    for cycle in range(profile.term_cycles):
        run.start_bot(recovery=cycle > 0)
        chats = burst_ids(run, 2001 + 100 * cycle, profile.term_chats)
        run.burst(chats, profile.term_rounds)
        share = rng.uniform(0.1, 0.7)
        target = max(1, int(run.expected_total(chats) * share))
        if not run.wait_sent(target, 60, chats):
            run.result.notes.append(f"cycle {cycle}: {share:.0%} of replies not reached")
        run.terminate_bot()
        run.injected()
    run.start_bot(recovery=True)
    return run.wait_done()


def _storm(run: Run, method: str, status: int, retry_after: int | None) -> bool:
    run.start_bot()
    run.burst(burst_ids(run), run.profile.rounds)
    run.wait_sent(max(1, run.expected_total() // 10))
    run.fake.fail(method, status, run.profile.storm_times, retry_after)
    run.injected()
    done = run.wait_done()
    last = run.fake.state()["last_failure_at"]
    if last is not None:
        run.recoveries.append(("storm", float(last)))
    counts = run.fake.state()["calls"]
    failed = sum(n for per in counts.values() for s, n in per.items() if s == str(status))
    run.result.notes.append(f"{failed} calls answered {status}")
    return done


def scenario_429_storm(run: Run) -> bool:
    """From a tenth of the replies on, the next N sendMessage calls answer 429
    (retry_after 1)."""
    return _storm(run, "sendMessage", 429, 1)


def scenario_502_storm(run: Run) -> bool:
    """From a tenth of the replies on, the next N calls of any method (getUpdates too)
    answer 502 with nginx's HTML page."""
    return _storm(run, "*", 502, None)


def scenario_hanging(run: Run) -> bool:
    """From a tenth of the replies on, sendMessage hangs for longer than the bot's read
    timeout (the bot hangs up; the fake never handles the call), for a while."""
    run.start_bot()
    run.burst(burst_ids(run), run.profile.rounds)
    run.wait_sent(max(1, run.expected_total() // 10))
    run.fake.delay("sendMessage", READ_TIMEOUT + 5)
    time.sleep(run.profile.hang_seconds)
    run.fake.delay("sendMessage", 0)
    run.recoveries.append(("hang over", time.monotonic()))
    # A call that arrived just before the end still hangs its full length.
    return run.wait_done(run.profile.done_timeout + READ_TIMEOUT + 5)


def scenario_slow_answers(run: Run) -> bool:
    """From a tenth of the replies on, Telegram stores each message but answers only
    after the bot's read timeout, for a while: the bot cannot know it went out."""
    run.start_bot()
    run.burst(burst_ids(run), run.profile.rounds)
    run.wait_sent(max(1, run.expected_total() // 10))
    run.fake.hold("sendMessage", READ_TIMEOUT + 5)
    time.sleep(run.profile.hang_seconds)
    run.fake.hold("sendMessage", 0)
    run.recoveries.append(("slow over", time.monotonic()))
    return run.wait_done(run.profile.done_timeout + READ_TIMEOUT + 5)


def _pg_outage(run: Run, mode: str, down: float) -> bool:
    cluster = run.harness.cluster
    assert cluster is not None
    run.start_bot()
    run.burst(burst_ids(run), run.profile.rounds)
    run.wait_sent(max(1, run.expected_total() * 3 // 10))
    stopped = cluster.stop(mode)
    time.sleep(down)
    back = cluster.start()
    run.recoveries.append(("database back", back))
    run.result.notes.append(f"database down {back - stopped:.0f}s ({mode} stop)")
    return run.wait_done()


def scenario_pg_restart(run: Run) -> bool:
    """At 30% of the replies: pg_ctl stop -m fast, 2 s, start."""
    return _pg_outage(run, "fast", 2.0)


def scenario_pg_crash(run: Run) -> bool:
    """At 30% of the replies: pg_ctl stop -m immediate (a crash: recovery at start), 2 s,
    start."""
    return _pg_outage(run, "immediate", 2.0)


def scenario_pg_stop(run: Run) -> bool:
    """At 30% of the replies: PostgreSQL stopped (fast) for 150 s (short: 15 s), then
    started."""
    return _pg_outage(run, "fast", run.profile.pg_stop_seconds)


def scenario_sqlite_lock(run: Run) -> bool:
    """At 20% of the replies another process takes BEGIN EXCLUSIVE on the bot's file and
    holds it 30 s (short: 10 s)."""
    run.start_bot()
    run.burst(burst_ids(run), run.profile.rounds)
    run.wait_sent(max(1, run.expected_total() // 5))
    lock = SqliteLock(run.storage.path, run.profile.lock_seconds, run.dir / "lock.log")
    released = lock.wait_released(run.profile.lock_seconds + 30)
    run.recoveries.append(("lock released", released))
    run.result.notes.append(f"locked {released - lock.locked_at:.0f}s")
    return run.wait_done()


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Run], bool]
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    title: str = ""


SCENARIOS = [
    Scenario("clean", scenario_clean),
    Scenario("sigkill-early", scenario_sigkill_early),
    Scenario("sigkill-mid", scenario_sigkill_mid),
    Scenario("sigkill-inflight", scenario_sigkill_inflight),
    Scenario("sigterm", scenario_sigterm),
    Scenario("429-storm", scenario_429_storm),
    Scenario("502-storm", scenario_502_storm),
    Scenario("hanging", scenario_hanging),
    Scenario("slow-answers", scenario_slow_answers),
    Scenario("pg-restart", scenario_pg_restart, ("postgresql",)),
    Scenario("pg-crash", scenario_pg_crash, ("postgresql",)),
    Scenario("pg-stop", scenario_pg_stop, ("postgresql",)),
    Scenario("sqlite-lock", scenario_sqlite_lock, ("sqlite",)),
]
BY_NAME = {s.name: s for s in SCENARIOS}


# --- The harness.

def shutdown_key() -> bool:
    """Whether this crewbot's configuration has `[bot] shutdown_seconds`."""
    code = ("import dataclasses, bot.config as c; "
            "print('shutdown_seconds' in {f.name for f in dataclasses.fields(c.BotConfig)})")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=child_env(), cwd=ROOT, check=False)
    return result.stdout.strip() == "True"


class Harness:
    def __init__(self, profile: Profile, log_dir: Path | None = None) -> None:
        self.profile = profile
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="crewbot-faults-"))
        self.cluster: PgCluster | None = None
        self.clean: dict[str, dict[tuple[int, int], list[Item]]] = {}
        self.shutdown_key = shutdown_key()
        self.shutdown_seconds = 10.0

    def run(self, names: list[str], databases: list[str]) -> list[Result]:
        results: list[Result] = []
        try:
            for database in databases:
                if database == "postgresql" and self.cluster is None:
                    self.cluster = PgCluster(self.log_dir)
                    log(f"private PostgreSQL cluster on 127.0.0.1:{self.cluster.port} "
                        f"in {self.cluster.dir}")
                for name in ["clean", *[n for n in names if n != "clean"]]:
                    scenario = BY_NAME[name]
                    if database not in scenario.databases:
                        continue
                    if name != "clean" and database not in self.clean:
                        results.append(Result(name, database,
                                              failed="no clean run to compare with"))
                        continue
                    results.append(self.one(scenario, database))
        finally:
            PROCESSES.kill_all()
            if self.cluster is not None:
                self.cluster.remove()
        (self.log_dir / "results.json").write_text(json.dumps(
            [r.__dict__ | {"longest_wait": None if r.longest_wait is None
                           or math.isinf(r.longest_wait) else r.longest_wait,
                           "never_complete": r.longest_wait is not None
                           and math.isinf(r.longest_wait)} for r in results], indent=2))
        (self.log_dir / "summary.md").write_text(table(results) + "\n")
        return results

    def one(self, scenario: Scenario, database: str) -> Result:
        log(f"{scenario.name} on {database}...")
        run: Run | None = None
        try:
            run = Run(self, scenario.name, database)
            done = scenario.run(run)
            result = run.finish(done)
        except Exception as error:
            result = run.result if run is not None else Result(scenario.name, database)
            result.failed = f"{type(error).__name__}: {error}"
            result.details.append(traceback.format_exc()[-1500:])
            if run is not None:
                with contextlib.suppress(Exception):
                    if run.bot is not None:
                        run.bot.kill()
                with contextlib.suppress(Exception):
                    run.scan_logs()
                with contextlib.suppress(Exception):
                    run.fake.stop()
        finally:
            PROCESSES.kill_all()
        log(f"{scenario.name} on {database}: {row(result)} ({result.seconds:.0f}s)")
        return result


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return "never" if math.isinf(value) else f"{value:.1f}"


HEADER = ("| scenario | database | messages | lost | duplicated | out of order | "
          "longest wait after restart (s) | exit after SIGTERM, max (s) | ERROR lines | "
          "tracebacks | notes |")


def row(r: Result) -> str:
    wait = _seconds(r.longest_wait)
    if r.longest_wait is not None and r.wait_after and r.wait_after != "restart":
        wait += f" ({r.wait_after})"
    exits = "–" if r.exit_max is None else f"{r.exit_max:.1f} ({len(r.exits)}x)"
    notes = "; ".join(([f"HARNESS FAILED: {r.failed}"] if r.failed else []) + r.notes)
    return (f"| {r.scenario} | {r.database} | {r.messages} | {r.lost} | {r.duplicated} | "
            f"{r.out_of_order} | {wait} | {exits} | {r.errors} | {r.tracebacks} | "
            f"{notes.replace('|', '/')} |")


def table(results: list[Result]) -> str:
    lines = [HEADER, "|" + " --- |" * 11]
    lines += [row(r) for r in results]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true",
                        help="small bursts, 2 SIGTERMs, a 15 s PostgreSQL stop")
    parser.add_argument("--only", default="",
                        help="comma-separated scenarios (the clean run always goes first)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"),
                        default="both")
    parser.add_argument("--list", action="store_true", help="list the scenarios")
    options = parser.parse_args()
    if options.list:
        for scenario in SCENARIOS:
            doc = " ".join((scenario.run.__doc__ or "").split())
            print(f"{scenario.name:18} {'/'.join(scenario.databases):18} {doc}")
        return 0
    names = [n.strip() for n in options.only.split(",") if n.strip()] or list(BY_NAME)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; see --list")
    databases = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    harness = Harness(SHORT if options.short else FULL)
    log(f"logs in {harness.log_dir}; shutdown limit {harness.shutdown_seconds:g}s "
        f"({'[bot] shutdown_seconds' if harness.shutdown_key else 'default, key not accepted'})")
    results = harness.run(names, databases)
    print(table(results))
    details = [(r, d) for r in results for d in r.details]
    if details:
        print("\nDetails (first lines per scenario):")
        for r in results:
            if r.details:
                print(f"\n{r.scenario} / {r.database}:")
                for line in r.details[:12]:
                    print(f"  {line}")
    print(f"\nlogs: {harness.log_dir}")
    bad = any(r.failed or r.lost or r.out_of_order for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
