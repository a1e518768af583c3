"""links to customers and items the ledger already holds: proposals and the admin's decisions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger_sync.state.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = ledger_sync.state.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_name", sa.String(length=500), nullable=False),
        sa.Column("source_email", sa.String(length=255), nullable=True),
        sa.Column("ledger_id", sa.String(length=64), nullable=True),
        sa.Column("ledger_name", sa.String(length=500), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", UTC_DATETIME, nullable=False),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connection_id", "entity_type", "source_id"),
    )


def downgrade() -> None:
    op.drop_table("link_proposals")
