"""web_secret (the key of anonymous session cookies) and emp_session.answer (the answer sent)

Revision ID: 5ec3eb0a1d27
Revises: 2e1496b0b3c6
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "5ec3eb0a1d27"
down_revision: str | None = "2e1496b0b3c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_secret",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", emrex.db.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_web_secret")),
    )
    with op.batch_alter_table("emp_session") as batch:
        batch.add_column(sa.Column("answer", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("emp_session") as batch:
        batch.drop_column("answer")
    op.drop_table("web_secret")
