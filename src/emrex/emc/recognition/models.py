"""The tables of credit recognition: the home course catalogue, cases, their basis, items, attachments,
the audit trail and the decision documents.

A basis names the foreign result it rests on generically (``source`` and ``source_ref``: an EMREX
credential now, a wallet credential or an EWP record later) and keeps a copy of what the decision
relied on, so a decision stays readable whatever happens to the source.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from emrex.db.base import Base, UtcDateTime

_ID = BigInteger().with_variant(Integer(), "sqlite")


class CaseStatus(StrEnum):
    DRAFT = "draft"  # the student is still writing the application; no case number yet
    SUBMITTED = "submitted"  # waiting for a case officer
    NEEDS_INFORMATION = "needs_information"  # the officer asked the student for more
    EXPERT_STATEMENT = "expert_statement"  # a subject expert was asked for a statement
    DECIDED = "decided"
    REGISTERED = "registered"  # the decision is recorded in the student information system
    WITHDRAWN = "withdrawn"  # by the student, before the decision


OPEN = (CaseStatus.SUBMITTED, CaseStatus.NEEDS_INFORMATION, CaseStatus.EXPERT_STATEMENT)
WAITING_FOR_STAFF = (CaseStatus.SUBMITTED, CaseStatus.EXPERT_STATEMENT)
DECIDED = (CaseStatus.DECIDED, CaseStatus.REGISTERED)


class Outcome(StrEnum):
    GRANTED = "granted"
    PARTLY = "partly"  # partly granted: fewer credits than the target carries
    REFUSED = "refused"


class TargetKind(StrEnum):
    COURSE = "course"  # a course of the home catalogue
    CREDITS = "credits"  # credits without a matching course


class Course(Base):
    """A course of the home institution's catalogue (``emrex emc catalogue import``)."""

    __tablename__ = "emc_course"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    titles: Mapped[str] = mapped_column(Text)  # JSON {language: title}
    search: Mapped[str] = mapped_column(Text)  # code and titles, case-folded, for the search box
    credits: Mapped[str] = mapped_column(String(20))  # decimal text
    level: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(2048))
    active: Mapped[bool] = mapped_column(Boolean, index=True)  # false: no longer in the catalogue
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    def title(self, language: str) -> str:
        return title_in(self.titles, language)


def title_in(titles_json: str, language: str) -> str:
    """The title in ``language``, else English, else the first one given."""
    titles: dict[str, str] = json.loads(titles_json or "{}")
    return titles.get(language) or titles.get("en") or next(iter(titles.values()), "")


class Case(Base):
    __tablename__ = "emc_recognition_case"
    __table_args__ = (Index("ix_emc_recognition_case_status_submitted_at", "status", "submitted_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)  # given at submission
    student: Mapped[str] = mapped_column(String(255), index=True)  # the login subject
    student_name: Mapped[str] = mapped_column(String(255))
    student_birth_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    # Every change adds one; a change made from an older version is refused (two officers, one case).
    version: Mapped[int] = mapped_column(Integer)
    motivation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    registered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    expert_name: Mapped[str | None] = mapped_column(String(255))
    expert_statement: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_by_name: Mapped[str | None] = mapped_column(String(255))
    sis_reference: Mapped[str | None] = mapped_column(String(255))

    bases: Mapped[list[Basis]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Basis.id"
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Item.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )


class Basis(Base):
    """One foreign result the application rests on, copied when the case was started."""

    __tablename__ = "emc_recognition_basis"
    __table_args__ = (Index("ix_emc_recognition_basis_issuer_key_code_key", "issuer_key", "code_key"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("emc_recognition_case.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(20))  # "emrex" (later: "wallet", "ewp")
    source_ref: Mapped[str] = mapped_column(String(255))  # the stored result's id in that source
    issuer: Mapped[str] = mapped_column(Text)
    issuer_id: Mapped[str | None] = mapped_column(String(255))
    issuer_country: Mapped[str | None] = mapped_column(String(2))
    code: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    grade: Mapped[str | None] = mapped_column(String(255))
    credits: Mapped[str | None] = mapped_column(String(40))
    credit_scheme: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(255))
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    # The same foreign course across cases: issuer (identifier, else name) and code, case-folded.
    issuer_key: Mapped[str] = mapped_column(String(255))
    code_key: Mapped[str | None] = mapped_column(String(255))

    case: Mapped[Case] = relationship(back_populates="bases")


class Item(Base):
    """One target of the application (a home course or credits without one) and its decision."""

    __tablename__ = "emc_recognition_item"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("emc_recognition_case.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("emc_course.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(40))  # the course's, copied
    titles: Mapped[str] = mapped_column(Text)  # JSON {language: title}; the student's words for credits
    credits: Mapped[str] = mapped_column(String(20))  # the target's credits (asked for)
    outcome: Mapped[str | None] = mapped_column(String(20))
    granted_credits: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="items")
    links: Mapped[list[ItemBasis]] = relationship(cascade="all, delete-orphan", order_by="ItemBasis.basis_id")

    @property
    def basis_ids(self) -> list[int]:
        return [link.basis_id for link in self.links]

    def title(self, language: str) -> str:
        return title_in(self.titles, language)


class ItemBasis(Base):
    """Which foreign results an item rests on."""

    __tablename__ = "emc_recognition_item_basis"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("emc_recognition_item.id", ondelete="CASCADE"), primary_key=True
    )
    basis_id: Mapped[int] = mapped_column(
        ForeignKey("emc_recognition_basis.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Attachment(Base):
    """A PDF the student added (a syllabus, a certificate); served only as a download."""

    __tablename__ = "emc_recognition_attachment"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("emc_recognition_case.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_by: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    case: Mapped[Case] = relationship(back_populates="attachments")


class CaseEvent(Base):
    """The audit trail: who did what to a case, and when. Rows are only ever added."""

    __tablename__ = "emc_recognition_event"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("emc_recognition_case.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(255))
    actor_name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # the case's status after the action
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="events")


class DecisionDocument(Base):
    """The decision as a PDF, kept as it was first made (per language)."""

    __tablename__ = "emc_recognition_document"
    __table_args__ = (UniqueConstraint("case_id", "language"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("emc_recognition_case.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
