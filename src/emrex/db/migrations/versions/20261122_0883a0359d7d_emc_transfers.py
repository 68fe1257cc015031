"""emc transfers

Revision ID: 0883a0359d7d
Revises: a7bb883e4cd8
Create Date: 2026-11-22 23:17:41.275476
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import emrex.db.base

revision: str = "0883a0359d7d"
down_revision: str | None = "a7bb883e4cd8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emc_transfer",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("student", sa.String(length=255), nullable=False),
        sa.Column("student_name", sa.String(length=255), nullable=False),
        sa.Column("student_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("returned_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("emp_acronym", sa.String(length=255), nullable=False),
        sa.Column("emp_name", sa.String(length=255), nullable=False),
        sa.Column("emp_url", sa.String(length=2048), nullable=False),
        sa.Column("emp_certificates", sa.Text(), nullable=False),
        sa.Column("return_code", sa.String(length=40), nullable=True),
        sa.Column("return_message", sa.Text(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("signer", sa.Text(), nullable=True),
        sa.Column("signer_fingerprint", sa.String(length=128), nullable=True),
        sa.Column("algorithms", sa.Text(), nullable=True),
        sa.Column("warnings", sa.Text(), nullable=True),
        sa.Column("identity_verdict", sa.String(length=20), nullable=True),
        sa.Column("identity_reasons", sa.Text(), nullable=True),
        sa.Column("courses", sa.Integer(), nullable=False),
        sa.Column("credits", sa.String(length=40), nullable=False),
        sa.Column("elmo_xml", sa.LargeBinary(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("raw_purged_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("review_decision", sa.String(length=20), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("reviewed_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_transfer")),
        sa.UniqueConstraint("session_id", name=op.f("uq_emc_transfer_session_id")),
    )
    with op.batch_alter_table("emc_transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emc_transfer_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_emc_transfer_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_emc_transfer_student"), ["student"], unique=False)

    op.create_table(
        "emc_credential",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("student", sa.String(length=255), nullable=False),
        sa.Column("imported_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("issuer_id", sa.String(length=255), nullable=True),
        sa.Column("issuer_country", sa.String(length=2), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("los_type", sa.String(length=40), nullable=True),
        sa.Column("grade", sa.String(length=255), nullable=True),
        sa.Column("grading_scheme", sa.Text(), nullable=True),
        sa.Column("credits", sa.String(length=40), nullable=True),
        sa.Column("credit_scheme", sa.String(length=40), nullable=True),
        sa.Column("level", sa.String(length=255), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["emc_transfer.id"],
            name=op.f("fk_emc_credential_transfer_id_emc_transfer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_credential")),
    )
    with op.batch_alter_table("emc_credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emc_credential_imported_at"), ["imported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_emc_credential_student"), ["student"], unique=False)
        batch_op.create_index(batch_op.f("ix_emc_credential_transfer_id"), ["transfer_id"], unique=False)

    op.create_table(
        "emc_webhook_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", emrex.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", emrex.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["emc_transfer.id"],
            name=op.f("fk_emc_webhook_event_transfer_id_emc_transfer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emc_webhook_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_emc_webhook_event_event_id")),
    )
    with op.batch_alter_table("emc_webhook_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emc_webhook_event_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_emc_webhook_event_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_emc_webhook_event_transfer_id"), ["transfer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("emc_webhook_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_webhook_event_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_emc_webhook_event_state"))
        batch_op.drop_index(batch_op.f("ix_emc_webhook_event_next_attempt_at"))

    op.drop_table("emc_webhook_event")
    with op.batch_alter_table("emc_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_credential_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_emc_credential_student"))
        batch_op.drop_index(batch_op.f("ix_emc_credential_imported_at"))

    op.drop_table("emc_credential")
    with op.batch_alter_table("emc_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emc_transfer_student"))
        batch_op.drop_index(batch_op.f("ix_emc_transfer_status"))
        batch_op.drop_index(batch_op.f("ix_emc_transfer_created_at"))

    op.drop_table("emc_transfer")
