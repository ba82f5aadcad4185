"""Durable, ordered, once-only delivery of everything the bot sends.

Outgoing messages are rows of `messages` (direction `out`), written in the same
transaction as the work that produced them. Delivery claims a row (`pending` ->
`sending`) with a conditional UPDATE, so two workers or two processes never send the
same row; a row left `sending` by a process that died is sent again after its claim
expires (the one window where a message can arrive twice: the platform accepted it but
we died before writing `sent`). A claim names the worker (process) that holds it: the
claims of a worker that stopped, or whose process is gone, are released at the next
sweep rather than after the lease. Each row is one platform message: long texts are split
into parts when they are queued, so a retry never repeats a part that already went out.
Rows of one chat go out in order; a failed row holds back the rows queued after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import MediaSources, RetryLater, Sender, Undeliverable, Unreachable
from bot.config import OutboxConfig
from bot.formatting import split_text
from bot.messages import Attachment, Button, Location, Reply
from bot.storage import Database
from bot.storage.errors import Outage, is_transient
from bot.storage.models import Chat, Message, Worker, utcnow

log = logging.getLogger("crewbot.outbox")

# The backstop lease of a claim, for a holder nobody can vouch for either way.
CLAIM = timedelta(seconds=120)
# A live worker beats at least this often; one silent for WORKER_LEASE is gone.
HEARTBEAT_SECONDS = 5.0
WORKER_LEASE = timedelta(seconds=20)
# How long recording a send's outcome insists through a database outage: a `sent`
# that is never written means the message goes out again after recovery.
FINISH_PATIENCE_SECONDS = 600.0
HOSTNAME = socket.gethostname()[:200]


# (chat id, outcome, the platform's reason). The outcome is "unreachable" (the chat
# takes nothing now), "failed" (this message will not arrive), or "file" (a file that
# went as a row of its own, one crossing from another platform, will not arrive; the
# words that came with it are rows of their own).
UndeliveredHook = Callable[[int, str, str], Awaitable[None]]


def new_worker_id() -> str:
    return f"{HOSTNAME[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _process_gone(pid: int) -> bool:
    """On this host: is there no process with this id? (A reused id reads as alive.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def reply_to_json(reply: Reply) -> str:
    data: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        data["buttons"] = [[[b.label, b.action, b.url] for b in row] for row in reply.buttons]
    if reply.location is not None:
        loc = reply.location
        data["location"] = [loc.latitude, loc.longitude, loc.title]
    if reply.image_url:
        data["image_url"] = reply.image_url
    if reply.edit:
        data["edit"] = True
    if reply.attachment is not None:
        a = reply.attachment
        data["attachment"] = [a.kind, a.ref, a.name, a.channel]
    if reply.reply_to:
        data["reply_to"] = reply.reply_to
    return json.dumps(data, ensure_ascii=False)


def reply_from_json(raw: str) -> Reply:
    data = json.loads(raw)
    buttons = tuple(tuple(Button(*b) for b in row) for row in data.get("buttons", ()))
    location = Location(*data["location"]) if "location" in data else None
    attachment = Attachment(*data["attachment"]) if "attachment" in data else None
    return Reply(data["text"], buttons, location, data.get("image_url", ""),
                 bool(data.get("edit", False)), attachment, str(data.get("reply_to", "")))


def parts(reply: Reply, limit: int, channel: str = "") -> list[Reply]:
    """One reply as the platform messages it takes; buttons ride on the last one.

    An edit survives only when the reply fits one message: replacing a menu with the
    first of several parts would leave the rest dangling after it.

    An attachment that must cross to another platform (`channel` is where the reply
    goes; the attachment's ref is only good on its own channel) is a part of its own,
    ahead of the words: it is fetched and uploaded when sent, which may be retried, or
    refused (too big, a type the platform does not take) and reported, while the words
    still go.
    """
    attachment = reply.attachment
    if attachment is not None and attachment.channel and channel \
            and attachment.channel != channel:
        alone = Reply("", attachment=attachment, reply_to=reply.reply_to)
        if not reply.text.strip():
            return [alone]
        return [alone, *parts(replace(reply, attachment=None, reply_to="", edit=False),
                                     limit, channel)]
    if (reply.location is not None or reply.image_url or reply.attachment is not None
            or not limit or len(reply.text) <= limit):
        return [reply]
    chunks = split_text(reply.text, limit)
    head = [Reply(chunk) for chunk in chunks[:-1]]
    return [*head, Reply(chunks[-1], reply.buttons)]


def _failure(reply: Reply) -> str:
    """The undelivered outcome of a row given up: a file alone, or a message."""
    alone = reply.attachment is not None and not reply.text.strip()
    return "file" if alone else "failed"


@dataclass(frozen=True)
class Claimed:
    """One outgoing row this worker holds the claim on, with what sending it needs."""

    message_id: int
    chat_id: int
    channel: str
    external_id: str
    reply: Reply
    edit_ref: str
    attempts: int
    thread: str = ""


class Outbox:
    def __init__(self, db: Database, settings: OutboxConfig, outage: Outage | None = None
                 ) -> None:
        self.db = db
        self.settings = settings
        self.outage = outage or Outage()
        self.worker_id = new_worker_id()
        self.senders: dict[str, Sender] = {}
        # Where a sender finds the bytes behind another platform's attachment (a staff
        # member's Telegram file for a Zalo crew); channels register theirs at start.
        self.media = MediaSources()
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._wake = asyncio.Event()
        self._last_beat = 0.0
        self.registered = False
        self.queued = 0  # rows queued by this process, to tell a handler's other chats
        self._undelivered_hooks: list[UndeliveredHook] = []

    def on_undelivered(self, hook: UndeliveredHook) -> None:
        """Someone to tell when a message will not arrive (the staff desk, for relays)."""
        self._undelivered_hooks.append(hook)

    async def _undelivered(self, chat_id: int, outcome: str, reason: str) -> None:
        for hook in self._undelivered_hooks:
            try:
                await hook(chat_id, outcome, reason)
            except Exception:  # telling is best effort; the row's status is what counts
                log.exception("undelivered hook failed chat=%s", chat_id)

    def wake(self) -> None:
        """Sweep now: rows were committed for chats other than the one being answered
        (status notices, relays), and should not wait for the next timer."""
        self._wake.set()

    def register(self, sender: Sender) -> None:
        self.senders[sender.name] = sender

    def delivers(self, channel: str) -> bool:
        return channel in self.senders

    def edits(self, channel: str) -> bool:
        sender = self.senders.get(channel)
        return sender is not None and sender.edits

    async def enqueue(self, session: AsyncSession, chat: Chat, replies: Iterable[Reply],
                      edit_ref: str = "", claim: bool = False, thread: str = ""
                      ) -> list[Message]:
        """Queue replies for `chat` (in its forum topic `thread`, if any); on channels
        without a sender they are only logged.

        With `claim`, the rows are born claimed by the caller (`sending`), who sends them
        right after the commit; that saves a claim round trip per message. Not when an
        older message of the chat still waits: order comes first, the sweep sends both.
        """
        sender = self.senders.get(chat.channel)
        now = utcnow()
        pieces = [piece for reply in replies
                  for piece in (parts(reply, sender.text_limit, chat.channel) if sender
                                else [reply])]
        if sender is not None and claim and pieces:
            waiting = await session.scalar(select(Message.id).where(
                Message.chat_id == chat.id, Message.direction == "out",
                Message.status.in_(("pending", "sending"))).limit(1))
            claim = waiting is None
        status = ("sending" if claim else "pending") if sender else "done"
        if sender is not None and chat.unreachable_since is not None:
            # The platform refused this chat for good; it clears when the user writes
            # again (`get_or_create_chat`). Kept for staff, not tried and retried.
            status = "unreachable"
        rows: list[Message] = []
        for piece in pieces:
            row = Message(
                channel=chat.channel, chat_id=chat.id, direction="out", text=piece.text,
                action="", platform_id=None, created_at=now, status=status,
                payload=reply_to_json(piece),
                edit_ref=edit_ref if piece.edit and edit_ref else None, thread_id=thread or None,
                attempts=1 if status == "sending" else 0, next_attempt_at=now,
                claimed_until=now + CLAIM if status == "sending" else None, last_error="",
                claimed_by=self.worker_id if status == "sending" else None,
            )
            session.add(row)
            rows.append(row)
        self.queued += len(rows)
        return rows

    def _backoff(self, attempts: int, hint: float | None) -> timedelta:
        delay = self.settings.retry_base_seconds * (2 ** max(attempts - 1, 0))
        delay = min(delay, self.settings.retry_max_seconds)
        return timedelta(seconds=max(delay, hint or 0.0))

    async def _claim(self, message_id: int) -> Claimed | None:
        now = utcnow()
        async with self.db.session() as session:
            claimed = (await session.execute(
                update(Message)
                .where(Message.id == message_id, Message.status == "pending",
                       or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
                .values(status="sending", claimed_until=now + CLAIM,
                        claimed_by=self.worker_id, attempts=Message.attempts + 1)
                .returning(Message.chat_id, Message.channel, Message.payload, Message.text,
                           Message.edit_ref, Message.attempts, Message.thread_id)
            )).one_or_none()
            if claimed is None:
                return None
            chat_id, channel, payload, text, edit_ref, attempts, thread = claimed
            external_id = await session.scalar(select(Chat.external_id)
                                               .where(Chat.id == chat_id))
        reply = reply_from_json(payload or json.dumps({"text": text}))
        return Claimed(message_id, chat_id, channel, external_id or "", reply, edit_ref or "",
                       attempts, thread or "")

    async def _finish(self, message_id: int, **values: Any) -> None:
        """Record a send's outcome, insisting through an outage: after a send that went
        out, a lost `sent` would leave the row claimed and holding back the chat, then
        send it twice. Whatever the driver calls the outage (`is_transient`)."""
        deadline = time.monotonic() + FINISH_PATIENCE_SECONDS
        pause = 0.25
        while True:
            try:
                async with self.db.session() as session:
                    await session.execute(update(Message).where(Message.id == message_id)
                                          .values(claimed_until=None, claimed_by=None,
                                                  **values))
                self.outage.recovered()
                return
            except Exception as error:
                if not is_transient(error) or time.monotonic() > deadline:
                    raise
                self.outage.failed(error, "outbox")
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def _mark_unreachable(self, item: Claimed, reason: str) -> None:
        """Stop writing to a chat the platform refuses; its rows wait for staff to see."""
        now = utcnow()
        async with self.db.session() as session:
            await session.execute(
                update(Message)
                .where(Message.chat_id == item.chat_id, Message.direction == "out",
                       or_(Message.id == item.message_id,
                           Message.status.in_(("pending", "sending"))))
                .values(status="unreachable", claimed_until=None, claimed_by=None,
                        last_error=reason[:512]))
            await session.execute(update(Chat).where(Chat.id == item.chat_id)
                                  .values(unreachable_since=now, unreachable_reason=reason[:256]))

    async def _send(self, message_id: int) -> str:
        """Claim one row and try it once; its status afterwards, or `skipped` if not ours."""
        item = await self._claim(message_id)
        if item is None:
            return "skipped"
        return await self._attempt(item)

    async def _attempt(self, item: Claimed) -> str:
        """Send one claimed row once and record the outcome; returns its new status."""
        sender = self.senders.get(item.channel)
        if sender is None:
            await self._finish(item.message_id, status="pending")
            return "pending"
        try:
            ref = await sender.send(item.external_id, item.reply, item.edit_ref, item.thread)
        except Unreachable as error:
            log.warning("chat unreachable channel=%s chat=%s reason=%s", item.channel,
                        item.chat_id, error.reason)
            await self._mark_unreachable(item, error.reason)
            await self._undelivered(item.chat_id, "unreachable", error.reason)
            return "unreachable"
        except Undeliverable as error:
            log.error("message undeliverable id=%s channel=%s reason=%s", item.message_id,
                      item.channel, error.reason)
            await self._finish(item.message_id, status="failed", last_error=error.reason[:512])
            await self._undelivered(item.chat_id, _failure(item.reply), error.reason)
            return "failed"
        except Exception as error:  # RetryLater, or anything unexpected from the platform
            after = error.after if isinstance(error, RetryLater) else None
            reason = error.reason if isinstance(error, RetryLater) else repr(error)
            if not isinstance(error, RetryLater):
                log.exception("send raised id=%s channel=%s", item.message_id, item.channel)
            counts = not isinstance(error, RetryLater) or error.counts
            attempts = item.attempts if counts else item.attempts - 1
            if counts and item.attempts >= self.settings.max_attempts:
                log.error("message given up id=%s channel=%s attempts=%s reason=%s",
                          item.message_id, item.channel, item.attempts, reason)
                await self._finish(item.message_id, status="failed", last_error=reason[:512])
                await self._undelivered(item.chat_id, _failure(item.reply), reason)
                return "failed"
            due = utcnow() + self._backoff(item.attempts, after)
            log.info("send deferred id=%s channel=%s attempt=%s reason=%s", item.message_id,
                     item.channel, item.attempts, reason)
            await self._finish(item.message_id, status="pending", next_attempt_at=due,
                               attempts=attempts, last_error=reason[:512])
            self._wake.set()
            return "pending"
        await self._finish(item.message_id, status="sent", sent_ref=ref[:128] or None,
                           last_error="")
        return "sent"

    async def send_claimed(self, rows: list[Message], external_id: str) -> None:
        """Send rows `enqueue(claim=True)` created, in order; hand back what is left."""
        rows = [row for row in rows if row.status == "sending"]
        if not rows:
            return
        async with self._locks[rows[0].chat_id]:
            for number, row in enumerate(rows):
                item = Claimed(row.id, row.chat_id, row.channel, external_id,
                               reply_from_json(row.payload or "{}"), row.edit_ref or "", 1,
                               row.thread_id or "")
                status = await self._attempt(item)
                if status not in ("sent", "failed"):
                    rest = [later.id for later in rows[number + 1:]]
                    if rest:  # released for the sweep, behind the one that must go first
                        async with self.db.session() as session:
                            await session.execute(
                                update(Message).where(Message.id.in_(rest),
                                                      Message.status == "sending")
                                .values(status="pending", claimed_until=None,
                                        claimed_by=None, attempts=0))
                    return

    async def deliver(self, rows: Iterable[tuple[int, int]]) -> dict[int, str]:
        """Send `(message id, chat id)` rows now, chat by chat, in order."""
        by_chat: defaultdict[int, list[int]] = defaultdict(list)
        for message_id, chat_id in rows:
            by_chat[chat_id].append(message_id)
        results: dict[int, str] = {}
        for chat_id, ids in by_chat.items():
            async with self._locks[chat_id]:
                if await self._blocked_before(chat_id, min(ids)):
                    continue  # an older row is waiting for a retry; order comes first
                for message_id in sorted(ids):
                    results[message_id] = status = await self._send(message_id)
                    if status not in ("sent", "failed"):
                        break
        return results

    async def _blocked_before(self, chat_id: int, message_id: int) -> bool:
        async with self.db.session() as session:
            older = await session.scalar(
                select(func.count()).select_from(Message).where(
                    Message.chat_id == chat_id, Message.direction == "out",
                    Message.id < message_id, Message.status.in_(("pending", "sending"))))
        return bool(older)

    async def sweep(self) -> int:
        """Send what is due: retries, and what a stopped process left behind."""
        now = utcnow()
        channels = list(self.senders)
        if not channels:
            return 0
        async with self.db.session() as session:
            await self._recover(session)
            pending = (await session.execute(
                select(Message.id, Message.chat_id, Message.next_attempt_at)
                .where(Message.status == "pending", Message.direction == "out",
                       Message.channel.in_(channels))
                .order_by(Message.id).limit(1000))).all()
        first_due: dict[int, bool] = {}
        due: list[tuple[int, int]] = []
        for message_id, chat_id, next_at in pending:
            if chat_id not in first_due:
                first_due[chat_id] = next_at is None or next_at <= now
            if first_due[chat_id]:
                due.append((message_id, chat_id))
        results = await self.deliver(due)
        return sum(1 for status in results.values() if status == "sent")

    async def _recover(self, session: AsyncSession) -> None:
        """Release claims that nobody will finish: an expired lease, or a holder that is
        stopped, silent or gone from this host. The sends they stood for may have gone
        out (the one duplicate window); they are sent again, in order."""
        now = utcnow()
        holders = (await session.scalars(
            select(Message.claimed_by).where(Message.status == "sending",
                                             Message.claimed_by.is_not(None),
                                             Message.claimed_by != self.worker_id)
            .distinct())).all()
        dead: list[str] = []
        for holder in holders:
            assert holder is not None
            worker = await session.get(Worker, holder)
            if worker is None:
                continue  # not registered (yet): only its lease can tell
            if (worker.stopped_at is not None
                    or worker.heartbeat_at < now - WORKER_LEASE
                    or (worker.hostname == HOSTNAME and _process_gone(worker.pid))):
                dead.append(holder)
        released = await session.execute(
            update(Message)
            .where(Message.status == "sending", Message.channel.in_(list(self.senders)),
                   or_(Message.claimed_until < now, Message.claimed_by.in_(dead)))
            .values(status="pending", claimed_until=None, claimed_by=None))
        count = getattr(released, "rowcount", 0) or 0
        if count:
            log.warning("claims recovered rows=%s from=%s", count, ",".join(dead) or "expired")

    async def register_worker(self) -> None:
        if self.registered:
            return
        async with self.db.session() as session:
            now = utcnow()
            session.add(Worker(id=self.worker_id, hostname=HOSTNAME, pid=os.getpid(),
                               started_at=now, heartbeat_at=now))
        self._last_beat = time.monotonic()
        self.registered = True

    async def heartbeat(self) -> None:
        if time.monotonic() - self._last_beat < HEARTBEAT_SECONDS / 2:
            return
        async with self.db.session() as session:
            await session.execute(update(Worker).where(Worker.id == self.worker_id)
                                  .values(heartbeat_at=utcnow()))
        self._last_beat = time.monotonic()

    async def retire(self) -> None:
        """Say this worker is gone, so its leftover claims (if any) are recovered at once."""
        if not self.registered:
            return
        async with self.db.session() as session:
            await session.execute(update(Worker).where(Worker.id == self.worker_id)
                                  .values(stopped_at=utcnow()))

    async def next_due(self) -> datetime | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(func.min(Message.next_attempt_at))
                .where(Message.status == "pending", Message.direction == "out",
                       Message.channel.in_(list(self.senders))))

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep at start (what a restart left), then whenever a retry falls due, and
        beat the worker's heart in between."""
        while not stop.is_set():
            wait = min(self.settings.sweep_seconds, HEARTBEAT_SECONDS)
            try:
                await self.register_worker()
                await self.heartbeat()
                await self.sweep()
                upcoming = await self.next_due()
                if upcoming is not None:
                    wait = min(wait, max((upcoming - utcnow()).total_seconds(), 0.01))
                self.outage.recovered()
            except Exception as error:
                if is_transient(error):
                    self.outage.failed(error, "outbox")
                    wait = min(wait, 1.0)
                else:
                    log.exception("outbox sweep failed")
            self._wake.clear()
            stopping = asyncio.ensure_future(stop.wait())
            waking = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({stopping, waking}, timeout=wait,
                               return_when=asyncio.FIRST_COMPLETED)
            for waiter in (stopping, waking):
                waiter.cancel()
