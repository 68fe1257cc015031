"""sec-ux: the institutions a transfer's document names (emc_transfer.issuers); which services use a
database (emrex_service)

Revision ID: 5ec0c1e2a9b4
Revises: 10646994ff7e
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "5ec0c1e2a9b4"
down_revision: str | None = "10646994ff7e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("emc_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuers", sa.Text(), nullable=True))
    op.create_table(
        "emrex_service",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("first_started_at", emrex.db.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_emrex_service")),
    )


def downgrade() -> None:
    op.drop_table("emrex_service")
    with op.batch_alter_table("emc_transfer", schema=None) as batch_op:
        batch_op.drop_column("issuers")
