"""Reminders, their occurrences and one delivery row per recipient

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("auto_key", sa.String(96), nullable=True, unique=True),
        sa.Column("application_id", sa.Integer,
                  sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("author_chat_id", sa.Integer,
                  sa.ForeignKey("chats.id", ondelete="SET NULL"), nullable=True),
        sa.Column("author_thread", sa.String(32), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("schedule", sa.Text, nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(128), nullable=False),
    )
    op.create_index("ix_reminders_status_next", "reminders", ["status", "next_at"])
    op.create_table(
        "reminder_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reminder_id", sa.Integer,
                  sa.ForeignKey("reminders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("occurrence", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("reminder_id", "occurrence", name="uq_reminder_runs"),
    )
    op.create_table(
        "reminder_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reminder_id", sa.Integer,
                  sa.ForeignKey("reminders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("occurrence", UTCDateTime(), nullable=False),
        sa.Column("chat_id", sa.Integer, sa.ForeignKey("chats.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("held", sa.Boolean, nullable=False),
        sa.Column("message_id", sa.Integer, nullable=True),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("reminder_id", "occurrence", "chat_id",
                            name="uq_reminder_deliveries"),
    )
    op.create_index("ix_reminder_deliveries_due", "reminder_deliveries", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_reminder_deliveries_due", "reminder_deliveries")
    op.drop_table("reminder_deliveries")
    op.drop_table("reminder_runs")
    op.drop_index("ix_reminders_status_next", "reminders")
    op.drop_table("reminders")
