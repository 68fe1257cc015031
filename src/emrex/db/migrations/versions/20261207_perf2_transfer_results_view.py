"""perf2: what the return verified, kept for the transfer pages and the import
(emc_transfer.results_view)

Revision ID: 7c41d2b9e805
Revises: 3f8c2d9e5a17
Create Date: 2026-12-07 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c41d2b9e805"
down_revision: str | None = "3f8c2d9e5a17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emc_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("results_view", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("emc_transfer", schema=None) as batch_op:
        batch_op.drop_column("results_view")
