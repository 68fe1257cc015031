"""SAML login state: the requests waiting for the identity provider, and used message ids (replays)

Revision ID: 5a3e1f0c7d21
Revises: 5ec3eb0a1d27
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "5a3e1f0c7d21"
down_revision: str | None = "5ec3eb0a1d27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saml_request",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("expires_at", emrex.db.base.UtcDateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_saml_request")),
    )
    op.create_index(op.f("ix_saml_request_expires_at"), "saml_request", ["expires_at"], unique=False)
    op.create_table(
        "saml_replay",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", emrex.db.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_saml_replay")),
    )
    op.create_index(op.f("ix_saml_replay_expires_at"), "saml_replay", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saml_replay_expires_at"), table_name="saml_replay")
    op.drop_table("saml_replay")
    op.drop_index(op.f("ix_saml_request_expires_at"), table_name="saml_request")
    op.drop_table("saml_request")
