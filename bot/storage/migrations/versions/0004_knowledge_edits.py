"""Knowledge loop: staff edits of entries, review checks, outcomes of citizen questions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 01:00:00.000000

Written by hand in the style of 0003 and checked against the models (no autogenerate
difference after upgrade). Only new tables: existing rows are untouched. Downgrade drops the
three tables and everything in them (the city's edits: export them first, ``citybot kb export``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

from bot.storage.types import UTCDateTime

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_OBJECT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(astext_type=Text()), "postgresql"
)
TIMESTAMP = UTCDateTime(timezone=True)

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "knowledge_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("data", JSON_OBJECT, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["staff_users.id"],
            name=op.f("fk_knowledge_versions_author_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_versions")),
    )
    with op.batch_alter_table("knowledge_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_versions_entry_id_id"), ["entry_id", "id"], unique=False
        )
    op.create_table(
        "knowledge_review_checks",
        sa.Column("id", ID, nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=500), nullable=False),
        sa.Column("fact", sa.Text(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_knowledge_review_checks_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_review_checks")),
        sa.UniqueConstraint(
            "entry_id", "item", name=op.f("uq_knowledge_review_checks_entry_id_item")
        ),
    )
    op.create_table(
        "inquiry_outcomes",
        sa.Column("id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("chosen_entry_id", sa.String(length=64), nullable=True),
        sa.Column("not_helpful", sa.Boolean(), nullable=False),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", ID, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_inquiry_outcomes_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["staff_users.id"],
            name=op.f("fk_inquiry_outcomes_resolved_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry_outcomes")),
    )
    with op.batch_alter_table("inquiry_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inquiry_outcomes_conversation_id_id"),
            ["conversation_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_inquiry_outcomes_status_created_at"),
            ["status", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("inquiry_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inquiry_outcomes_status_created_at"))
        batch_op.drop_index(batch_op.f("ix_inquiry_outcomes_conversation_id_id"))
    op.drop_table("inquiry_outcomes")
    op.drop_table("knowledge_review_checks")
    with op.batch_alter_table("knowledge_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_versions_entry_id_id"))
    op.drop_table("knowledge_versions")
