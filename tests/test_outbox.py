"""The outbox: durable, ordered, once-only delivery, on SQLite and PostgreSQL.

`PlatformDouble` stands in for a messaging platform (it is not our code): it records
what it was asked to send and fails the way platforms fail when told to.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, update

from bot.app import App
from bot.channels.base import DeliveryError, RetryLater, Undeliverable, Unreachable
from bot.config import Config, DatabaseConfig, OutboxConfig, parse_config
from bot.messages import Attachment, Button, Incoming, Location, Reply
from bot.services import chats
from bot.services.outbox import Outbox, parts, reply_from_json, reply_to_json
from bot.storage import Database
from bot.storage.models import Base, Chat, Message, utcnow


class PlatformDouble:
    name = "double"
    text_limit = 50
    edits = False

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply, str]] = []
        self.failures: list[DeliveryError] = []
        self.counter = 0

    async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
        await asyncio.sleep(0)  # a real send yields to the loop; let races happen
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, reply, edit_ref))
        self.counter += 1
        return str(self.counter)


def fast(config: Config) -> Config:
    return replace(config, outbox=OutboxConfig(retry_base_seconds=0.0, retry_max_seconds=0.0,
                                                 max_attempts=3, sweep_seconds=0.05))


async def queue(app: App, user: str, replies: list[Reply], edit_ref: str = ""
                ) -> list[tuple[int, int]]:
    async with app.db.session() as session:
        chat = await chats.get_or_create_chat(session, "double", user)
        rows = await app.outbox.enqueue(session, chat, replies, edit_ref)
        await session.flush()
        return [(row.id, row.chat_id) for row in rows]


async def statuses(db: Database) -> list[str]:
    async with db.session() as session:
        rows = await session.execute(select(Message.status).where(Message.direction == "out")
                                     .order_by(Message.id))
        return [status for (status,) in rows]


def test_reply_round_trips_through_json() -> None:
    reply = Reply("**Hà Long** 하롱", ((Button("A", "article:x"), Button("Map", url="https://m")),),
                  Location(20.9, 107.1, "Hạ Long"), "", True)
    assert reply_from_json(reply_to_json(reply)) == reply


def test_long_text_is_split_with_buttons_on_the_last_part() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "word " * 30 for i in range(6))
    buttons = ((Button("Menu", "menu:main"),),)
    pieces = parts(Reply(text, buttons, edit=True), 400)
    assert len(pieces) > 1
    assert all(len(piece.text) <= 400 for piece in pieces)
    assert [bool(piece.buttons) for piece in pieces] == [False] * (len(pieces) - 1) + [True]
    assert not any(piece.edit for piece in pieces)  # a split reply cannot replace one message
    assert " ".join(p.text for p in pieces).split() == text.split()
    assert parts(Reply("short", buttons, edit=True), 400) == [Reply("short", buttons, edit=True)]


def test_a_file_crossing_platforms_is_a_part_of_its_own_ahead_of_the_words() -> None:
    """A Telegram file for a Zalo chat is fetched and uploaded when sent: alone in its
    row, so it can be retried or refused while the words still go."""
    menu = ((Button("Menu", "menu:main"),),)
    scan = Attachment("document", "file-id", "scan.pdf", "telegram")
    reply = Reply("Please sign it.", menu, attachment=scan, reply_to="12")
    assert parts(reply, 400, "zalo") == [Reply("", attachment=scan, reply_to="12"),
                                         Reply("Please sign it.", menu)]
    assert parts(replace(reply, text=""), 400, "zalo") == [
        Reply("", attachment=scan, reply_to="12")]
    assert parts(reply, 400, "telegram") == [reply]  # its own platform: one message
    linked = replace(reply, attachment=Attachment("photo", "https://zalo.example/a.jpg"))
    assert parts(linked, 400, "telegram") == [linked]  # a public link goes anywhere


async def test_delivered_once_in_order(config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    app.outbox.register(platform)
    rows = await queue(app, "u1", [Reply("one"), Reply("two " * 20), Reply("three")])
    await app.outbox.deliver(rows)
    await app.outbox.deliver(rows)  # a second attempt (another worker, a retry) sends nothing
    assert await app.outbox.sweep() == 0
    texts = [reply.text for _, reply, _ in platform.sent]
    assert texts[0] == "one" and texts[-1] == "three" and len(texts) == 4  # "two..." split
    assert set(await statuses(app.db)) == {"sent"}
    await app.close()


async def test_passing_failure_is_retried_and_holds_later_messages(config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    platform.failures = [RetryLater("502 Bad Gateway")]
    app.outbox.register(platform)
    rows = await queue(app, "u1", [Reply("first"), Reply("second")])
    await app.outbox.deliver(rows)
    assert platform.sent == []  # "second" waited for "first"
    assert await statuses(app.db) == ["pending", "pending"]
    assert await app.outbox.sweep() == 2
    assert [reply.text for _, reply, _ in platform.sent] == ["first", "second"]
    async with app.db.session() as session:
        attempts = (await session.execute(select(Message.attempts).where(
            Message.direction == "out").order_by(Message.id))).scalars().all()
    assert list(attempts) == [2, 1]
    await app.close()


async def test_retry_waits_for_the_platforms_retry_after(config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    platform.failures = [RetryLater("429", after=3600)]
    app.outbox.register(platform)
    rows = await queue(app, "u1", [Reply("later")])
    await app.outbox.deliver(rows)
    assert await app.outbox.sweep() == 0  # not due for an hour
    due = await app.outbox.next_due()
    assert due is not None and due - utcnow() > timedelta(minutes=59)
    await app.close()


async def test_gives_up_after_max_attempts(config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    platform.failures = [RetryLater("503")] * 3
    app.outbox.register(platform)
    rows = await queue(app, "u1", [Reply("doomed"), Reply("next")])
    await app.outbox.deliver(rows)
    for _ in range(3):
        await app.outbox.sweep()
    assert (await statuses(app.db))[0] == "failed"
    assert [reply.text for _, reply, _ in platform.sent] == ["next"]
    await app.close()


async def test_undeliverable_message_does_not_block_the_chat(config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    platform.failures = [Undeliverable("Bad Request: can't parse entities")]
    app.outbox.register(platform)
    await app.outbox.deliver(await queue(app, "u1", [Reply("bad"), Reply("good")]))
    assert await statuses(app.db) == ["failed", "sent"]
    await app.close()


async def test_unreachable_chat_is_marked_and_cleared_when_the_user_returns(
        config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    platform.failures = [Unreachable("Forbidden: bot was blocked by the user")]
    app.outbox.register(platform)
    await app.outbox.deliver(await queue(app, "u1", [Reply("a"), Reply("b")]))
    assert await statuses(app.db) == ["unreachable", "unreachable"]
    assert platform.sent == []
    async with app.db.session() as session:
        chat = (await session.execute(select(Chat))).scalar_one()
        assert chat.unreachable_since is not None
        assert "blocked" in chat.unreachable_reason
    await app.handle(Incoming(channel="double", chat_id="u1", user_id="u1", text="/help",
                              update_id="77"))
    async with app.db.session() as session:
        chat = (await session.execute(select(Chat))).scalar_one()
        assert chat.unreachable_since is None
    assert "/help" in " ".join(reply.text for _, reply, _ in platform.sent)
    await app.close()


async def test_message_left_sending_by_a_dead_process_is_sent_after_restart(
        config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    app.outbox.register(platform)
    rows = await queue(app, "u1", [Reply("survivor")])
    async with app.db.session() as session:  # claimed by a process that then died
        await session.execute(update(Message).values(status="sending",
                                                     claimed_until=utcnow() - timedelta(1)))
    await app.close()
    restarted = await App.create(fast(config), migrate=False)
    restarted.outbox.register(platform)
    assert await restarted.outbox.sweep() == 1
    assert [reply.text for _, reply, _ in platform.sent] == ["survivor"]
    assert rows
    await restarted.close()


async def test_two_workers_send_each_message_once(config: Config) -> None:
    app = await App.create(fast(config))
    other = Outbox(Database(config.database.url), fast(config).outbox)
    platform = PlatformDouble()
    app.outbox.register(platform)
    other.register(platform)
    rows = []
    for user in ("u1", "u2", "u3"):
        rows += await queue(app, user, [Reply(f"{user} {i}") for i in range(4)])
    await asyncio.gather(app.outbox.deliver(rows), other.deliver(rows), app.outbox.sweep(),
                         other.sweep())
    texts = [reply.text for _, reply, _ in platform.sent]
    assert sorted(texts) == sorted(f"{u} {i}" for u in ("u1", "u2", "u3") for i in range(4))
    for user in ("u1", "u2", "u3"):
        assert [t for t in texts if t.startswith(user)] == [f"{user} {i}" for i in range(4)]
    await other.db.close()
    await app.close()


async def test_edit_reference_kept_only_for_edits(config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    app.outbox.register(platform)
    await app.outbox.deliver(await queue(app, "u1", [Reply("menu", edit=True), Reply("new")],
                                         edit_ref="41"))
    assert [(reply.text, ref) for _, reply, ref in platform.sent] == [("menu", "41"), ("new", "")]
    await app.close()


async def test_handled_update_is_skipped_but_an_unhandled_one_is_handled(
        config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    app.outbox.register(platform)
    hello = Incoming(channel="double", chat_id="u9", user_id="u9", text="/help", update_id="5")
    await app.handle(hello)
    once = len(platform.sent)
    await app.handle(hello)
    assert once > 0 and len(platform.sent) == once
    # A process stored update 6 and died before its transaction committed (the handler
    # runs in the same one); Telegram sends the update again.
    crash = Incoming(channel="double", chat_id="u9", user_id="u9", text="/menu", update_id="6")
    async with app.db.sessions() as session:
        chat = await chats.get_or_create_chat(session, "double", "u9")
        stored = await chats.record_incoming(session, chat, crash)
        assert stored is not None
        await session.rollback()
    await app.handle(crash)
    menu = len(platform.sent)
    await app.handle(crash)
    assert menu > once and len(platform.sent) == menu
    await app.close()


async def test_models_match_migrations(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade()

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection)  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
    await db.close()


async def test_waiting_for_authorisation_does_not_use_up_attempts(config: Config) -> None:
    app = await App.create(fast(config))
    platform = PlatformDouble()
    platform.failures = [RetryLater("not authorised", counts=False)] * 6
    app.outbox.register(platform)
    await app.outbox.deliver(await queue(app, "u1", [Reply("patient")]))
    for _ in range(6):
        await app.outbox.sweep()
    assert await statuses(app.db) == ["sent"]  # max_attempts is 3, the waits were 6
    await app.close()


async def test_outcome_of_a_send_survives_a_locked_database(tmp_path: Path) -> None:
    """The platform took the message, then another writer held the database past the busy
    timeout: the `sent` is written once the database is free, and nothing goes twice."""
    path = tmp_path / "locked.db"
    config = replace(parse_config({}, "tests"),
                     database=DatabaseConfig(url=f"sqlite+aiosqlite:///{path}"))
    app = await App.create(fast(config))
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    finish_failed = asyncio.Event()

    class LockingPlatform(PlatformDouble):
        async def send(self, chat_id: str, reply: Reply, edit_ref: str, thread: str = "") -> str:
            ref = await super().send(chat_id, reply, edit_ref)
            holder.execute("BEGIN EXCLUSIVE")  # taken right after the platform said yes
            return ref

    platform = LockingPlatform()
    app.outbox.register(platform)

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "database unavailable where=outbox" in record.getMessage():
                finish_failed.set()

    watch = Watch()
    logging.getLogger("crewbot.database").addHandler(watch)
    try:
        rows = await queue(app, "u1", [Reply("once")])
        delivery = asyncio.create_task(app.outbox.deliver(rows))
        await asyncio.wait_for(finish_failed.wait(), 60)
        holder.execute("ROLLBACK")
        await delivery
    finally:
        logging.getLogger("crewbot.database").removeHandler(watch)
        holder.close()
    assert await statuses(app.db) == ["sent"]
    assert await app.outbox.sweep() == 0
    assert [reply.text for _, reply, _ in platform.sent] == ["once"]
    await app.close()
