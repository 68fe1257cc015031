"""recognition tables: the home course catalogue, recognition cases and their parts; webhook events
without a transfer

Revision ID: 6f9123d86547
Revises: 5ec0c1e2a9b4
Create Date: 2026-12-07 12:53:53.465377
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "6f9123d86547"
down_revision: str | None = "5ec0c1e2a9b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "emc_course",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("titles", sa.Text(), nullable=False),
        sa.Column("search", sa.Text(), nullable=False),
        sa.Column("credits", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_course")),
        sa.UniqueConstraint("code", name=op.f("uq_emc_course_code")),
    )
    with op.batch_alter_table("emc_course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emc_course_active"), ["active"], unique=False)

    op.create_table(
        "emc_recognition_case",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("student", sa.String(length=255), nullable=False),
        sa.Column("student_name", sa.String(length=255), nullable=False),
        sa.Column("student_birth_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("created_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("registered_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("expert_name", sa.String(length=255), nullable=True),
        sa.Column("expert_statement", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_by_name", sa.String(length=255), nullable=True),
        sa.Column("sis_reference", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_recognition_case")),
        sa.UniqueConstraint("number", name=op.f("uq_emc_recognition_case_number")),
    )
    with op.batch_alter_table("emc_recognition_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_emc_recognition_case_status_submitted_at", ["status", "submitted_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_emc_recognition_case_student"), ["student"], unique=False)

    op.create_table(
        "emc_recognition_attachment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["emc_recognition_case.id"],
            name=op.f("fk_emc_recognition_attachment_case_id_emc_recognition_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_recognition_attachment")),
    )
    with op.batch_alter_table("emc_recognition_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emc_recognition_attachment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "emc_recognition_basis",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=255), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("issuer_id", sa.String(length=255), nullable=True),
        sa.Column("issuer_country", sa.String(length=2), nullable=True),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("grade", sa.String(length=255), nullable=True),
        sa.Column("credits", sa.String(length=40), nullable=True),
        sa.Column("credit_scheme", sa.String(length=40), nullable=True),
        sa.Column("level", sa.String(length=255), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("issuer_key", sa.String(length=255), nullable=False),
        sa.Column("code_key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["emc_recognition_case.id"],
            name=op.f("fk_emc_recognition_basis_case_id_emc_recognition_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_recognition_basis")),
    )
    with op.batch_alter_table("emc_recognition_basis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emc_recognition_basis_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_emc_recognition_basis_issuer_key_code_key", ["issuer_key", "code_key"], unique=False
        )

    op.create_table(
        "emc_recognition_document",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["emc_recognition_case.id"],
            name=op.f("fk_emc_recognition_document_case_id_emc_recognition_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_recognition_document")),
        sa.UniqueConstraint("case_id", "language", name=op.f("uq_emc_recognition_document_case_id_language")),
    )
    op.create_table(
        "emc_recognition_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_name", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["emc_recognition_case.id"],
            name=op.f("fk_emc_recognition_event_case_id_emc_recognition_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_recognition_event")),
    )
    with op.batch_alter_table("emc_recognition_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emc_recognition_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "emc_recognition_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("course_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("titles", sa.Text(), nullable=False),
        sa.Column("credits", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("granted_credits", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["emc_recognition_case.id"],
            name=op.f("fk_emc_recognition_item_case_id_emc_recognition_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["emc_course.id"], name=op.f("fk_emc_recognition_item_course_id_emc_course")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_recognition_item")),
    )
    with op.batch_alter_table("emc_recognition_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emc_recognition_item_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emc_recognition_item_course_id"), ["course_id"], unique=False)

    op.create_table(
        "emc_recognition_item_basis",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("basis_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["basis_id"],
            ["emc_recognition_basis.id"],
            name=op.f("fk_emc_recognition_item_basis_basis_id_emc_recognition_basis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["emc_recognition_item.id"],
            name=op.f("fk_emc_recognition_item_basis_item_id_emc_recognition_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "basis_id", name=op.f("pk_emc_recognition_item_basis")),
    )
    with op.batch_alter_table("emc_recognition_item_basis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emc_recognition_item_basis_basis_id"), ["basis_id"], unique=False
        )

    with op.batch_alter_table("emc_webhook_event", schema=None) as batch_op:
        batch_op.alter_column("transfer_id", existing_type=_ID, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM emc_webhook_event WHERE transfer_id IS NULL")  # recognition events
    with op.batch_alter_table("emc_webhook_event", schema=None) as batch_op:
        batch_op.alter_column("transfer_id", existing_type=_ID, nullable=False)

    with op.batch_alter_table("emc_recognition_item_basis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_recognition_item_basis_basis_id"))

    op.drop_table("emc_recognition_item_basis")
    with op.batch_alter_table("emc_recognition_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_recognition_item_course_id"))
        batch_op.drop_index(batch_op.f("ix_emc_recognition_item_case_id"))

    op.drop_table("emc_recognition_item")
    with op.batch_alter_table("emc_recognition_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_recognition_event_case_id"))

    op.drop_table("emc_recognition_event")
    op.drop_table("emc_recognition_document")
    with op.batch_alter_table("emc_recognition_basis", schema=None) as batch_op:
        batch_op.drop_index("ix_emc_recognition_basis_issuer_key_code_key")
        batch_op.drop_index(batch_op.f("ix_emc_recognition_basis_case_id"))

    op.drop_table("emc_recognition_basis")
    with op.batch_alter_table("emc_recognition_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_recognition_attachment_case_id"))

    op.drop_table("emc_recognition_attachment")
    with op.batch_alter_table("emc_recognition_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_recognition_case_student"))
        batch_op.drop_index("ix_emc_recognition_case_status_submitted_at")

    op.drop_table("emc_recognition_case")
    with op.batch_alter_table("emc_course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_course_active"))

    op.drop_table("emc_course")
