"""An index on messages by time, for the published figures.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 10:00:00.000000

The figures count bot replies one month (or week) at a time; without this index each of those
queries reads the whole messages table. Creating it locks the table briefly while it is built.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_created_at", "messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_created_at", table_name="messages")
