"""sis incoming mobilities: the students from other institutions, served over EWP imobility-tors

Revision ID: 3f8c2d9e5a17
Revises: 9d4b7e2a61c3
Create Date: 2026-12-07 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from emrex.db.base import UtcDateTime

revision: str = "3f8c2d9e5a17"
down_revision: str | None = "9d4b7e2a61c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sis_incoming_mobility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("omobility_id", sa.String(length=64), nullable=False),
        sa.Column("sending_hei", sa.String(length=255), nullable=False),
        sa.Column("receiving_institution_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("student_esi", sa.String(length=255), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("tor_approved_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["sis_person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["receiving_institution_id"], ["sis_institution.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("omobility_id"),
    )
    op.create_index(
        op.f("ix_sis_incoming_mobility_person_id"), "sis_incoming_mobility", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_sis_incoming_mobility_receiving_institution_id"),
        "sis_incoming_mobility",
        ["receiving_institution_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sis_incoming_mobility_sending_hei"), "sis_incoming_mobility", ["sending_hei"], unique=False
    )


def downgrade() -> None:
    op.drop_table("sis_incoming_mobility")
