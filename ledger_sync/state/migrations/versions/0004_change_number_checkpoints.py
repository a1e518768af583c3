"""checkpoints keyed on Service Opus change numbers

Checkpoints were (business timestamp, id) watermarks read with an overlap, which skipped records
committed later than the overlap. They become change numbers (see connectors/service_opus/models.py).
An old watermark has no change number, so it is dropped: the next run re-reads everything once, and
what was already pushed is unchanged and costs no write.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM checkpoints")
    with op.batch_alter_table("checkpoints") as batch:
        batch.drop_column("watermark_at")
        batch.drop_column("watermark_id")
        batch.add_column(sa.Column("change_no", sa.BigInteger(), nullable=False))


def downgrade() -> None:
    op.execute("DELETE FROM checkpoints")
    with op.batch_alter_table("checkpoints") as batch:
        batch.drop_column("change_no")
        batch.add_column(sa.Column("watermark_at", sa.DateTime(timezone=True), nullable=False))
        batch.add_column(sa.Column("watermark_id", sa.Integer(), nullable=False))
