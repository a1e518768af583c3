"""records sent before

A create refused after some of its steps were made (a Xero payout's fees spent, its transfer refused) leaves them in
the ledger; its parked row said so until it was released. `sent_before` keeps the mark for good, so the record's next
create is looked up before it is written. Filled from the parked rows of records the ledger refused (or said it may
hold: review) or lost.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sent_before",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connection_id", "entity_type", "source_id"),
    )
    op.execute(
        "INSERT INTO sent_before (connection_id, entity_type, source_id) "
        "SELECT connection_id, entity_type, source_id FROM parked_records "
        "WHERE cause IN ('ledger', 'missing', 'review')"
    )


def downgrade() -> None:
    op.drop_table("sent_before")
