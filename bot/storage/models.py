"""Tables. Every change here needs an Alembic migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite forgets the zone, PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Chat(Base):
    """One conversation partner on one channel (a Telegram user, a Zalo follower...)."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_chats_channel_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(256), default="")
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="crew")
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the platform refuses delivery for good (bot blocked, chat deleted, Zalo's
    # interaction window closed); cleared when the user writes again.
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unreachable_reason: Mapped[str] = mapped_column(String(256), default="")
    # What the chat asked about last (article id, place id from the gazetteer) and when:
    # "and in Hoi An?" right after the drone answer means drones in Hoi An. Kept for
    # `[knowledge] follow_up_minutes`; after that a question stands on its own.
    topic_article: Mapped[str | None] = mapped_column(String(128), nullable=True)
    topic_place: Mapped[str | None] = mapped_column(String(64), nullable=True)
    topic_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Message(Base):
    """Every message in and out, written before it is acted on; outgoing rows are the outbox.

    The unique (channel, direction, platform_id) index is what makes a redelivered
    platform update a no-op: the second insert does nothing and the router skips it. The
    incoming row is written in the transaction that handles it, so a delivery whose
    handling never committed left no row, and its redelivery is handled.

    `status`: incoming rows are `handled`; outgoing rows are `pending`,
    `sending` (claimed by one worker until `claimed_until`), then `sent`, `failed` or
    `unreachable`, or `done` on channels that print synchronously (console, tests).
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_chat_created", "chat_id", "created_at"),
        Index("ix_messages_status_due", "status", "next_attempt_at"),
        Index(
            "uq_messages_platform_id",
            "channel",
            "direction",
            "platform_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    text: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(256), default="")
    platform_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="done")
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    edit_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Where in the chat: a Telegram forum topic's `message_thread_id`, else NULL.
    thread_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sent_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The worker (process) holding the claim: a stopped or dead worker's claims are
    # recovered at once, not after `claimed_until`.
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str] = mapped_column(String(512), default="")


class Worker(Base):
    """One running `crewbot run` process, for telling its claims from a dead one's.

    A live worker touches `heartbeat_at` every few seconds; a stopping one sets
    `stopped_at`. Claims of a worker that stopped, whose heartbeat is stale, or whose
    process is gone from this host, are released by whichever process sweeps next, so a
    restart does not leave a chat waiting out a fixed claim lease.
    """

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FailedUpdate(Base):
    """A platform update that could not be handled for a reason of its own.

    Unparseable, or raising outside any handler: retrying it would fail the same way, so
    it is confirmed to the platform (it must not hold back the updates behind it) and
    kept here, with the error and the raw body, for someone to look at. Storage outages
    never land here: those updates stay unconfirmed and are fetched again.
    """

    __tablename__ = "failed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_id", name="uq_failed_updates"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(128))
    error: Mapped[str] = mapped_column(String(512))
    raw: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UnansweredQuestion(Base):
    """A question the knowledge base could not answer, for staff to write the article."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_normalized", "normalized"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(
        ForeignKey("chats.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(8))
    best_article: Mapped[str | None] = mapped_column(String(128), nullable=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ZaloToken(Base):
    """The OA token pair of one Zalo app, the only copy of a refresh token that works once.

    Written in one UPDATE with the access token it came with, so a reader never sees a
    new access token beside a dead refresh token. `refreshing_until` is a claim: the
    process that set it (conditionally, on the refresh token it read) is the one that
    calls Zalo; the others wait for the new row. `refresh_error` tells every process,
    and a restarted one, that the refresh token was refused and a human must authorize.
    """

    __tablename__ = "zalo_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text, default="")
    refresh_token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refreshing_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refresh_error: Mapped[str] = mapped_column(String(256), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ZaloChoice(Base):
    """The numbered choices last offered in one Bot Platform chat (it has no buttons).

    Kept in the database so that "2" still means the second choice after a restart.
    `actions` is a JSON list; number n is `actions[n - 1]`.
    """

    __tablename__ = "zalo_choices"

    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    actions: Mapped[str] = mapped_column(Text, default="[]")
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Application(Base):
    """A foreign production's filming permit application, as the department tracks it.

    `version` goes up with every change: a change is written with a conditional UPDATE
    on the version it read, so two changes at the same moment (two API calls, two
    processes) cannot both win and no event is lost. `access_code_hash` is the only
    trace of the code crews link with (shown once, at creation); `link_token_hash` is
    the deep link's, rotated by `crewbot app link`. Lists are JSON text.
    """

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    external_case: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    production_title: Mapped[str] = mapped_column(String(256))
    company: Mapped[str] = mapped_column(String(256))
    country: Mapped[str] = mapped_column(String(2))
    service_company: Mapped[str] = mapped_column(String(256))
    shoot_start: Mapped[date] = mapped_column(Date)
    shoot_end: Mapped[date] = mapped_column(Date)
    locations: Mapped[str] = mapped_column(Text, default="[]")
    contact_email: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    permit_number: Mapped[str] = mapped_column(String(64), default="")
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    requested: Mapped[str] = mapped_column(Text, default="[]")
    requested_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    complete_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    decision_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    access_code_hash: Mapped[str] = mapped_column(String(256))
    link_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True,
                                                        nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ApplicationEvent(Base):
    """One change in an application's history: from, to, note, who, when."""

    __tablename__ = "application_events"
    __table_args__ = (Index("ix_application_events_app", "application_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(String(16), default="")
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicationLink(Base):
    """A chat that follows an application (any number of chats, on any channel)."""

    __tablename__ = "application_links"
    __table_args__ = (UniqueConstraint("application_id", "chat_id", name="uq_application_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LinkAttempt(Base):
    """A failed `/track` (wrong reference or code): five in an hour make the chat wait."""

    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_chat_at", "chat_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotentRequest(Base):
    """The first answer to an admin API POST with an `Idempotency-Key`, for its retries."""

    __tablename__ = "idempotent_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)



class Escalation(Base):
    """A conversation between one crew chat and the staff desk.

    At most one is open per chat (a partial unique index): further messages join it;
    after it is closed, a new question opens a new one. The desk sees it in its own
    place (`DeskTopic`, key `escalation:<id>`).
    """

    __tablename__ = "escalations"
    __table_args__ = (
        Index("uq_escalations_open_chat", "chat_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text, default="")
    best_article: Mapped[str] = mapped_column(String(128), default="")
    best_score: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(8), default="open")
    claimed_by: Mapped[str] = mapped_column(String(128), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set when the desk was reminded of an unanswered escalation (once).
    sla_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class EscalationMessage(Base):
    """Every message of an escalation, either way; `note` rows never left the desk."""

    __tablename__ = "escalation_messages"
    __table_args__ = (Index("ix_escalation_messages_esc", "escalation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # crew | staff | note | bot
    author: Mapped[str] = mapped_column(String(128), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # The message's platform id where it was written (the desk for staff, the crew's chat
    # for the crew) and the outbox row of its copy on the other side: an edit follows
    # the copy, and a reply quotes the right message on both sides.
    origin_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    relay_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeskTopic(Base):
    """A named place inside a group chat (a Telegram forum topic), created on first use.

    Outbox rows address it as thread `topic:<key>`; the channel creates the topic with
    `title` when `thread_id` is empty, and again if staff deleted it.
    """

    __tablename__ = "desk_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(128))
    thread_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reminder(Base):
    """Something a coordinator (or the application's own dates) says once, for every
    crew member linked to an application, or to every open one (`target` "all").

    The row is the source of truth: `next_at` is the next occurrence, computed by the
    schedule's APScheduler trigger in `timezone`, and moved on (conditionally, on the
    value read) by whichever process fires it. `draft` until its author confirms.
    Automatic reminders carry `auto_key` (kind, application, date): a second process, or
    the next day's pass, inserting the same one does nothing.
    """

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_next", "status", "next_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), default="manual")
    auto_key: Mapped[str | None] = mapped_column(String(96), unique=True, nullable=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), nullable=True)
    target: Mapped[str] = mapped_column(String(16), default="application")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(128), default="")
    # Where the author hears about the reminder (missed occurrences, members not
    # reached): the chat they scheduled it from, and its forum topic, if any.
    author_chat_id: Mapped[int | None] = mapped_column(
        ForeignKey("chats.id", ondelete="SET NULL"), nullable=True)
    author_thread: Mapped[str | None] = mapped_column(String(32), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_by: Mapped[str] = mapped_column(String(128), default="")


class ReminderRun(Base):
    """One occurrence of a reminder, claimed by the process that inserts it.

    `outcome` is `fired` (deliveries made), `missed` (found more than the grace period
    late: not sent, told to the author) or `dropped` (an automatic reminder whose date
    no longer holds). `reported_at` is set once the author has been told what needs
    telling, or that nothing does.
    """

    __tablename__ = "reminder_runs"
    __table_args__ = (UniqueConstraint("reminder_id", "occurrence", name="uq_reminder_runs"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(12), default="fired")
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReminderDelivery(Base):
    """One recipient of one occurrence: the unique key that makes it happen once.

    `waiting` until `due_at` (the occurrence, or the end of the member's quiet hours:
    `held`), then `queued` in the same transaction as its outbox row (`message_id`),
    whose status says sent, failed or unreachable. `unreachable` rows were never
    queued: the platform cannot take them now (Zalo's 7-day window shut, a blocked bot).
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("reminder_id", "occurrence", "chat_id", name="uq_reminder_deliveries"),
        Index("ix_reminder_deliveries_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class StaffAccount(Base):
    """A web desk sign-in: an e-mail and an argon2 hash, never the password itself.

    Failed sign-ins are counted here, not in a process's memory, so that every process
    behind the same database makes the account wait after the fifth failure.
    """

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(256), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # staff | coordinator | admin
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The first failure of the current window, the failures since, and until when the
    # account waits after too many.
    failed_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A session remembers the generation it was opened in; a password change moves it
    # on, so a session opened with the old password (perhaps by whoever learned it) ends.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class StaffAudit(Base):
    """What a staff account did from the web desk (sign-in, reply, claim, close), when."""

    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(128), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
