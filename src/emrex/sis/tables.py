"""Tables of the built-in SIS (``sis_*``): institutions, grading schemes, persons, results as trees.

Texts in several languages are JSON lists of ``{"lang": ..., "text": ...}``; a result row is one
LOS with its instance (the student's grade, credits, dates), linked to its parent in the tree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, UtcDateTime

LangTexts = list[dict[str, Any]]


class SisInstitution(Base):
    __tablename__ = "sis_institution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schac: Mapped[str] = mapped_column(String(255), unique=True)
    erasmus: Mapped[str | None] = mapped_column(String(64))
    pic: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    url: Mapped[str] = mapped_column(String(2048))
    names: Mapped[LangTexts] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class SisGradingScheme(Base):
    __tablename__ = "sis_grading_scheme"
    __table_args__ = (UniqueConstraint("institution_id", "local_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("sis_institution.id", ondelete="CASCADE"))
    local_id: Mapped[str] = mapped_column(String(255))
    descriptions: Mapped[LangTexts] = mapped_column(JSON)


class SisPerson(Base):
    __tablename__ = "sis_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    given_names: Mapped[str] = mapped_column(String(255))
    family_name: Mapped[str] = mapped_column(String(255))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    citizenship: Mapped[str | None] = mapped_column(String(2))
    gender: Mapped[int | None] = mapped_column(Integer)
    place_of_birth: Mapped[str | None] = mapped_column(String(255))
    birth_name: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class SisPersonIdentifier(Base):
    __tablename__ = "sis_person_identifier"
    __table_args__ = (UniqueConstraint("type", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("sis_person.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(255))


class SisResult(Base):
    """One LOS of a person's results and its instance; ``parent_id`` builds the tree."""

    __tablename__ = "sis_result"
    __table_args__ = (UniqueConstraint("person_id", "institution_id", "local_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("sis_person.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("sis_institution.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sis_result.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    local_id: Mapped[str] = mapped_column(String(255))
    los_type: Mapped[str | None] = mapped_column(String(32))
    titles: Mapped[LangTexts] = mapped_column(JSON)
    descriptions: Mapped[LangTexts] = mapped_column(JSON)
    subject_area: Mapped[str | None] = mapped_column(String(64))
    isced_code: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[str | None] = mapped_column(String(16))
    grade: Mapped[str | None] = mapped_column(String(64))
    grading_scheme_id: Mapped[int | None] = mapped_column(
        ForeignKey("sis_grading_scheme.id", ondelete="RESTRICT")
    )
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    term_titles: Mapped[LangTexts | None] = mapped_column(JSON)
    term_start: Mapped[dt.date | None] = mapped_column(Date)
    term_end: Mapped[dt.date | None] = mapped_column(Date)
    credit_scheme: Mapped[str | None] = mapped_column(String(32))
    credit_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    eqf_level: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    engagement_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    distribution: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SisDiplomaSupplement(Base):
    __tablename__ = "sis_diploma_supplement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("sis_result.id", ondelete="CASCADE"), unique=True)
    version: Mapped[str] = mapped_column(String(16))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    lang: Mapped[str | None] = mapped_column(String(8))
    introduction: Mapped[str] = mapped_column(Text)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class SisIncomingMobility(Base):
    __tablename__ = "sis_incoming_mobility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    omobility_id: Mapped[str] = mapped_column(String(64), unique=True)
    sending_hei: Mapped[str] = mapped_column(String(255), index=True)
    receiving_institution_id: Mapped[int] = mapped_column(
        ForeignKey("sis_institution.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("sis_person.id", ondelete="CASCADE"), index=True)
    student_esi: Mapped[str] = mapped_column(String(255))
    start_date: Mapped[dt.date] = mapped_column()
    end_date: Mapped[dt.date] = mapped_column()
    tor_approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class SisMobilityTranscript(Base):
    """The signed ELMO of an approved incoming mobility, made ahead by the EMP and served over EWP.

    ``made_for`` is the mobility's ``updated_at`` when it was made: an import that changes the
    mobility, or the student's person or results, moves ``updated_at`` on (and deletes this row),
    so a stored transcript is served only while it still describes what the SIS holds.
    """

    __tablename__ = "sis_mobility_transcript"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mobility_id: Mapped[int] = mapped_column(
        ForeignKey("sis_incoming_mobility.id", ondelete="CASCADE"), unique=True
    )
    made_for: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    made_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    xml: Mapped[bytes] = mapped_column(LargeBinary)
