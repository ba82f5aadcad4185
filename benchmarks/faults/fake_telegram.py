"""The fake Telegram Bot API (tests/fakes/telegram_api.py) as its own process, for faults.

    python benchmarks/faults/fake_telegram.py [--port 0] [--control-port 0]

The bot under test can be killed and restarted while this process keeps what Telegram
keeps: the updates it has not confirmed, served again on the next getUpdates. When both
servers listen it prints one JSON line on stdout: `base_url` (the bot's
`[telegram] api_base_url`), `token` and `control_url`. Everything is on 127.0.0.1.

Control API (JSON in and out):

- `POST /messages {"messages": [[chat_id, text], ...], "language_code": "en"}`: text
  updates from private chats, queued at once in the order given.
- `POST /fail {"method", "status", "retry_after", "times", "description", "chat_id"}`:
  `FakeTelegram.fail` (502/503/504 without a description answer nginx's HTML page).
- `POST /delay {"method", "seconds"}`: `FakeTelegram.delay`, a pause before the call is
  handled (0 ends it). A call that outlives the bot's read timeout hangs up unhandled.
- `POST /hold {"method", "seconds"}`: the call is handled (a message is stored, as
  Telegram has it) and only then its answer is held back; a bot that dies or times out
  meanwhile never learns that its message went out.
- `GET /state`: pending (unconfirmed) updates, calls per method and status, calls in
  flight per method (lower case; a call the bot hung up on is no longer) and held,
  messages sent (per chat too), the time of the last injected failure.
- `GET /sent`: every message the bot sent, in order: chat, kind, text as the user sees
  it, and `at`, the `time.monotonic()` at which the fake accepted it (CLOCK_MONOTONIC is
  the machine's, so the harness can compare it with its own clock).
- `POST /shutdown`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.fakes import telegram_api  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

SEND_METHODS = frozenset({"sendmessage", "sendlocation", "sendvenue", "sendphoto",
                          "senddocument"})


class Holds:
    """Answers held back after the fake handled the call (see `POST /hold`), and the
    calls under way per method (lower case): a call the bot hung up on is not."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.holding = 0
        self.active: dict[str, int] = {}


def _web_for_fake(port: int, holds: Holds) -> Any:
    """aiohttp's `web` as FakeTelegram sees it: its site on `port`, answers held per
    `holds`. FakeTelegram itself is used unchanged; only its module's `web` name is
    replaced, so its own code keeps every other behaviour."""
    real = web

    @real.middleware
    async def hold_answers(request: web.Request, handler: Any) -> web.StreamResponse:
        method = request.path.rstrip("/").rsplit("/", 1)[-1].lower()
        holds.active[method] = holds.active.get(method, 0) + 1
        try:  # cancelled when the bot hangs up (handler_cancellation)
            response = await handler(request)
            pause = holds.seconds.get(method, 0.0)
            if pause > 0 and response.status == 200:
                holds.holding += 1
                try:
                    await asyncio.sleep(pause)
                finally:
                    holds.holding -= 1
            return response
        finally:
            holds.active[method] -= 1

    class Shim:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        @staticmethod
        def Application(*args: Any, **kwargs: Any) -> web.Application:
            kwargs["middlewares"] = [*kwargs.get("middlewares", ()), hold_answers]
            return real.Application(*args, **kwargs)

        @staticmethod
        def TCPSite(runner: Any, host: str, site_port: int, **kwargs: Any) -> Any:
            return real.TCPSite(runner, host, port or site_port, **kwargs)

    return Shim()


class Stamps:
    """When each call was answered (the fake records only when it arrived)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.at: list[float | None] = []
        self._first_open = 0

    def _scan(self, fake: FakeTelegram) -> bool:
        now = time.monotonic()
        calls = fake.calls
        self.at.extend([None] * (len(calls) - len(self.at)))
        for index in range(self._first_open, len(calls)):
            if self.at[index] is None and calls[index].answered:
                self.at[index] = now
        while self._first_open < len(calls) and self.at[self._first_open] is not None:
            self._first_open += 1
        return False  # never done: stamping on every change is the point

    async def watch(self) -> None:
        while True:
            with contextlib.suppress(AssertionError):  # wait_for's timeout: just go on
                await self.fake.wait_for(self._scan, timeout=3600)

    def answered_at(self, index: int) -> float:
        self._scan(self.fake)
        stamp = self.at[index] if index < len(self.at) else None
        return stamp if stamp is not None else self.fake.calls[index].at


def _text_of(message: dict[str, Any]) -> str:
    if message["kind"] == "location" and message.get("location"):
        loc = message["location"]
        return f"location {loc['latitude']:.5f},{loc['longitude']:.5f}"
    return str(message.get("plain_text") or message.get("text") or "")


class Control:
    def __init__(self, fake: FakeTelegram, holds: Holds, stamps: Stamps) -> None:
        self.fake = fake
        self.holds = holds
        self.stamps = stamps
        self.done = asyncio.Event()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/messages", self.messages)
        app.router.add_post("/fail", self.fail)
        app.router.add_post("/delay", self.delay)
        app.router.add_post("/hold", self.hold)
        app.router.add_get("/state", self.state)
        app.router.add_get("/sent", self.sent)
        app.router.add_post("/shutdown", self.shutdown)

    async def messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        language = body.get("language_code", "en")
        ids = []
        for chat_id, text in body["messages"]:
            update = self.fake.message(int(chat_id), str(text), language_code=language)
            ids.append(update["update_id"])
        return web.json_response({"update_ids": ids, "at": time.monotonic()})

    async def fail(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fake.fail(body["method"], status=int(body["status"]),
                       description=body.get("description", ""),
                       retry_after=body.get("retry_after"), times=int(body.get("times", 1)),
                       chat_id=body.get("chat_id"))
        return web.json_response({"ok": True})

    async def delay(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fake.delay(body["method"], float(body["seconds"]))
        return web.json_response({"ok": True})

    async def hold(self, request: web.Request) -> web.Response:
        body = await request.json()
        method, seconds = str(body["method"]).lower(), float(body["seconds"])
        if seconds > 0:
            self.holds.seconds[method] = seconds
        else:
            self.holds.seconds.pop(method, None)
        return web.json_response({"ok": True})

    async def state(self, request: web.Request) -> web.Response:
        calls: dict[str, dict[str, int]] = {}
        last_failure = None
        for call in self.fake.calls:
            status = "unanswered" if call.status is None else str(call.status)
            per = calls.setdefault(call.method, {})
            per[status] = per.get(status, 0) + 1
            if call.failed:
                last_failure = call.at
        pending = self.fake.pending_updates()
        per_chat: dict[str, int] = {}
        for message in self.fake.sent():
            key = str(message["chat_id"])
            per_chat[key] = per_chat.get(key, 0) + 1
        return web.json_response({
            "pending": len(pending), "pending_update_ids": [u["update_id"] for u in pending],
            "calls": calls, "in_flight": {k: v for k, v in self.holds.active.items() if v},
            "held": self.holds.holding,
            "sent": sum(per_chat.values()), "sent_per_chat": per_chat,
            "last_failure_at": last_failure,
            "now": time.monotonic(),
        })

    async def sent(self, request: web.Request) -> web.Response:
        when: dict[tuple[int, int], float] = {}
        for index, call in enumerate(self.fake.calls):
            result = call.result
            if (call.method.lower() in SEND_METHODS and call.status == 200
                    and isinstance(result, dict) and isinstance(result.get("chat"), dict)):
                when[(result["chat"]["id"], result["message_id"])] = \
                    self.stamps.answered_at(index)
        out = []
        for message in self.fake.sent():
            key = (message["chat_id"], message["message_id"])
            out.append({"chat_id": message["chat_id"], "message_id": message["message_id"],
                        "kind": message["kind"], "text": _text_of(message),
                        "edited": message["edited"], "at": when.get(key)})
        return web.json_response({"messages": out, "now": time.monotonic()})

    async def shutdown(self, request: web.Request) -> web.Response:
        self.done.set()
        return web.json_response({"ok": True})


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="the Bot API's port (0: any)")
    parser.add_argument("--control-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--token", default="123456:TEST")
    options = parser.parse_args()

    holds = Holds()
    telegram_api.web = _web_for_fake(options.port, holds)  # type: ignore[attr-defined]
    fake = FakeTelegram(options.token)
    await fake.start()
    stamps = Stamps(fake)
    watcher = asyncio.create_task(stamps.watch())
    control = Control(fake, holds, stamps)
    app = web.Application()
    control.routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", options.control_port)
    await site.start()
    control_port = runner.addresses[0][1]
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, control.done.set)
    print(json.dumps({"base_url": fake.base_url, "token": fake.token,
                      "control_url": f"http://127.0.0.1:{control_port}"}), flush=True)
    try:
        await control.done.wait()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await runner.cleanup()
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
