"""emc wallet requests: the OpenID4VP presentation requests of "Import from my wallet", and the
transfers' source "wallet" with who vouched for it

Revision ID: 9a3e5c71d402
Revises: 7c41d2b9e805
Create Date: 2026-12-07 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a3e5c71d402"
down_revision: str | None = "7c41d2b9e805"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("emc_transfer", sa.Column("vouched_by", sa.Text(), nullable=True))
    op.create_table(
        "emc_wallet_request",
        sa.Column("session_id", sa.String(length=64), primary_key=True),
        sa.Column("student", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("encryption_key", sa.Text(), nullable=False),
        sa.Column("expires_at", _BIG, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("response_code_hash", sa.String(length=64), nullable=True),
        sa.Column("transfer_id", _BIG, nullable=True),
    )
    op.create_index(op.f("ix_emc_wallet_request_student"), "emc_wallet_request", ["student"])
    op.create_index(op.f("ix_emc_wallet_request_expires_at"), "emc_wallet_request", ["expires_at"])
    op.create_index(
        op.f("ix_emc_wallet_request_response_code_hash"), "emc_wallet_request", ["response_code_hash"]
    )


def downgrade() -> None:
    op.drop_table("emc_wallet_request")
    with op.batch_alter_table("emc_transfer") as batch:
        batch.drop_column("vouched_by")
