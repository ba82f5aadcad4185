"""Escalations between crew chats and the staff desk, every relay a stored message.

The desk is a chat like any other (the `[staff] telegram_chat_id` group), and each
escalation has its own place in it (`DeskTopic`, a forum topic on Telegram). Every
message either way is an `EscalationMessage` and an outbox row written in the same
transaction, so a relay is delivered once, in order, across restarts, and a crew's
message never waits in memory. Internal notes are stored and never relayed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median, quantiles

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import TOPIC_PREFIX
from bot.config import Config
from bot.i18n import Catalogs, Translator
from bot.messages import Attachment, Button, Reply
from bot.services import chats
from bot.services.applications import Applications
from bot.services.applications import texts as application_texts
from bot.services.outbox import Outbox
from bot.storage import Database
from bot.storage.models import (
    Chat,
    DeskTopic,
    Escalation,
    EscalationMessage,
    Message,
    utcnow,
)

log = logging.getLogger("crewbot.escalations")

OPEN = "open"
CLOSED = "closed"
DESK_CHANNEL = "telegram"
UNREACHABLE_WORDS = ("⚠️ Not delivered: the crew's chat does not accept messages from the "
                     "bot any more (they blocked it, left, or Zalo's reply window has "
                     "closed). Reach them another way. ({reason})")
# The one documented rule that keeps a message inside the desk: it starts with /note.
NOTE_COMMAND = "note"


@dataclass(frozen=True)
class Stats:
    total: int
    open: int
    answered: int
    median_minutes: float | None
    p90_minutes: float | None
    ratings: list[int]


class DeskNotConfigured(Exception):
    """No `[staff] telegram_chat_id`: there is nobody to pass a question to."""


KEY_PREFIX = "escalation:"


def department_says(t: Translator, text: str) -> str:
    """A desk answer as the crew sees it: from the department, not from a person."""
    return f"**{t.gettext('Cinema Department')}:** {text}".rstrip(" ")


def recorded(text: str, attachment: Attachment | None) -> str:
    """How a relayed message is kept in the escalation's history."""
    return f"[{attachment.kind}] {text}".strip() if attachment else text


def topic_key(escalation: Escalation) -> str:
    return f"{KEY_PREFIX}{escalation.id}"


def escalation_id(key: str | None) -> int | None:
    """The escalation a desk place belongs to (`topic_key` read back), if any."""
    if not key or not key.startswith(KEY_PREFIX) or not key[len(KEY_PREFIX):].isdigit():
        return None
    return int(key[len(KEY_PREFIX):])


class Escalations:
    def __init__(self, config: Config, db: Database, outbox: Outbox, catalogs: Catalogs,
                 applications: Applications) -> None:
        self.config = config
        self.db = db
        self.outbox = outbox
        self.catalogs = catalogs
        self.applications = applications

    @property
    def configured(self) -> bool:
        return bool(self.config.staff.telegram_chat_id)

    async def current(self, session: AsyncSession, chat: Chat) -> Escalation | None:
        return await session.scalar(select(Escalation).where(
            Escalation.chat_id == chat.id, Escalation.status == OPEN))

    async def by_reply(self, session: AsyncSession, desk_message_ref: str
                       ) -> Escalation | None:
        """In a desk without forum topics staff answer by replying to the card or to a
        crew's message there: the outbox row that put it in the desk names the place."""
        desk = await self.desk_chat(session)
        thread = await session.scalar(select(Message.thread_id).where(
            Message.chat_id == desk.id, Message.direction == "out",
            Message.sent_ref == desk_message_ref).order_by(Message.id).limit(1))
        key = thread[len(TOPIC_PREFIX):] if thread and thread.startswith(TOPIC_PREFIX) else ""
        return await self._get(session, escalation_id(key))

    async def by_thread(self, session: AsyncSession, thread_id: str) -> Escalation | None:
        key = await session.scalar(select(DeskTopic.key).where(DeskTopic.thread_id == thread_id))
        return await self._get(session, escalation_id(key))

    @staticmethod
    async def _get(session: AsyncSession, found: int | None) -> Escalation | None:
        return await session.get(Escalation, found) if found is not None else None

    async def open(self, session: AsyncSession, chat: Chat, language: str, question: str,
                   best_article: str = "", best_score: float = 0.0
                   ) -> tuple[Escalation, bool]:
        """The chat's open escalation, or a new one (True) with its card in the desk."""
        if not self.configured:
            raise DeskNotConfigured
        existing = await self.current(session, chat)
        if existing is not None:
            if question:
                await self.from_crew(session, existing, chat, question)
            return existing, False
        escalation = Escalation(chat_id=chat.id, channel=chat.channel, language=language,
                                question=question, best_article=best_article,
                                best_score=best_score, status=OPEN, claimed_by="",
                                opened_at=utcnow())
        try:
            async with session.begin_nested():
                session.add(escalation)
                await session.flush()
        except IntegrityError:  # the same chat opened one a moment ago (another process)
            existing = await self.current(session, chat)
            if existing is None:
                raise
            return existing, False
        if question:
            session.add(EscalationMessage(escalation_id=escalation.id, direction="crew",
                                          author=chat.display_name[:128], text=question,
                                          created_at=utcnow()))
        await self._topic(session, escalation, chat)
        await self._to_desk(session, escalation, await self._card(session, escalation, chat))
        log.info("escalation opened id=%s chat=%s language=%s", escalation.id, chat.id,
                 language)
        return escalation, True

    async def _topic(self, session: AsyncSession, escalation: Escalation, chat: Chat) -> None:
        followed = await self.applications.followed(session, chat)
        references = " · ".join(a.reference for a in followed[:2])
        title = f"[{escalation.language}] {chat.display_name or chat.external_id}"
        if references:
            title += f" · {references}"
        session.add(DeskTopic(key=topic_key(escalation), title=title[:128], thread_id=None,
                              created_at=utcnow()))
        await session.flush()

    def desk_translator(self) -> Translator:
        """The desk reads Vietnamese where the bot speaks it, else English."""
        return self.catalogs.get("vi" if "vi" in self.config.bot.languages else "en")

    async def _card(self, session: AsyncSession, escalation: Escalation, chat: Chat) -> str:
        """What staff need to answer without asking: who, where, what, the bot's guess."""
        t = self.desk_translator()
        _ = t.gettext
        lines = [_("New escalation #{id}").format(id=escalation.id),
                 _("Crew: {name} · language: {language} · channel: {channel}").format(
                     name=chat.display_name or chat.external_id, language=escalation.language,
                     channel=chat.channel)]
        for application in await self.applications.followed(session, chat):
            lines.append(_("Application: {reference} ({status})").format(
                reference=application.reference,
                status=application_texts.label(application.status, t)))
        if escalation.question:
            lines.append(_("Question: {text}").format(text=escalation.question))
        if escalation.best_article:
            lines.append(_("The bot's best guess: {article} (score {score})").format(
                article=escalation.best_article, score=f"{escalation.best_score:.2f}"))
        lines.append(_("Reply in this topic to answer the crew. Messages starting with "
                       "/note stay here. /close ends the escalation."))
        return "\n".join(lines)

    async def desk_chat(self, session: AsyncSession) -> Chat:
        return await chats.get_or_create_chat(session, DESK_CHANNEL,
                                              str(self.config.staff.telegram_chat_id),
                                              "Staff desk")

    async def _to_desk(self, session: AsyncSession, escalation: Escalation,
                       message: str | Reply) -> list[Message]:
        """Queue a message into the escalation's place in the desk (its outbox rows)."""
        desk = await self.desk_chat(session)
        reply = Reply(message) if isinstance(message, str) else message
        return await self.outbox.enqueue(session, desk, [reply],
                                         thread=TOPIC_PREFIX + topic_key(escalation))

    async def _quoted(self, session: AsyncSession, copy_chat: int, copy_ref: str) -> str:
        """A reply quotes a copy (the desk's copy of a crew message, or the crew's copy of
        a staff answer): the original's id on the other side, to quote there."""
        if not copy_ref:
            return ""
        row = await session.scalar(select(Message.id).where(
            Message.chat_id == copy_chat, Message.direction == "out",
            Message.sent_ref == copy_ref).order_by(Message.id).limit(1))
        if row is None:
            return ""
        origin = await session.scalar(select(EscalationMessage.origin_ref).where(
            EscalationMessage.relay_id == row))
        return origin or ""

    async def from_crew(self, session: AsyncSession, escalation: Escalation, chat: Chat,
                        text: str, attachment: Attachment | None = None,
                        origin_ref: str = "", reply_to: str = "") -> None:
        """A crew's follow-up (a scan, a location photo too) lands in the escalation's
        topic, quoting the staff answer it replies to."""
        name = chat.display_name or chat.external_id
        quote = await self._quoted(session, chat.id, reply_to)
        rows = await self._to_desk(session, escalation, Reply(
            f"{name}: {text}" if text else name, attachment=attachment, reply_to=quote))
        await session.flush()
        session.add(EscalationMessage(escalation_id=escalation.id, direction="crew",
                                      author=chat.display_name[:128],
                                      text=recorded(text, attachment),
                                      origin_ref=origin_ref or None,
                                      relay_id=rows[0].id if rows else None,
                                      created_at=utcnow()))

    async def from_staff(self, session: AsyncSession, escalation: Escalation, author: str,
                         text: str, attachment: Attachment | None = None,
                         origin_ref: str = "", reply_to: str = "",
                         desk_copy: bool = False) -> bool:
        """Relay a staff answer to the crew, labelled as the department's; False when the
        escalation is closed (nothing is relayed). `desk_copy`: the answer was written
        elsewhere (the web desk), so the escalation's place in the desk shows it too."""
        if escalation.status != OPEN:
            return False
        crew = await session.get(Chat, escalation.chat_id)
        if crew is None:
            return False
        t = self.catalogs.get(crew.language or escalation.language)
        if escalation.first_answered_at is None:
            escalation.first_answered_at = utcnow()
        buttons = ((Button(t.gettext("Main menu"), "menu:main"),),)
        desk = await self.desk_chat(session)
        quote = await self._quoted(session, desk.id, reply_to)
        # A file sent without words needs no label: it comes from the bot all the same,
        # and a label alone would be an empty message where the file goes on its own.
        words = department_says(t, text) if text or attachment is None else ""
        rows = await self.outbox.enqueue(session, crew, [Reply(
            words, buttons, attachment=attachment, reply_to=quote)])
        await session.flush()
        session.add(EscalationMessage(escalation_id=escalation.id, direction="staff",
                                      author=author[:128], text=recorded(text, attachment),
                                      origin_ref=origin_ref or None,
                                      relay_id=rows[0].id if rows else None,
                                      created_at=utcnow()))
        if desk_copy:
            await self._to_desk(session, escalation, f"{author}: {text}")
        if crew.unreachable_since is not None:  # kept, not tried: say so at once
            await self._to_desk(session, escalation, UNREACHABLE_WORDS.format(
                reason=crew.unreachable_reason))
        return True

    async def report_undelivered(self, chat_id: int, outcome: str, reason: str) -> None:
        """A relay that will not arrive is said in the topic, in words a person reads."""
        async with self.db.session() as session:
            escalation = await session.scalar(select(Escalation).where(
                Escalation.chat_id == chat_id).order_by(Escalation.id.desc()).limit(1))
            if escalation is None:
                return  # not a crew in conversation with the desk (or the desk itself)
            if outcome == "unreachable":
                words = UNREACHABLE_WORDS.format(reason=reason)
            elif outcome == "file":  # a staff file the crew's platform would not take
                _ = self.desk_translator().gettext
                words = "⚠️ " + _("This crew writes on {channel}: the file was not passed "
                                  "on, only the text. Send the file by e-mail.").format(
                    channel=escalation.channel) + f" ({reason})"
            else:
                words = f"⚠️ Not delivered: the platform refused the message. ({reason})"
            await self._to_desk(session, escalation, words)
        self.outbox.wake()

    async def edited_by_staff(self, session: AsyncSession, escalation: Escalation,
                              origin_ref: str, text: str) -> bool:
        """A staff edit of a relayed message: the crew's copy is edited where the platform
        allows it (Telegram), else a marked correction follows. False: nothing relayed."""
        relayed = await session.scalar(select(EscalationMessage).where(
            EscalationMessage.escalation_id == escalation.id,
            EscalationMessage.origin_ref == origin_ref, EscalationMessage.direction == "staff"))
        crew = await session.get(Chat, escalation.chat_id)
        if relayed is None or crew is None:
            return False
        copy = await session.get(Message, relayed.relay_id) if relayed.relay_id else None
        relayed.text = text
        t = self.catalogs.get(crew.language or escalation.language)
        if self.outbox.edits(crew.channel) and copy is not None and copy.sent_ref:
            await self.outbox.enqueue(session, crew, [Reply(department_says(t, text),
                                                            edit=True)],
                                      edit_ref=copy.sent_ref)
        else:
            label, correction = t.gettext("Cinema Department"), t.gettext("Correction")
            await self.outbox.enqueue(session, crew, [Reply(
                f"**{label}** ({correction}): {text}")])
        return True

    async def note(self, session: AsyncSession, escalation: Escalation, author: str,
                   text: str) -> None:
        session.add(EscalationMessage(escalation_id=escalation.id, direction="note",
                                      author=author[:128], text=text, created_at=utcnow()))

    async def close(self, session: AsyncSession, escalation: Escalation, author: str,
                    note: str = "") -> bool:
        if escalation.status != OPEN:
            return False
        escalation.status = CLOSED
        escalation.closed_at = utcnow()
        session.add(EscalationMessage(escalation_id=escalation.id, direction="note",
                                      author=author[:128], text=f"closed {note}".strip(),
                                      created_at=utcnow()))
        crew = await session.get(Chat, escalation.chat_id)
        if crew is not None:
            t = self.catalogs.get(crew.language or escalation.language)
            text = t.gettext("The Cinema Department has closed this conversation. If you "
                             "have another question, just write it here.")
            if note:
                text += "\n\n" + note
            text += "\n\n" + t.gettext("How well were you helped? 1 = poorly, 5 = very well.")
            stars = tuple(Button(str(n), f"rate:{escalation.id}:{n}") for n in range(1, 6))
            await self.outbox.enqueue(session, crew, [Reply(text, (stars, (
                Button(t.gettext("Main menu"), "menu:main"),)))])
        await self._to_desk(session, escalation, f"Closed by {author}.")
        log.info("escalation closed id=%s by=%s", escalation.id, author)
        return True

    async def send_to_crew(self, session: AsyncSession, escalation: Escalation,
                           author: str, replies: list[Reply], record: str,
                           desk_echo: str) -> bool:
        """Send prepared replies (an article, a canned reply) to the crew, record what was
        sent, and show the desk what the crew received."""
        if escalation.status != OPEN:
            return False
        crew = await session.get(Chat, escalation.chat_id)
        if crew is None:
            return False
        session.add(EscalationMessage(escalation_id=escalation.id, direction="staff",
                                      author=author[:128], text=record, created_at=utcnow()))
        if escalation.first_answered_at is None:
            escalation.first_answered_at = utcnow()
        await self.outbox.enqueue(session, crew, replies)
        await self._to_desk(session, escalation, desk_echo)
        return True

    async def claim(self, session: AsyncSession, escalation: Escalation, author: str,
                    transferred: bool = False) -> None:
        escalation.claimed_by = author[:128]
        verb = "Transferred to" if transferred else "Claimed by"
        await self._to_desk(session, escalation, f"{verb} {author}.")

    async def open_ones(self, session: AsyncSession) -> list[tuple[Escalation, Chat]]:
        rows = (await session.execute(
            select(Escalation, Chat).join(Chat, Chat.id == Escalation.chat_id)
            .where(Escalation.status == OPEN).order_by(Escalation.opened_at))).all()
        return [(escalation, chat) for escalation, chat in rows]

    async def rate(self, session: AsyncSession, chat: Chat, escalation_id: int, stars: int
                   ) -> bool:
        """A crew rates its own closed escalation, once, 1 to 5."""
        escalation = await session.get(Escalation, escalation_id)
        if (escalation is None or escalation.chat_id != chat.id or escalation.status != CLOSED
                or escalation.rating is not None or not 1 <= stars <= 5):
            return False
        escalation.rating = stars
        return True

    async def raise_overdue(self, db: Database, now: datetime | None = None) -> int:
        """Remind the desk, once, of each escalation still without a staff answer after
        `[staff] sla_minutes`. The conditional UPDATE is the claim: several processes
        running this job raise each escalation once."""
        now = now or utcnow()
        limit = now - timedelta(minutes=self.config.staff.sla_minutes)
        async with db.session() as session:
            due = (await session.scalars(select(Escalation.id).where(
                Escalation.status == OPEN, Escalation.first_answered_at.is_(None),
                Escalation.sla_raised_at.is_(None), Escalation.opened_at < limit))).all()
        raised = 0
        for escalation_id in due:
            async with db.session() as session:
                claimed = await session.execute(
                    update(Escalation).where(Escalation.id == escalation_id,
                                             Escalation.sla_raised_at.is_(None))
                    .values(sla_raised_at=now))
                if getattr(claimed, "rowcount", 0) != 1:
                    continue
                escalation = await session.get(Escalation, escalation_id)
                assert escalation is not None
                await self._to_desk(session, escalation, (
                    f"⏰ No staff answer yet after {self.config.staff.sla_minutes} minutes. "
                    "/claim it and reply here."))
                raised += 1
        if raised:
            self.outbox.wake()
        return raised

    async def stats(self, session: AsyncSession) -> Stats:
        open_count = await session.scalar(select(func.count()).select_from(Escalation)
                                          .where(Escalation.status == OPEN)) or 0
        answered = (await session.execute(select(Escalation.opened_at,
                                                 Escalation.first_answered_at).where(
            Escalation.first_answered_at.is_not(None)))).all()
        waits = sorted((first - opened).total_seconds() / 60 for opened, first in answered
                       if first is not None)
        ratings = [r for r in (await session.scalars(select(Escalation.rating).where(
            Escalation.rating.is_not(None)))).all() if r is not None]
        total = await session.scalar(select(func.count()).select_from(Escalation)) or 0
        p90 = (quantiles(waits, n=10)[-1] if len(waits) >= 2 else (waits[0] if waits else None))
        return Stats(total, open_count, len(waits), median(waits) if waits else None, p90,
                     ratings)

    async def history(self, session: AsyncSession, escalation: Escalation
                      ) -> list[EscalationMessage]:
        return list((await session.scalars(select(EscalationMessage).where(
            EscalationMessage.escalation_id == escalation.id)
            .order_by(EscalationMessage.id))).all())
