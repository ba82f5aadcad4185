"""One reminder to thousands of crew members, through Telegram's flood control.

    python benchmarks/bench_broadcast.py [--recipients 3000] [--database URL]

Seeds a database with one application and RECIPIENTS Telegram chats linked to it, and
one reminder due two seconds ahead; runs `crewbot run` as a child process against the
fake Bot API in this process, which answers 429 (retry_after 1) to any send that would
make more than 30 accepted in one second, as Telegram does to a bot that bursts. Prints
how many arrived, whether any arrived twice, and the rate from the first reminder sent
to the last against Telegram's 30 a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.config import DatabaseConfig, parse_config  # noqa: E402
from bot.services.applications import NewApplication  # noqa: E402
from bot.services.reminders.when import Schedule  # noqa: E402
from bot.storage.models import ApplicationLink, Chat, utcnow  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.harness import free_port  # noqa: E402

LIMIT = 30.0  # Telegram: about 30 messages a second to different chats
BASE = 500_000
NEW = NewApplication(
    production_title="Broadcast", company="Bench Films", country="FR",
    service_company="Hanoi Fixers Co.", shoot_start=utcnow().date() + timedelta(days=90),
    shoot_end=utcnow().date() + timedelta(days=100), locations=["Hanoi"],
    contact_email="bench@example.com")


async def seed(url: str, recipients: int) -> None:
    config = replace(parse_config({}, "bench"), database=DatabaseConfig(url=url))
    app = await App.create(config)
    try:
        async with app.db.session() as session:
            application, _code = await app.applications.create(session, NEW, "bench")
            chats = [Chat(channel="telegram", external_id=str(BASE + n), display_name="Crew",
                          language=("en", "vi", "ko", "ja", "zh", "fr")[n % 6], role="crew")
                     for n in range(recipients)]
            session.add_all(chats)
            await session.flush()
            session.add_all(ApplicationLink(application_id=application.id, chat_id=chat.id)
                            for chat in chats)
            at = utcnow() + timedelta(seconds=2)
            draft = await app.reminders.draft(
                session, target=application.reference,
                schedule=Schedule("once", "Asia/Ho_Chi_Minh", at=at),
                text="Call time tomorrow: 05:30 at the pier.", author="bench", urgent=True)
            assert await app.reminders.confirm(session, draft.reminder.id) is not None
    finally:
        await app.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--database", default="", help="default: a fresh SQLite file")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        async with FakeTelegram() as fake:
            fake.limit_rate(LIMIT)
            config = Path(tmp) / "config.toml"
            config.write_text(
                f'[database]\nurl = "{url}"\n[telegram]\ntoken = "{fake.token}"\n'
                f'api_base_url = "{fake.base_url}"\npoll_timeout = 5\n'
                f"[web]\nport = {free_port()}\n[log]\nlevel = \"WARNING\"\n"
                f'[reminders]\npoll_seconds = 1\nquiet_hours = ""\n', encoding="utf-8")
            await seed(url, options.recipients)
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--config", str(config),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp)
            try:
                def reminders(f: FakeTelegram) -> list[object]:
                    return [c for c in f.calls_to("sendMessage")
                            if c.status == 200 and "⏰" in str(c.params.get("text", ""))]
                await fake.wait_for(lambda f: len(reminders(f)) >= options.recipients,
                                    timeout=3600)
                await asyncio.sleep(3.0)  # a duplicate would have come by now
                sent = reminders(fake)
            finally:
                process.terminate()
                await process.wait()
        times = sorted(call.at for call in sent)  # type: ignore[attr-defined]
        per_chat = Counter(str(call.params["chat_id"]) for call in sent)  # type: ignore[attr-defined]
        seconds = times[-1] - times[0]
        rate = (len(sent) - 1) / seconds if seconds > 0 else float("inf")
        figures = {
            "recipients": options.recipients, "delivered": len(per_chat),
            "duplicates": sum(count - 1 for count in per_chat.values()),
            "seconds": round(seconds, 1), "per_second": round(rate, 2),
            "share_of_limit": round(rate / LIMIT, 3), "answered_429": fake.too_fast,
        }
    if options.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    started = time.monotonic()
    asyncio.run(main())
    print(f"{'wall':>16}: {time.monotonic() - started:.1f} s", file=sys.stderr)
