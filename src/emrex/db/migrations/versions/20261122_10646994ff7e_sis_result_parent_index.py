"""sis result parent index: deleting a result finds its parts by index (cascades on PostgreSQL)

Revision ID: 10646994ff7e
Revises: 0883a0359d7d
Create Date: 2026-11-22 23:21:36.174856
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "10646994ff7e"
down_revision: str | None = "0883a0359d7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_sis_result_parent_id"), "sis_result", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sis_result_parent_id"), table_name="sis_result")
