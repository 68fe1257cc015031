"""OOTS evidence provider: the exchanges between a request and its evidence (``oots_exchange``)

Revision ID: 3f7c0e9a51b4
Revises: 0ee4fd9303d1
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "3f7c0e9a51b4"
down_revision: str | None = "0ee4fd9303d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oots_exchange",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("created_at", emrex.db.base.UtcDateTime(), nullable=False),
        sa.Column("expires_at", emrex.db.base.UtcDateTime(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oots_exchange")),
    )
    op.create_index(op.f("ix_oots_exchange_expires_at"), "oots_exchange", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oots_exchange_expires_at"), table_name="oots_exchange")
    op.drop_table("oots_exchange")
