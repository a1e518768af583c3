"""sync activity: an admin's Ignore on a parked record, and a run's progress

A parked record can be ignored from the settings page with a note (who and when kept): it is never written
and counts as skipped until the admin undoes it. A run counts the source records it has read, and a
backfill what it will read, so the page can show a progress bar while it runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger_sync.state.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = ledger_sync.state.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("parked_records") as batch:
        batch.add_column(sa.Column("ignored_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("ignored_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("ignored_at", UTC_DATETIME, nullable=True))
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("records_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("records_total", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("records_total")
        batch.drop_column("records_done")
    with op.batch_alter_table("parked_records") as batch:
        batch.drop_column("ignored_at")
        batch.drop_column("ignored_by")
        batch.drop_column("ignored_note")
