"""ewp2: transcripts of incoming mobilities made ahead (sis_mobility_transcript), and the EWP request
ids seen, shared by every worker (ewp_request_id)

Revision ID: b5e1a7c93d20
Revises: 9a3e5c71d402
Create Date: 2026-12-07 17:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "b5e1a7c93d20"
down_revision: str | None = "9a3e5c71d402"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sis_mobility_transcript",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mobility_id", sa.Integer(), nullable=False),
        sa.Column("made_for", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("made_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mobility_id"],
            ["sis_incoming_mobility.id"],
            name=op.f("fk_sis_mobility_transcript_mobility_id_sis_incoming_mobility"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_mobility_transcript")),
        sa.UniqueConstraint("mobility_id", name=op.f("uq_sis_mobility_transcript_mobility_id")),
    )
    op.create_table(
        "ewp_request_id",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("expires", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_ewp_request_id")),
    )
    op.create_index(op.f("ix_ewp_request_id_expires"), "ewp_request_id", ["expires"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ewp_request_id_expires"), table_name="ewp_request_id")
    op.drop_table("ewp_request_id")
    op.drop_table("sis_mobility_transcript")
