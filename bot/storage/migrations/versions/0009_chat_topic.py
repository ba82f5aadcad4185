"""Chats remember what they talked about last, for follow-up questions

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("topic_article", sa.String(128), nullable=True))
        batch.add_column(sa.Column("topic_place", sa.String(64), nullable=True))
        batch.add_column(sa.Column("topic_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("topic_at")
        batch.drop_column("topic_place")
        batch.drop_column("topic_article")
