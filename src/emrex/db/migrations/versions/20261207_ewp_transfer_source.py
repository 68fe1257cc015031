"""emc transfer source: results fetched over EWP (source, the mobility id, the staff member)

Revision ID: 9d4b7e2a61c3
Revises: 3f7c0e9a51b4
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4b7e2a61c3"
down_revision: str | None = "3f7c0e9a51b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "emc_transfer", sa.Column("source", sa.String(length=10), server_default="emrex", nullable=False)
    )
    op.add_column("emc_transfer", sa.Column("mobility_id", sa.String(length=64), nullable=True))
    op.add_column("emc_transfer", sa.Column("fetched_by", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("emc_transfer") as batch:
        batch.drop_column("fetched_by")
        batch.drop_column("mobility_id")
        batch.drop_column("source")
