"""wallet issuer state: offers, nonces and status list entries of an OpenID4VCI issuer

Revision ID: d22f4eb0954a
Revises: b5e1a7c93d20
Create Date: 2026-12-07 17:02:01.319860
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d22f4eb0954a"
down_revision: str | None = "b5e1a7c93d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_nonce",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_wallet_nonce")),
    )
    with op.batch_alter_table("wallet_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_nonce_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "wallet_offer",
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=True),
        sa.Column("configuration_id", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("subject_ref", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("wrong_tx_codes", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name=op.f("pk_wallet_offer")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_wallet_offer_code_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_wallet_offer_token_hash")),
    )
    with op.batch_alter_table("wallet_offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_offer_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_wallet_offer_subject_ref"), ["subject_ref"], unique=False)

    op.create_table(
        "wallet_status",
        sa.Column("list_id", sa.String(length=32), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=128), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_wallet_status")),
    )
    with op.batch_alter_table("wallet_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_status_subject_ref"), ["subject_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_status_subject_ref"))

    op.drop_table("wallet_status")
    with op.batch_alter_table("wallet_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_offer_subject_ref"))
        batch_op.drop_index(batch_op.f("ix_wallet_offer_expires_at"))

    op.drop_table("wallet_offer")
    with op.batch_alter_table("wallet_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_nonce_expires_at"))

    op.drop_table("wallet_nonce")
