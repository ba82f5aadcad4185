"""What the real platforms send, posted to the running bot's webhooks (tests/corpus).

Each file under tests/corpus/ is one update or event transcribed from a public source
(tests/corpus/SOURCES.md): Telegram updates of every kind, Zalo Official Account webhook
events and Zalo Bot Platform updates. For each channel and database backend one bot runs
(`bot.runner.serve`, as `crewbot run`) against the fakes, and every sample goes through
the channel's webhook in turn, the way the platform delivers it:

- Telegram: the fake Bot API delivers it to the URL the bot registered with setWebhook,
  with the secret token (and retries a refused delivery, as Telegram does);
- Zalo OA: signed with the OA secret key as Zalo signs it (`FakeZaloOA.post_event`),
  timestamped now so that the freshness check passes;
- Zalo Bot Platform: posted with the `X-Bot-Api-Secret-Token` given to setWebhook.

For every sample: never a 5xx; a Telegram update with an integer update_id (even one
python-telegram-bot cannot parse) and a correctly signed Zalo event get 200; no ERROR
log record and no traceback; and its `expect`: "answer" means at least one message was
sent back to that chat (in the same forum topic for a topic message), "silent" that no
message was sent to anyone. Samples are handled one at a time: after each, the test waits
until the webhook answered, the background sends finished and the outbox holds nothing
pending, so what was sent in between belongs to that sample. All problems are collected
and reported together, one line per sample.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import (
    Config,
    OutboxConfig,
    StaffConfig,
    TelegramConfig,
    WebConfig,
    ZaloConfig,
)
from bot.runner import Running
from bot.storage.models import Message
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZaloBot, FakeZaloOA, now_ms
from tests.harness import free_port, running, wait_until

CORPUS = Path(__file__).resolve().parent / "corpus"
# The staff desk group of the Telegram samples staff_desk_* (nothing is answered there).
STAFF_DESK_CHAT = -1001987654321
TELEGRAM_SECRET = "corpus-webhook-secret"
ZALO_BOT_SECRET = "corpus-zalo-bot-secret"
ZALO_PATH = "/zalo/webhook"
# Telegram methods that put a message in a chat (sendChatAction does not).
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")
_MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post",
                 "business_message", "edited_business_message")


@dataclass(frozen=True)
class Sample:
    name: str
    data: dict[str, Any]

    @property
    def expect(self) -> str:
        return str(self.data["expect"])

    @property
    def body(self) -> Any:
        return self.data.get("update", self.data.get("event"))


def load(folder: str) -> list[Sample]:
    samples = [Sample(path.name, json.loads(path.read_text(encoding="utf-8")))
               for path in sorted((CORPUS / folder).glob("*.json"))]
    assert samples, f"no samples in tests/corpus/{folder}"
    for sample in samples:
        assert sample.expect in ("answer", "silent"), sample.name
        assert sample.body is not None and sample.data.get("source"), sample.name
    return samples


def test_corpus_has_enough_samples_of_every_platform() -> None:
    telegram, oa, zbot = load("telegram"), load("zalo_oa"), load("zalo_bot")
    assert len(telegram) >= 110 and len(oa) >= 25 and len(zbot) >= 10
    assert any(s.data.get("unparseable") for s in telegram)
    assert {s.expect for s in telegram} == {s.expect for s in oa} == {"answer", "silent"}


def fast_outbox() -> OutboxConfig:
    return OutboxConfig(retry_base_seconds=0.0, retry_max_seconds=0.0, max_attempts=5,
                        sweep_seconds=0.05)


def log_problems(caplog: pytest.LogCaptureFixture, start: int) -> list[str]:
    """ERROR records and tracebacks logged since record number `start`."""
    found = []
    for record in caplog.records[start:]:
        if record.levelno >= logging.ERROR or record.exc_info or "Traceback" in (
                record.exc_text or ""):
            found.append(f"{record.levelname} {record.name}: {record.getMessage()[:160]}")
    return found


async def out_rows(bot: Running) -> int:
    """Outgoing messages the bot has queued so far (sent or not)."""
    async with bot.app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Message).where(
            Message.direction == "out")) or 0)


async def settle(bot: Running) -> str:
    """Wait for the background sends and an outbox with nothing pending; '' or a problem."""
    await bot.app.settled()

    async def quiet() -> bool:
        async with bot.app.db.session() as session:
            busy = await session.scalar(select(func.count()).select_from(Message).where(
                Message.direction == "out", Message.status.in_(("pending", "sending"))))
        return not busy

    try:
        await wait_until(quiet, limit=10.0)
    except TimeoutError:
        return "outbox still holds pending replies after 10 s"
    return ""


def judge(sample: Sample, answered: list[str], elsewhere: list[str],
          wrong_topic: list[str], queued: int) -> list[str]:
    """The sample's `expect` against what was sent: `answered` went to the sample's own
    chat, `elsewhere` to any other chat, `wrong_topic` outside the sample's forum topic;
    `queued` is how many outgoing rows the bot wrote for it (sent or not)."""
    if sample.expect == "answer":
        problems = [] if answered else ["expected an answer, nothing was sent to the chat"]
        if wrong_topic:
            problems.append(f"answered outside the forum topic: {wrong_topic}")
        return problems
    sent = answered + elsewhere
    problems = [f"expected silence, sent {len(sent)} message(s): {sent[:3]}"] if sent else []
    if queued and not sent:
        problems.append(f"expected silence, {queued} reply row(s) queued")
    return problems


# -- Telegram ---------------------------------------------------------------------------------

def telegram_target(update: dict[str, Any]) -> tuple[Any, Any]:
    """(chat id, forum topic id or None) the sample's answer belongs to."""
    for key in _MESSAGE_KEYS:
        message = update.get(key)
        if isinstance(message, dict):
            chat = message.get("chat")
            thread = (message.get("message_thread_id")
                      if message.get("is_topic_message") else None)
            return (chat.get("id") if isinstance(chat, dict) else None), thread
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        chat = query["message"].get("chat")
        return (chat.get("id") if isinstance(chat, dict) else None), None
    return None, None


def telegram_config(config: Config, fake: FakeTelegram, port: int) -> Config:
    url = f"http://127.0.0.1:{port}/telegram/hook"
    return replace(
        config,
        telegram=TelegramConfig(token=fake.token, api_base_url=fake.base_url, poll_timeout=5,
                                mode="webhook", webhook_url=url,
                                webhook_secret=TELEGRAM_SECRET),
        web=WebConfig(host="127.0.0.1", port=port), outbox=fast_outbox(),
        staff=StaffConfig(telegram_chat_id=STAFF_DESK_CHAT))


async def test_telegram_real_updates_through_the_webhook(
        config: Config, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    samples = load("telegram")
    problems: list[str] = []
    async with FakeTelegram() as fake:
        fake.webhook_retry_delay = 0.01
        async with running(telegram_config(config, fake, free_port())) as bot:
            assert fake.webhook_url.endswith("/telegram/hook")
            for number, sample in enumerate(samples):
                update = copy.deepcopy(sample.body)
                update_id = 500_000_000 + number  # unique whatever the sources used
                update["update_id"] = update_id
                calls, logs, rows = len(fake.calls), len(caplog.records), await out_rows(bot)
                fake.inject(update)

                def delivered(f: FakeTelegram, uid: int = update_id) -> bool:
                    return (any(d.update_id == uid for d in f.webhook_deliveries)
                            and all(u.get("update_id") != uid for u in f.pending_updates()))

                await fake.wait_for(delivered, timeout=30)
                found: list[str] = []
                statuses = [d.status for d in fake.webhook_deliveries
                            if d.update_id == update_id]
                if statuses[0] != 200:
                    found.append(f"webhook answered {statuses[0]}, expected 200"
                                 f" (all tries: {statuses})")
                if any(status >= 500 or status == 0 for status in statuses):
                    found.append(f"a 5xx or no answer among the tries: {statuses}")
                if problem := await settle(bot):
                    found.append(problem)
                chat_id, thread = telegram_target(update)
                answered: list[str] = []
                elsewhere: list[str] = []
                wrong_topic: list[str] = []
                for call in fake.calls[calls:]:
                    if (not call.method.lower().startswith(_MESSAGE_PREFIXES)
                            or call.method == "sendChatAction"):
                        continue
                    label = f"{call.method}->{call.chat_id}[{call.status}]"
                    if chat_id is not None and str(call.chat_id) == str(chat_id):
                        if call.status == 200:
                            answered.append(label)
                        if thread is not None and call.params.get("message_thread_id") != thread:
                            wrong_topic.append(label)
                    else:
                        elsewhere.append(label)
                queued = await out_rows(bot) - rows
                found += judge(sample, answered, elsewhere, wrong_topic, queued)
                found += log_problems(caplog, logs)
                problems += [f"telegram {sample.name}: {p}" for p in found]
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


# -- Zalo Official Account --------------------------------------------------------------------

def oa_target(event: dict[str, Any]) -> str:
    """The user an answer to this event goes to."""
    for key in ("sender", "follower"):
        who = event.get(key)
        if isinstance(who, dict) and who.get("id"):
            return str(who["id"])
    return ""


async def test_zalo_oa_real_events_through_the_signed_webhook(
        config: Config, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    samples = load("zalo_oa")
    problems: list[str] = []
    async with FakeZaloOA() as oa:
        configured = replace(config, zalo=ZaloConfig(
            api="oa", app_id=oa.app_id, app_secret=oa.app_secret, oa_secret_key=oa.oa_secret_key,
            refresh_token=oa.refresh_token, api_base_url=oa.base_url,
            oauth_base_url=oa.base_url, sends_per_second=1000.0),
            web=WebConfig(host="127.0.0.1", port=0), outbox=fast_outbox())
        async with running(configured) as bot:
            url = bot.web.base_url + ZALO_PATH
            for sample in samples:
                event = copy.deepcopy(sample.body)
                assert event.get("app_id") in (None, oa.app_id), sample.name
                calls, logs, rows = len(oa.calls), len(caplog.records), await out_rows(bot)
                # Signed as Zalo signs it; the timestamp is now, so the event is fresh.
                status = await oa.post_event(url, event, timestamp=now_ms())
                found = [] if status == 200 else [f"webhook answered {status}, expected 200"]
                if problem := await settle(bot):
                    found.append(problem)
                answered, elsewhere = sends_by_target(
                    oa.calls[calls:], ("message/cs",), oa_target(event),
                    lambda call: str(((call.params.get("body") or {}).get("recipient")
                                      or {}).get("user_id", "")))
                found += judge(sample, answered, elsewhere, [], await out_rows(bot) - rows)
                found += log_problems(caplog, logs)
                problems += [f"zalo_oa {sample.name}: {p}" for p in found]
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def sends_by_target(calls: list[Any], names: tuple[str, ...], target: str,
                    recipient: Callable[[Any], str]) -> tuple[list[str], list[str]]:
    """The fake's send calls: those that reached `target` (answered), and any elsewhere."""
    answered: list[str] = []
    elsewhere: list[str] = []
    for call in calls:
        if call.name not in names:
            continue
        to = recipient(call)
        label = f"{call.name}->{to}[{call.outcome}]"
        if target and to == target:
            if call.outcome == "ok":
                answered.append(label)
        else:
            elsewhere.append(label)
    return answered, elsewhere


# -- Zalo Bot Platform ------------------------------------------------------------------------

def bot_target(body: dict[str, Any]) -> str:
    update = body.get("result") if "ok" in body and "event_name" not in body else body
    message = update.get("message") if isinstance(update, dict) else None
    chat = message.get("chat") if isinstance(message, dict) else None
    return str(chat.get("id", "")) if isinstance(chat, dict) else ""


async def test_zalo_bot_real_updates_through_the_webhook(
        config: Config, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    samples = load("zalo_bot")
    problems: list[str] = []
    async with FakeZaloBot() as zbot:
        port = free_port()
        configured = replace(config, zalo=ZaloConfig(
            api="bot", bot_token=zbot.token, api_base_url=zbot.base_url, sends_per_second=1000.0,
            mode="webhook", webhook_url=f"http://127.0.0.1:{port}{ZALO_PATH}",
            webhook_secret=ZALO_BOT_SECRET),
            web=WebConfig(host="127.0.0.1", port=port), outbox=fast_outbox())
        async with running(configured) as bot:
            assert zbot.webhook_secret == ZALO_BOT_SECRET
            for sample in samples:
                body = copy.deepcopy(sample.body)
                calls, logs, rows = len(zbot.calls), len(caplog.records), await out_rows(bot)
                status = await zbot.post_webhook(body, ZALO_BOT_SECRET)
                found = [] if status == 200 else [f"webhook answered {status}, expected 200"]
                if problem := await settle(bot):
                    found.append(problem)
                answered, elsewhere = sends_by_target(
                    zbot.calls[calls:], ("sendMessage", "sendPhoto"), bot_target(body),
                    lambda call: str(call.params.get("chat_id", "")))
                found += judge(sample, answered, elsewhere, [], await out_rows(bot) - rows)
                found += log_problems(caplog, logs)
                problems += [f"zalo_bot {sample.name}: {p}" for p in found]
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
