"""entity types up to 32 characters

`credit_application` (18 characters) did not fit the 16 the entity-type columns had: SQLite ignores a VARCHAR's
length, PostgreSQL refuses the row. Every column that holds an `EntityType` value is widened to 32.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("entity_map", "write_intents", "checkpoints", "parked_records", "link_proposals")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("entity_type", type_=sa.String(length=32), existing_type=sa.String(length=16))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("entity_type", type_=sa.String(length=16), existing_type=sa.String(length=32))
