"""Permit applications: history, the chats that follow them, failed links, API retries

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False, unique=True),
        sa.Column("external_case", sa.String(128), nullable=True, unique=True),
        sa.Column("production_title", sa.String(256), nullable=False),
        sa.Column("company", sa.String(256), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("service_company", sa.String(256), nullable=False),
        sa.Column("shoot_start", sa.Date(), nullable=False),
        sa.Column("shoot_end", sa.Date(), nullable=False),
        sa.Column("locations", sa.Text(), nullable=False),
        sa.Column("contact_email", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("permit_number", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested", sa.Text(), nullable=False),
        sa.Column("requested_due", sa.Date(), nullable=True),
        sa.Column("complete_since", sa.Date(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("access_code_hash", sa.String(256), nullable=False),
        sa.Column("link_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_applications_status", "applications", ["status"])
    op.create_index("ix_applications_updated_at", "applications", ["updated_at"])
    op.create_table(
        "application_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application_id", sa.Integer(),
                  sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_application_events_app", "application_events",
                    ["application_id", "id"])
    op.create_table(
        "application_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application_id", sa.Integer(),
                  sa.ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chat_id", sa.Integer(), sa.ForeignKey("chats.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("application_id", "chat_id", name="uq_application_link"),
    )
    op.create_index("ix_application_links_chat_id", "application_links", ["chat_id"])
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.Integer(), sa.ForeignKey("chats.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_link_attempts_chat_at", "link_attempts", ["chat_id", "created_at"])
    op.create_table(
        "idempotent_requests",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotent_requests")
    op.drop_table("link_attempts")
    op.drop_table("application_links")
    op.drop_table("application_events")
    op.drop_table("applications")
