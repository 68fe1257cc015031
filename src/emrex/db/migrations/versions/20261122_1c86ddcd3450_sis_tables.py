"""sis tables: the built-in SIS (institutions, grading schemes, persons, results, diploma supplements)

Revision ID: 1c86ddcd3450
Revises: b5c95e7d2ce0
Create Date: 2026-11-22 23:08:42.072217
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "1c86ddcd3450"
down_revision: str | None = "b5c95e7d2ce0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sis_institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schac", sa.String(length=255), nullable=False),
        sa.Column("erasmus", sa.String(length=64), nullable=True),
        sa.Column("pic", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("updated_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_institution")),
        sa.UniqueConstraint("schac", name=op.f("uq_sis_institution_schac")),
    )
    op.create_table(
        "sis_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given_names", sa.String(length=255), nullable=False),
        sa.Column("family_name", sa.String(length=255), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("citizenship", sa.String(length=2), nullable=True),
        sa.Column("gender", sa.Integer(), nullable=True),
        sa.Column("place_of_birth", sa.String(length=255), nullable=True),
        sa.Column("birth_name", sa.String(length=255), nullable=True),
        sa.Column("updated_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_person")),
    )
    op.create_table(
        "sis_grading_scheme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("local_id", sa.String(length=255), nullable=False),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["sis_institution.id"],
            name=op.f("fk_sis_grading_scheme_institution_id_sis_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_grading_scheme")),
        sa.UniqueConstraint(
            "institution_id", "local_id", name=op.f("uq_sis_grading_scheme_institution_id_local_id")
        ),
    )
    op.create_table(
        "sis_person_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["sis_person.id"],
            name=op.f("fk_sis_person_identifier_person_id_sis_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_person_identifier")),
        sa.UniqueConstraint("type", "value", name=op.f("uq_sis_person_identifier_type_value")),
    )
    with op.batch_alter_table("sis_person_identifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sis_person_identifier_person_id"), ["person_id"], unique=False)

    op.create_table(
        "sis_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("local_id", sa.String(length=255), nullable=False),
        sa.Column("los_type", sa.String(length=32), nullable=True),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.Column("subject_area", sa.String(length=64), nullable=True),
        sa.Column("isced_code", sa.String(length=16), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("grade", sa.String(length=64), nullable=True),
        sa.Column("grading_scheme_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("term_titles", sa.JSON(), nullable=True),
        sa.Column("term_start", sa.Date(), nullable=True),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.Column("credit_scheme", sa.String(length=32), nullable=True),
        sa.Column("credit_value", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("eqf_level", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("engagement_hours", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("distribution", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grading_scheme_id"],
            ["sis_grading_scheme.id"],
            name=op.f("fk_sis_result_grading_scheme_id_sis_grading_scheme"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["sis_institution.id"],
            name=op.f("fk_sis_result_institution_id_sis_institution"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["sis_result.id"],
            name=op.f("fk_sis_result_parent_id_sis_result"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["sis_person.id"],
            name=op.f("fk_sis_result_person_id_sis_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_result")),
        sa.UniqueConstraint(
            "person_id",
            "institution_id",
            "local_id",
            name=op.f("uq_sis_result_person_id_institution_id_local_id"),
        ),
    )
    with op.batch_alter_table("sis_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sis_result_person_id"), ["person_id"], unique=False)

    op.create_table(
        "sis_diploma_supplement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("introduction", sa.Text(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["sis_result.id"],
            name=op.f("fk_sis_diploma_supplement_result_id_sis_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sis_diploma_supplement")),
        sa.UniqueConstraint("result_id", name=op.f("uq_sis_diploma_supplement_result_id")),
    )


def downgrade() -> None:
    op.drop_table("sis_diploma_supplement")
    with op.batch_alter_table("sis_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sis_result_person_id"))

    op.drop_table("sis_result")
    with op.batch_alter_table("sis_person_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sis_person_identifier_person_id"))

    op.drop_table("sis_person_identifier")
    op.drop_table("sis_grading_scheme")
    op.drop_table("sis_person")
    op.drop_table("sis_institution")
