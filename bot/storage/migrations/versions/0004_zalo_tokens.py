"""Zalo OA token pair per app, Bot Platform numbered choices per chat

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_tokens",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("refreshing_until", UTCDateTime(), nullable=True),
        sa.Column("refresh_error", sa.String(256), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "zalo_choices",
        sa.Column("chat_id", sa.String(128), primary_key=True),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("zalo_choices")
    op.drop_table("zalo_tokens")
