"""Messages remember their forum topic; updates that cannot be handled are kept

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("thread_id", sa.String(32), nullable=True))
    op.create_table(
        "failed_updates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_id", sa.String(128), nullable=False),
        sa.Column("error", sa.String(512), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel", "update_id", name="uq_failed_updates"),
    )


def downgrade() -> None:
    op.drop_table("failed_updates")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("thread_id")
