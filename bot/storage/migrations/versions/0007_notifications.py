"""Notifications by topic and area: subscriptions, areas, notices, deliveries, API tokens.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:00:00.000000

Written by hand in the style of 0003. Only new tables: the upgrade is safe on a database with
data. Downgrade drops the five tables and everything in them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

from bot.storage.types import UTCDateTime

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_ARRAY = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
TIMESTAMP = UTCDateTime(timezone=True)

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "notify_areas",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notify_areas_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notify_areas")),
    )
    op.create_index(op.f("ix_notify_areas_area"), "notify_areas", ["area"], unique=False)
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consented_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notify_subscriptions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_subscriptions")),
        sa.UniqueConstraint(
            "user_id", "topic", name=op.f("uq_notify_subscriptions_user_id_topic")
        ),
    )
    op.create_index(
        op.f("ix_notify_subscriptions_topic_user_id"),
        "notify_subscriptions",
        ["topic", "user_id"],
        unique=False,
    )
    op.create_table(
        "notify_notices",
        sa.Column("id", ID, nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("areas", JSON_ARRAY, nullable=False),
        sa.Column("text_ja", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("author_staff_id", ID, nullable=True),
        sa.Column("approver_staff_id", ID, nullable=True),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("not_before", TIMESTAMP, nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["author_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_notify_notices_author_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["approver_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_notify_notices_approver_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notify_notices_dedupe_key")),
    )
    op.create_index(
        op.f("ix_notify_notices_status_not_before"),
        "notify_notices",
        ["status", "not_before"],
        unique=False,
    )
    op.create_table(
        "notify_deliveries",
        sa.Column("id", ID, nullable=False),
        sa.Column("notice_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("batch_key", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notify_notices.id"],
            name=op.f("fk_notify_deliveries_notice_id_notify_notices"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notify_deliveries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_deliveries")),
        sa.UniqueConstraint(
            "notice_id", "user_id", name=op.f("uq_notify_deliveries_notice_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_notify_deliveries_notice_id_channel_status_language"),
        "notify_deliveries",
        ["notice_id", "channel", "status", "language"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notify_deliveries_notice_id_batch_key"),
        "notify_deliveries",
        ["notice_id", "batch_key"],
        unique=False,
    )
    op.create_table(
        "notify_tokens",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_notify_tokens_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_notify_tokens_token_hash")),
    )


def downgrade() -> None:
    """Drop the notification tables."""
    op.drop_table("notify_tokens")
    op.drop_index(op.f("ix_notify_deliveries_notice_id_batch_key"), table_name="notify_deliveries")
    op.drop_index(
        op.f("ix_notify_deliveries_notice_id_channel_status_language"),
        table_name="notify_deliveries",
    )
    op.drop_table("notify_deliveries")
    op.drop_index(op.f("ix_notify_notices_status_not_before"), table_name="notify_notices")
    op.drop_table("notify_notices")
    op.drop_index(op.f("ix_notify_subscriptions_topic_user_id"), table_name="notify_subscriptions")
    op.drop_table("notify_subscriptions")
    op.drop_index(op.f("ix_notify_areas_area"), table_name="notify_areas")
    op.drop_table("notify_areas")
