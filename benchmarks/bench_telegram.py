"""CPU per answered message, time to first answer and memory of the Telegram channel.

    python benchmarks/bench_telegram.py [--chats 20] [--per-chat 10] [--database URL]

Runs `crewbot run` and a bare python-telegram-bot echo bot (`echo_bot.py`) as child
processes against the fake Bot API (tests/fakes/telegram_api.py) in this process, sends
each the same burst (chats x per-chat messages, all injected at once) and reads the
child's CPU time (utime + stime from /proc) before and after the burst, so the ratio
compares like with like: the same library, the same fake, the same machine, one run.
crewbot does more per message (stores it, detects the language, searches the knowledge
base, stores and delivers the reply); the ratio says how much more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

QUESTIONS = [
    "Do we need a permit to shoot a commercial in Hanoi?",
    "How many days does the ministry take to decide?",
    "Can our drone operator fly over Ha Long Bay?",
    "We need a fixer in Saigon",
    "What documents go in the application?",
    "Có cần giấy phép để quay phim tài liệu không?",
    "Thuê thiết bị quay phim ở TP.HCM ở đâu?",
    "촬영 허가 신청은 누가 하나요?",
    "호이안에서 촬영하기 좋은 계절은 언제인가요?",
    "撮影機材の持ち込みに税関手続きは必要ですか？",
    "ドローンの撮影許可はどこで取りますか？",
    "外国剧组在越南拍摄需要什么许可？",
    "在河内可以租到摄影器材吗？",
    "Combien de temps faut-il pour obtenir l'autorisation ?",
    "Peut-on filmer dans la baie d'Along avec un drone ?",
    "Quel visa pour l'équipe de tournage ?",
    "What is the weather in Paris today?",
    "Is there a cash rebate for foreign productions?",
    "Which holidays should we avoid for the shoot?",
    "Who do I contact at the Cinema Department?",
]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def memory_mb(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


async def burst(fake: FakeTelegram, pid: int, chats: int, per_chat: int, base: int
                ) -> dict[str, float]:
    total = chats * per_chat
    sends_before = len(fake.calls_to("sendMessage"))
    cpu_before = cpu_seconds(pid)
    started = time.monotonic()  # the fake stamps its calls with time.monotonic too
    for round_ in range(per_chat):
        for chat in range(chats):
            fake.message(base + chat, QUESTIONS[(chat + round_) % len(QUESTIONS)],
                         language_code="en")
    first = await fake.wait_for_calls("sendMessage", sends_before + 1, timeout=300)
    first_at = first[sends_before].at
    # Done when every chat has at least one message per question and every update is
    # confirmed (crewbot confirms an update only after handling and delivering it).
    await fake.wait_for(
        lambda f: not f.pending_updates()
        and all(len([m for m in f.sent(base + c) if m["kind"] == "text"]) >= per_chat
                for c in range(chats)), timeout=600)
    finished = time.monotonic()
    cpu = cpu_seconds(pid) - cpu_before
    answered = sum(len([m for m in fake.sent(base + c) if m["kind"] == "text"])
                   for c in range(chats))
    return {"messages": total, "answered": answered, "cpu_s": cpu,
            "cpu_ms_per_message": 1000 * cpu / total,
            "first_answer_ms": 1000 * (first_at - started),
            "burst_s": finished - started, **memory_mb(pid)}


async def run_child(args: list[str], fake: FakeTelegram, ready_method: str,
                    chats: int, per_chat: int, base: int, env: dict[str, str]
                    ) -> dict[str, float]:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env)
    exited = asyncio.ensure_future(process.wait())
    ready = asyncio.ensure_future(fake.wait_for(lambda f: bool(f.calls_to(ready_method)),
                                                timeout=300))
    await asyncio.wait({exited, ready}, return_when=asyncio.FIRST_COMPLETED)
    if exited.done():
        ready.cancel()
        stderr = await process.stderr.read() if process.stderr else b""
        raise SystemExit(f"{args[1:]} exited {process.returncode}:\n{stderr.decode()[-2000:]}")
    try:
        await ready
        idle_before = cpu_seconds(process.pid)
        figures = await burst(fake, process.pid, chats, per_chat, base)
        figures["startup_cpu_s"] = idle_before
        return figures
    finally:
        if process.returncode is None:
            process.terminate()
        await process.communicate()
        await exited


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--database", default="", help="default: a fresh SQLite file")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # A fresh fake for each bot: updates the first one never confirmed must not
        # become work (and answers) of the second.
        async with FakeTelegram() as fake:
            results["echo"] = await run_child(
                [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py"), fake.token,
                 fake.base_url], fake, "getUpdates", options.chats, options.per_chat,
                10_000, env)
        async with FakeTelegram() as fake:
            database = options.database or f"sqlite+aiosqlite:///{tmp}/bench.db"
            config = Path(tmp) / "config.toml"
            config.write_text(
                f'[database]\nurl = "{database}"\n[telegram]\ntoken = "{fake.token}"\n'
                f'api_base_url = "{fake.base_url}"\npoll_timeout = 5\n[web]\nport = 0\n'
                '[log]\nlevel = "WARNING"\n', encoding="utf-8")
            results["crewbot"] = await run_child(
                [sys.executable, "-m", "bot", "run", "--config", str(config)], fake,
                "deleteWebhook", options.chats, options.per_chat, 20_000, env)
    echo = max(results["echo"]["cpu_ms_per_message"], 1e-9)
    ratio = results["crewbot"]["cpu_ms_per_message"] / echo
    if options.json:
        print(json.dumps({**results, "cpu_ratio": ratio}, indent=2))
        return
    print(f"burst: {options.chats} chats x {options.per_chat} messages")
    for name, figures in results.items():
        print(f"{name:8} {figures['messages']:.0f} questions, {figures['answered']:.0f} messages "
              "sent  "
              f"CPU {figures['cpu_ms_per_message']:.2f} ms/message  "
              f"first answer {figures['first_answer_ms']:.0f} ms  "
              f"burst {figures['burst_s']:.2f} s  RSS {figures['VmRSS']:.0f} MB "
              f"(peak {figures['VmHWM']:.0f} MB)")
    print(f"CPU ratio crewbot/echo: {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
