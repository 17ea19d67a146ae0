"""Inbox claims: per-citizen order of stored events, leases, flow deadlines.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:40:00.000000

Written by hand. Only new nullable columns and indexes: existing rows are untouched (events and
outbox rows without a citizen key are processed as before, each on its own). Downgrade drops the
columns.

- ``webhook_events.citizen_key``: whose event it is (``line:U…``); a worker claims the oldest
  pending event of a citizen only, so one citizen's events are processed in order by any number
  of processes. ``claimed_until``: the lease of the worker processing it.
- ``outbox.citizen_key``: the citizen an answer goes to; their next event waits until it is sent.
- ``conversations.flow_deadline``: when the flow in progress expires, for the database sweep.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

TIMESTAMP = UTCDateTime(timezone=True)

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(sa.Column("citizen_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("claimed_until", TIMESTAMP, nullable=True))
        batch.create_index(
            "ix_webhook_events_status_citizen_key_id", ["status", "citizen_key", "id"]
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("citizen_key", sa.String(length=200), nullable=True))
        batch.create_index("ix_outbox_citizen_key_status", ["citizen_key", "status"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("flow_deadline", TIMESTAMP, nullable=True))
        batch.create_index("ix_conversations_flow_deadline", ["flow_deadline"])


def downgrade() -> None:
    """Downgrade the schema.

    ``ALTER TABLE … DROP COLUMN`` on both databases (SQLite 3.35+): a batch copy of
    ``conversations`` would have to drop a table other tables refer to.
    """
    op.drop_index("ix_conversations_flow_deadline", table_name="conversations")
    op.drop_index("ix_outbox_citizen_key_status", table_name="outbox")
    op.drop_index("ix_webhook_events_status_citizen_key_id", table_name="webhook_events")
    for table, column in (
        ("conversations", "flow_deadline"),
        ("outbox", "citizen_key"),
        ("webhook_events", "claimed_until"),
        ("webhook_events", "citizen_key"),
    ):
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
