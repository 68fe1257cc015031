"""emc transfer binding: the digest of the signed document (duplicates) and the EMP's institutions
pinned at the start (the issuer check)

Revision ID: 2e1496b0b3c6
Revises: 6f9123d86547
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2e1496b0b3c6"
down_revision: str | None = "6f9123d86547"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("emc_transfer", sa.Column("emp_institutions", sa.Text(), nullable=True))
    op.add_column("emc_transfer", sa.Column("document_digest", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_emc_transfer_document_digest"), "emc_transfer", ["document_digest"])


def downgrade() -> None:
    op.drop_index(op.f("ix_emc_transfer_document_digest"), table_name="emc_transfer")
    with op.batch_alter_table("emc_transfer") as batch:
        batch.drop_column("document_digest")
        batch.drop_column("emp_institutions")
