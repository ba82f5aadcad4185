"""outgoing messages become the outbox; chats can be unreachable

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chats", sa.Column("unreachable_since", UTCDateTime(), nullable=True))
    op.add_column("chats", sa.Column("unreachable_reason", sa.String(256), nullable=False,
                                     server_default=""))
    op.add_column("messages", sa.Column("status", sa.String(12), nullable=False,
                                        server_default="done"))
    op.add_column("messages", sa.Column("payload", sa.Text(), nullable=True))
    op.add_column("messages", sa.Column("edit_ref", sa.String(128), nullable=True))
    op.add_column("messages", sa.Column("sent_ref", sa.String(128), nullable=True))
    op.add_column("messages", sa.Column("attempts", sa.Integer(), nullable=False,
                                        server_default="0"))
    op.add_column("messages", sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
    op.add_column("messages", sa.Column("claimed_until", UTCDateTime(), nullable=True))
    op.add_column("messages", sa.Column("last_error", sa.String(512), nullable=False,
                                        server_default=""))
    op.create_index("ix_messages_status_due", "messages", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_status_due", "messages")
    with op.batch_alter_table("messages") as batch:
        for column in ("status", "payload", "edit_ref", "sent_ref", "attempts",
                       "next_attempt_at", "claimed_until", "last_error"):
            batch.drop_column(column)
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("unreachable_since")
        batch.drop_column("unreachable_reason")
