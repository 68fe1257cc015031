"""The EMC's tables: transfers, the foreign credentials confirmed from them, and webhook events."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    and_,
    case,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emrex.db.base import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")


class Status(StrEnum):
    STARTED = "started"  # the student was sent to the EMP; waiting for the return
    RECEIVED = "received"  # verified results wait for the student to confirm or discard
    REVIEW = "review"  # confirmed, waiting for staff to check the identity
    IMPORTED = "imported"
    DISCARDED = "discarded"
    REJECTED = "rejected"  # staff refused the import
    CANCELLED = "cancelled"
    NO_RESULTS = "no_results"
    EMP_ERROR = "emp_error"
    FAILED = "failed"  # refused by us: signature, document, identity, protocol
    WITHDRAWN = "withdrawn"  # the student cancelled it while it waited for the data provider
    # Never stored: a STARTED transfer whose time is up is shown (and filtered) as EXPIRED.
    EXPIRED = "expired"


class Source(StrEnum):
    EMREX = "emrex"
    EWP = "ewp"
    WALLET = "wallet"  # presented from the student's EU wallet (emrex.emc.wallet_import)
    # From the wallet, a credential without its data provider's signed ELMO: converted from its ELM,
    # vouched for by the wallet issuer alone ([emc.wallet_import] accept_without_signed_elmo).
    WALLET_ELM = "wallet-elm"


FINISHED_WITHOUT_IMPORT = (
    Status.DISCARDED,
    Status.REJECTED,
    Status.CANCELLED,
    Status.NO_RESULTS,
    Status.EMP_ERROR,
    Status.FAILED,
    Status.WITHDRAWN,
)
# What the student may delete.
DELETABLE = (Status.STARTED, Status.RECEIVED, *FINISHED_WITHOUT_IMPORT)


class Transfer(Base):
    __tablename__ = "emc_transfer"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    student: Mapped[str] = mapped_column(String(255), index=True)  # the login subject
    student_name: Mapped[str] = mapped_column(String(255))
    student_json: Mapped[str] = mapped_column(Text)  # emc.student_record: identity is checked against it
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    returned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    country_code: Mapped[str] = mapped_column(String(2))
    emp_acronym: Mapped[str] = mapped_column(String(255))
    emp_name: Mapped[str] = mapped_column(String(255))
    emp_url: Mapped[str] = mapped_column(String(2048))
    emp_certificates: Mapped[str] = mapped_column(Text)  # PEM, pinned when the transfer started
    emp_institutions: Mapped[str | None] = mapped_column(Text)  # JSON list, pinned with the certificates
    return_code: Mapped[str | None] = mapped_column(String(40))
    return_message: Mapped[str | None] = mapped_column(Text)
    failure: Mapped[str | None] = mapped_column(Text)
    signer: Mapped[str | None] = mapped_column(Text)
    signer_fingerprint: Mapped[str | None] = mapped_column(String(128))
    algorithms: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[str | None] = mapped_column(Text)  # JSON list
    identity_verdict: Mapped[str | None] = mapped_column(String(20))
    identity_reasons: Mapped[str | None] = mapped_column(Text)  # JSON list
    # The reports' issuers as the signed document names them: JSON list of {name, id, country}.
    issuers: Mapped[str | None] = mapped_column(Text)
    courses: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[str] = mapped_column(String(40), default="0")  # ECTS of passed courses, decimal text
    elmo_xml: Mapped[bytes | None] = mapped_column(LargeBinary)  # the received document, byte-exact
    # SHA-256 (hex) of the signed content: the same results posted into another transfer are found by it
    document_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    # What the pages show and the import takes, read from the signed tree at the return (JSON,
    # emrex.emc.results_view): shown and imported without verifying again.
    results_view: Mapped[str | None] = mapped_column(Text)
    raw_purged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    review_decision: Mapped[str | None] = mapped_column(String(20))
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # Where the results came from: "emrex" (the student's transfer) or "ewp" (fetched by staff from a
    # partner's EWP imobility-tors API; the partner is emp_acronym/emp_name, the mobility mobility_id).
    source: Mapped[str] = mapped_column(String(10), default=Source.EMREX, server_default=Source.EMREX.value)
    mobility_id: Mapped[str | None] = mapped_column(String(64))
    fetched_by: Mapped[str | None] = mapped_column(String(255))
    # Source "wallet": who vouched for the presented credential (its signing certificate's subject) and
    # the issuer it names (iss), as "subject (iss)".
    vouched_by: Mapped[str | None] = mapped_column(Text)

    credentials: Mapped[list[ForeignCredential]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", order_by="ForeignCredential.id"
    )


def shown_status(transfer: Transfer, now: dt.datetime) -> Status:
    """The status to show: a transfer still waiting when its time is up has expired."""
    if transfer.status == Status.STARTED and transfer.expires_at <= now:
        return Status.EXPIRED
    return Status(transfer.status)


def shown_status_column(now: dt.datetime) -> ColumnElement[str]:
    """``shown_status`` in SQL, for filters and counts."""
    expired = and_(Transfer.status == Status.STARTED.value, Transfer.expires_at <= now)
    return case((expired, Status.EXPIRED.value), else_=Transfer.status)


class ForeignCredential(Base):
    """One course (learning opportunity) imported from a confirmed transfer."""

    __tablename__ = "emc_credential"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("emc_transfer.id", ondelete="CASCADE"), index=True)
    student: Mapped[str] = mapped_column(String(255), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    issuer: Mapped[str] = mapped_column(Text)
    issuer_id: Mapped[str | None] = mapped_column(String(255))
    issuer_country: Mapped[str | None] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(255))
    los_type: Mapped[str | None] = mapped_column(String(40))
    grade: Mapped[str | None] = mapped_column(String(255))
    grading_scheme: Mapped[str | None] = mapped_column(Text)
    credits: Mapped[str | None] = mapped_column(String(40))
    credit_scheme: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(255))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))

    transfer: Mapped[Transfer] = relationship(back_populates="credentials")


class WebhookEvent(Base):
    __tablename__ = "emc_webhook_event"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    # None for events of other things than a transfer (credit recognition cases).
    transfer_id: Mapped[int | None] = mapped_column(
        ForeignKey("emc_transfer.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
