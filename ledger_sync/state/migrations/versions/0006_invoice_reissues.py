"""the entity map keeps each invoice as last written

A correction the ledger refuses is made by a credit note for the invoice it holds and a new invoice
(`core.reissue`); the credit note carries that invoice's lines and tax exactly, so they are kept with its row.
Invoices synced before have none: a refused correction of one stays parked with the rule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entity_map") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entity_map") as batch:
        batch.drop_column("document")
