"""Latency and CPU per event of the Zalo OA channel, next to the Telegram channel's CPU.

    python benchmarks/bench_zalo.py [--users 50] [--rate 20] [--events 400] [--database URL]

Runs `crewbot run` as a child process twice, once with `[zalo] api = "oa"` against the
fake OA (tests/fakes/zalo_api.py) and once with Telegram against the fake Bot API, both
fakes in this process. The Zalo child gets signed `user_send_text` webhooks from
`--users` users at a fixed `--rate` (the questions of bench_telegram.py, in turn); the
Telegram child gets the same questions at the same rate through getUpdates.

Reported for Zalo: p50/p99 from the POST of an event to the first `message/cs` call of
its answer at the fake (the first answer message; one question may take several), and
the child's CPU per event (utime + stime from /proc, read before and after the timed
run, bench_telegram's helpers), as a ratio to the Telegram child's CPU per message.
The child may send as fast as it likes (`sends_per_second` high): this measures the
bot, not Zalo's rate limit.

Before the timed run each question is asked once from a fresh user, to warm caches up
and to learn how many messages its answer takes; that is what maps each later `cs` call
back to the event it answers (a user's answers come in the order of their events).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_telegram import QUESTIONS, cpu_seconds, memory_mb  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.fakes.zalo_api import FakeZaloOA  # noqa: E402

PATH = "/zalo/webhook"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def start_child(config: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env)


async def stop_child(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.terminate()
    _, stderr = await process.communicate()
    return stderr.decode(errors="replace")


async def ready(process: asyncio.subprocess.Process, waiting: Any) -> None:
    """Wait for `waiting` (the fake seeing the bot up), or fail if the child died first."""
    exited = asyncio.ensure_future(process.wait())
    up = asyncio.ensure_future(waiting)
    await asyncio.wait({exited, up}, return_when=asyncio.FIRST_COMPLETED)
    if exited.done():
        up.cancel()
        raise SystemExit(f"crewbot exited {process.returncode}:\n{await stop_child(process)}")
    exited.cancel()
    await up


async def zalo_run(options: argparse.Namespace, tmp: Path, env: dict[str, str]
                   ) -> dict[str, float]:
    async with FakeZaloOA() as oa:
        port = free_port()
        database = options.database or f"sqlite+aiosqlite:///{tmp}/zalo.db"
        config = tmp / "zalo.toml"
        config.write_text(
            f'[database]\nurl = "{database}"\n'
            f'[zalo]\napi = "oa"\napp_id = "{oa.app_id}"\napp_secret = "{oa.app_secret}"\n'
            f'oa_secret_key = "{oa.oa_secret_key}"\nrefresh_token = "{oa.refresh_token}"\n'
            f'api_base_url = "{oa.base_url}"\noauth_base_url = "{oa.base_url}"\n'
            f"sends_per_second = 100000.0\n[web]\nport = {port}\n"
            '[log]\nlevel = "WARNING"\n', encoding="utf-8")
        process = await start_child(config, env)
        try:
            # The server listens before the channel starts; the start refreshes the token.
            await ready(process, oa.wait_for(lambda: oa.refreshes >= 1, timeout=300))
            url = f"http://127.0.0.1:{port}{PATH}"
            # Warm-up: every question twice, from its own user; learn its answer's size.
            # The webhook answers once the event is stored and sending goes on, but a
            # chat's messages go out in order: the second answer begins where the first
            # one ended.
            sizes: dict[str, int] = {}
            for number, question in enumerate(QUESTIONS):
                user = f"warm-{number}"
                for _ in range(2):
                    status = await oa.post_event(url, oa.text_event(user, question))
                    assert status == 200, status

                def both_begun(user: str = user) -> bool:
                    texts = oa.texts(user)
                    return bool(texts) and texts.count(texts[0]) >= 2

                await oa.wait_for(lambda: both_begun(), timeout=60)
                texts = oa.texts(user)
                sizes[question] = texts.index(texts[0], 1)
                assert sizes[question] >= 1, question

            events: list[tuple[str, str, float]] = []  # (user, question, posted at)
            statuses: list[int] = []

            async def post(user: str, question: str) -> None:
                event = oa.text_event(user, question)
                events.append((user, question, time.monotonic()))
                statuses.append(await oa.post_event(url, event))

            cpu_before = cpu_seconds(process.pid)
            started = time.monotonic()
            tasks = []
            for n in range(options.events):
                due = started + n / options.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                user = f"user-{n % options.users}"
                question = QUESTIONS[(n // options.users + n) % len(QUESTIONS)]
                tasks.append(asyncio.create_task(post(user, question)))
            await asyncio.gather(*tasks)
            expected: dict[str, int] = defaultdict(int)
            for user, question, _ in events:
                expected[user] += sizes[question]
            await oa.wait_for(lambda: all(len(oa.sent_to(u)) >= n for u, n in expected.items()),
                              timeout=600)
            finished = time.monotonic()
            cpu = cpu_seconds(process.pid) - cpu_before
            memory = memory_mb(process.pid)
            # Each user's cs calls, in order, split by the size of each of its answers.
            calls: dict[str, list[float]] = defaultdict(list)
            for call in oa.calls_to("cs"):
                body = call.params.get("body") or {}
                user = (body.get("recipient") or {}).get("user_id", "")
                if call.outcome == "ok" and user.startswith("user-"):
                    calls[user].append(call.at)
            latencies: list[float] = []
            position: dict[str, int] = defaultdict(int)
            for user, question, posted in sorted(events, key=lambda e: e[2]):
                latencies.append(calls[user][position[user]] - posted)
                position[user] += sizes[question]
        finally:
            log = await stop_child(process)
        if oa.access_token in log or oa.refresh_token in log:
            raise SystemExit("a token reached the log")
        return {"events": options.events, "rejected": sum(s != 200 for s in statuses),
                "messages": sum(len(v) for v in calls.values()),
                "p50_ms": 1000 * statistics.median(latencies),
                "p99_ms": 1000 * percentile(latencies, 0.99),
                "max_ms": 1000 * max(latencies),
                "cpu_s": cpu, "cpu_ms_per_event": 1000 * cpu / options.events,
                "run_s": finished - started, **memory}


async def telegram_run(options: argparse.Namespace, tmp: Path, env: dict[str, str]
                       ) -> dict[str, float]:
    async with FakeTelegram() as fake:
        database = options.database or f"sqlite+aiosqlite:///{tmp}/telegram.db"
        config = tmp / "telegram.toml"
        config.write_text(
            f'[database]\nurl = "{database}"\n[telegram]\ntoken = "{fake.token}"\n'
            f'api_base_url = "{fake.base_url}"\npoll_timeout = 5\n[web]\nport = 0\n'
            '[log]\nlevel = "WARNING"\n', encoding="utf-8")
        process = await start_child(config, env)
        try:
            await ready(process, fake.wait_for(lambda f: bool(f.calls_to("deleteWebhook")),
                                               timeout=300))
            for number, question in enumerate(QUESTIONS):  # the same warm-up
                fake.message(90_000 + number, question, language_code="en")
            await fake.wait_for(lambda f: all(f.sent(90_000 + n) for n in range(len(QUESTIONS))),
                                timeout=120)
            cpu_before = cpu_seconds(process.pid)
            started = time.monotonic()
            for n in range(options.events):
                due = started + n / options.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                chat = 10_000 + n % options.users
                fake.message(chat, QUESTIONS[(n // options.users + n) % len(QUESTIONS)],
                             language_code="en")
            per_chat: dict[int, int] = defaultdict(int)
            for n in range(options.events):
                per_chat[10_000 + n % options.users] += 1
            await fake.wait_for(
                lambda f: not f.pending_updates()
                and all(len([m for m in f.sent(c) if m["kind"] == "text"]) >= k
                        for c, k in per_chat.items()), timeout=600)
            finished = time.monotonic()
            cpu = cpu_seconds(process.pid) - cpu_before
            memory = memory_mb(process.pid)
        finally:
            await stop_child(process)
        return {"events": options.events, "cpu_s": cpu,
                "cpu_ms_per_event": 1000 * cpu / options.events,
                "run_s": finished - started, **memory}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--database", default="",
                        help="default: a fresh SQLite file per bot; a PostgreSQL URL names a "
                             "scratch database, emptied first and shared by both runs")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if options.database.startswith("postgresql"):
        # Tokens and messages of an earlier run would not match this run's fake servers.
        from tests.conftest import _reset_postgres

        await _reset_postgres(options.database)
    with tempfile.TemporaryDirectory() as tmp:
        zalo = await zalo_run(options, Path(tmp), env)
        telegram = await telegram_run(options, Path(tmp), env)
    ratio = zalo["cpu_ms_per_event"] / max(telegram["cpu_ms_per_event"], 1e-9)
    if options.json:
        print(json.dumps({"zalo": zalo, "telegram": telegram, "cpu_ratio": ratio}, indent=2))
        return
    print(f"{options.events} events from {options.users} users at {options.rate:g}/s "
          f"({'SQLite' if not options.database else options.database.split(':', 1)[0]})")
    print(f"zalo oa   webhook POST -> first message/cs: p50 {zalo['p50_ms']:.1f} ms  "
          f"p99 {zalo['p99_ms']:.1f} ms  max {zalo['max_ms']:.1f} ms  "
          f"({zalo['messages']:.0f} messages sent, {zalo['rejected']:.0f} events refused)")
    print(f"zalo oa   CPU {zalo['cpu_ms_per_event']:.2f} ms/event  run {zalo['run_s']:.1f} s  "
          f"RSS {zalo['VmRSS']:.0f} MB (peak {zalo['VmHWM']:.0f} MB)")
    print(f"telegram  CPU {telegram['cpu_ms_per_event']:.2f} ms/message  "
          f"run {telegram['run_s']:.1f} s  RSS {telegram['VmRSS']:.0f} MB "
          f"(peak {telegram['VmHWM']:.0f} MB)")
    print(f"CPU ratio zalo/telegram: {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
