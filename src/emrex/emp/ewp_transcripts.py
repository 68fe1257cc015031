"""The transcripts the EMP serves over EWP: the signed ELMO of an approved incoming mobility, made
ahead and stored in the database (``sis_mobility_transcript``) for every worker to serve.

A transcript holds the student's results at the receiving institution within the mobility's period
(a result counts when its date, or its start when it has no date, falls between the mobility's start
and end; a programme or module counts when one of its parts does, and keeps only those parts), made
by the same code as the EMP's EMREX answer (signed, the PDF attached). It is made ahead for every
approved mobility (``prepare``: at the EMP's start and then every minute) and stored with the
mobility's ``updated_at``; an import that changes the mobility or the student's person or results
moves that on, so the stored copy is no longer served and is made again. A ``get`` that finds no
current copy makes it on the spot and stores it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from emrex.db import Database, utcnow
from emrex.elmo import model as m
from emrex.emp.document import DocumentError, build
from emrex.emp.selection import catalogue
from emrex.emp.sources.base import LearnerResults, PersonQuery, SourceError
from emrex.ewp import IncomingMobility, TranscriptUnavailable
from emrex.sis.source import SqlSource
from emrex.sis.tables import SisIncomingMobility, SisMobilityTranscript
from emrex.trust.signer import Signer

log = logging.getLogger("emrex.emp")


def within(
    los: m.LearningOpportunitySpecification, start: dt.date, end: dt.date
) -> m.LearningOpportunitySpecification | None:
    """``los`` with only the parts that fall in the period; None when nothing of it does."""
    parts = tuple(p for p in (within(part, start, end) for part in los.has_part) if p is not None)
    instance = los.specifies
    moment = instance.date or instance.start if instance is not None else None
    if parts or (moment is not None and start <= moment <= end):
        return replace(los, has_part=parts)
    return None


def of_period(report: m.Report, start: dt.date, end: dt.date) -> m.Report | None:
    kept = tuple(
        los for los in (within(x, start, end) for x in report.learning_opportunity_specifications) if los
    )
    return replace(report, learning_opportunity_specifications=kept) if kept else None


class SisTranscripts:
    """``TranscriptSource`` over the built-in SIS: the stored transcript while it is current, else
    made, stored and returned."""

    def __init__(self, database: Database, signer: Signer, *, zone: ZoneInfo | dt.timezone = dt.UTC) -> None:
        self.database = database
        self.source = SqlSource(database)
        self.signer = signer
        self.zone = zone

    def __call__(self, mobility: IncomingMobility) -> bytes:
        query = (
            select(SisIncomingMobility, SisMobilityTranscript)
            .outerjoin(SisMobilityTranscript, SisMobilityTranscript.mobility_id == SisIncomingMobility.id)
            .where(SisIncomingMobility.omobility_id == mobility.omobility_id)
        )
        with self.database.session(readonly=True) as s:
            found = s.execute(query).first()
            if found is None:
                raise TranscriptUnavailable(f"mobility {mobility.omobility_id} is no longer stored")
            row, stored = found
            if stored is not None and stored.made_for == row.updated_at:
                return stored.xml
            row_id, made_for, start, end = row.id, row.updated_at, row.start_date, row.end_date
        xml = self.make(replace(mobility, start=start, end=end))
        self._store(row_id, made_for, xml)
        return xml

    def make(self, mobility: IncomingMobility) -> bytes:
        where = f"the transcript of mobility {mobility.omobility_id}"
        try:
            found = self.source.fetch(PersonQuery({"esi": mobility.student.esi}))
        except SourceError as error:
            raise TranscriptUnavailable(f"{where}: {error}") from None
        here = [r for r in found.reports if r.issuer.identifier("schac") == mobility.receiving_hei_id]
        reports = [r for r in (of_period(x, mobility.start, mobility.end) for x in here) if r is not None]
        if not reports:
            raise TranscriptUnavailable(
                f"{where}: the student has no results at {mobility.receiving_hei_id} "
                f"from {mobility.start} to {mobility.end}"
            )
        offered = catalogue(LearnerResults(found.learner, reports), allow_not_passed=True)
        try:
            return build(offered, offered.selectable_keys, self.signer, zone=self.zone).xml
        except DocumentError as error:
            raise TranscriptUnavailable(f"{where}: {error}") from None

    def pending(self) -> list[str]:
        """The approved mobilities without a current stored transcript."""
        query = (
            select(SisIncomingMobility.omobility_id)
            .outerjoin(SisMobilityTranscript, SisMobilityTranscript.mobility_id == SisIncomingMobility.id)
            .where(SisIncomingMobility.tor_approved_at.is_not(None))
            .where(
                SisMobilityTranscript.id.is_(None)
                | (SisMobilityTranscript.made_for != SisIncomingMobility.updated_at)
            )
            .order_by(SisIncomingMobility.omobility_id)
        )
        with self.database.session(readonly=True) as s:
            return list(s.scalars(query))

    def _store(self, mobility_id: int, made_for: dt.datetime, xml: bytes) -> None:
        """Insert or replace, in a transaction of its own (two workers may make the same one)."""
        dialect = postgresql if self.database.engine.dialect.name == "postgresql" else sqlite
        values = {"made_for": made_for, "made_at": utcnow(), "xml": xml}
        statement = dialect.insert(SisMobilityTranscript.__table__).values(mobility_id=mobility_id, **values)
        statement = statement.on_conflict_do_update(index_elements=["mobility_id"], set_=values)
        with self.database.engine.begin() as c:
            c.execute(statement)
