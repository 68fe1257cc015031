"""Writing a checked SIS import (see ``emrex.sis.format``) into the ``sis_*`` tables, all or nothing.

Re-importing the same file changes nothing: rows are matched by their natural keys (institution
SCHAC code, grading-scheme id within the institution, a person's identifiers, a result's local id
within person and institution) and updated in place. For each person in the file, the file holds all
of their results: results it no longer lists are deleted. Persons not in the file are left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from emrex.db import Database, utcnow
from emrex.sis.format import InstitutionData, PersonData, ResultData, SisData, SisImportError
from emrex.sis.mobility import import_mobilities, results_changed
from emrex.sis.tables import (
    SisDiplomaSupplement,
    SisGradingScheme,
    SisInstitution,
    SisPerson,
    SisPersonIdentifier,
    SisResult,
)


@dataclass(frozen=True)
class ImportSummary:
    institutions: int
    grading_schemes: int
    persons: int
    results: int
    created_persons: int
    deleted_results: int
    mobilities: int = 0  # incoming mobilities (EWP)


def import_sis(database: Database, data: SisData) -> ImportSummary:
    """Write ``data`` in one transaction; SisImportError names what conflicts with stored data."""
    with database.session() as session:
        return _Importer(session).run(data)


class _Importer:
    def __init__(self, session: Session) -> None:
        self.s = session
        self.now = utcnow()
        self.problems: list[str] = []
        self.institutions: dict[str, SisInstitution] = {}
        self.schemes: dict[tuple[int, str], SisGradingScheme] = {}
        self.results = self.created = self.deleted = 0
        self.current_ds: dict[int, SisDiplomaSupplement] = {}
        self.changed_persons: set[int] = set()  # person or results changed: their transcripts too

    def run(self, data: SisData) -> ImportSummary:
        for inst in data.institutions:
            self.institution(inst)
        self.load_referenced(data)
        for person in data.persons:
            self.person(person)
        if not self.problems:
            self.problems += import_mobilities(self.s, data.mobilities, self.now)
        if not self.problems:
            results_changed(self.s, self.changed_persons, self.now)
        if self.problems:
            raise SisImportError(self.problems)  # the session rolls back: nothing is stored
        return ImportSummary(
            institutions=len(data.institutions),
            grading_schemes=sum(len(i.grading_schemes) for i in data.institutions),
            persons=len(data.persons),
            results=self.results,
            created_persons=self.created,
            deleted_results=self.deleted,
            mobilities=len(data.mobilities),
        )

    def institution(self, data: InstitutionData) -> None:
        row = self.s.scalars(select(SisInstitution).where(SisInstitution.schac == data.schac)).one_or_none()
        if row is None:
            row = SisInstitution(schac=data.schac)
            self.s.add(row)
        row.url, row.names, row.erasmus, row.pic, row.country = (
            data.url, data.names, data.erasmus, data.pic, data.country,
        )  # fmt: skip
        if self.s.is_modified(row) or row.id is None:
            row.updated_at = self.now
        self.s.flush()
        self.institutions[data.schac] = row
        existing = {
            g.local_id: g
            for g in self.s.scalars(select(SisGradingScheme).where(SisGradingScheme.institution_id == row.id))
        }
        for scheme in data.grading_schemes:
            grow = existing.get(scheme.id)
            if grow is None:
                grow = SisGradingScheme(institution_id=row.id, local_id=scheme.id)
                self.s.add(grow)
            grow.descriptions = scheme.descriptions
            self.schemes[(row.id, scheme.id)] = grow
        self.s.flush()

    def load_referenced(self, data: SisData) -> None:
        """Institutions and grading schemes that results name but the file does not define."""
        wanted = {r.institution for p in data.persons for root in p.results for r in root.walk()}
        missing = wanted - set(self.institutions)
        if missing:
            for row in self.s.scalars(select(SisInstitution).where(SisInstitution.schac.in_(missing))):
                self.institutions[row.schac] = row
                for g in self.s.scalars(
                    select(SisGradingScheme).where(SisGradingScheme.institution_id == row.id)
                ):
                    self.schemes[(row.id, g.local_id)] = g

    def person(self, data: PersonData) -> None:
        pairs = list(data.identifiers.items())
        owned = list(
            self.s.scalars(
                select(SisPersonIdentifier).where(
                    tuple_(SisPersonIdentifier.type, SisPersonIdentifier.value).in_(pairs)
                )
            )
        )
        owners = {i.person_id for i in owned}
        if len(owners) > 1:
            self.problems.append(
                f"{data.path}.identifiers: they belong to {len(owners)} different persons already stored"
            )
            return
        if owners:
            row = self.s.get_one(SisPerson, owners.pop())
        else:
            row = SisPerson()
            self.s.add(row)
            self.created += 1
        row.given_names, row.family_name, row.birth_date = data.given_names, data.family_name, data.birth_date
        row.citizenship, row.gender = data.citizenship, data.gender
        row.place_of_birth, row.birth_name = data.place_of_birth, data.birth_name
        if row.id is None or self.s.is_modified(row):
            row.updated_at = self.now
        self.s.flush()
        if row.updated_at == self.now:
            self.changed_persons.add(row.id)
        self.identifiers(row, data)
        self.person_results(row, data)

    def identifiers(self, row: SisPerson, data: PersonData) -> None:
        current = {
            (i.type, i.value): i
            for i in self.s.scalars(
                select(SisPersonIdentifier).where(SisPersonIdentifier.person_id == row.id)
            )
        }
        wanted = set(data.identifiers.items())
        for key, ident in current.items():
            if key not in wanted:
                self.s.delete(ident)
        self.s.flush()
        for type_, value in wanted - set(current):
            self.s.add(SisPersonIdentifier(person_id=row.id, type=type_, value=value))
        self.s.flush()

    def person_results(self, person: SisPerson, data: PersonData) -> None:
        existing = {
            (r.institution_id, r.local_id): r
            for r in self.s.scalars(select(SisResult).where(SisResult.person_id == person.id))
        }
        self.current_ds = {
            d.result_id: d
            for d in self.s.scalars(
                select(SisDiplomaSupplement).where(
                    SisDiplomaSupplement.result_id.in_([r.id for r in existing.values()])
                )
            )
        }
        kept: set[int] = set()
        position = 0
        stack: list[tuple[ResultData, SisResult | None]] = [(root, None) for root in reversed(data.results)]
        while stack:
            node, parent = stack.pop()
            inst = self.institutions.get(node.institution)
            if inst is None:
                self.problems.append(
                    f"{node.path}.institution: {node.institution!r} is neither in the file nor stored"
                )
                continue
            scheme_id = None
            if node.grading_scheme is not None:
                scheme = self.schemes.get((inst.id, node.grading_scheme))
                if scheme is None:
                    self.problems.append(
                        f"{node.path}.gradingScheme: {node.grading_scheme!r} is not a grading scheme of "
                        f"{node.institution}"
                    )
                    continue
                scheme_id = scheme.id
            row = existing.get((inst.id, node.local_id))
            if row is None:
                row = SisResult(person_id=person.id, institution_id=inst.id, local_id=node.local_id)
                self.s.add(row)
            position += 1
            _fill(row, node, parent, position, scheme_id)
            if row.id is None or self.s.is_modified(row):
                self.changed_persons.add(person.id)
            self.s.flush()
            kept.add(row.id)
            self.results += 1
            self.supplement(row, node.diploma_supplement)
            stack.extend((part, row) for part in reversed(node.parts))
        gone = [r.id for r in existing.values() if r.id not in kept]
        if gone:
            # one statement; the database cascades to their diploma supplements
            self.s.execute(
                delete(SisResult).where(SisResult.id.in_(gone)),
                execution_options={"synchronize_session": False},
            )
            for r in existing.values():
                if r.id not in kept:
                    self.s.expunge(r)
            self.deleted += len(gone)
            self.changed_persons.add(person.id)

    def supplement(self, row: SisResult, ds: dict[str, Any] | None) -> None:
        current = self.current_ds.get(row.id)
        if ds is None:
            if current is not None:
                self.s.delete(current)
                self.changed_persons.add(row.person_id)
            return
        if current is None:
            current = SisDiplomaSupplement(result_id=row.id)
            self.s.add(current)
            self.changed_persons.add(row.person_id)
        current.version = ds["version"]
        current.issue_date = dt.date.fromisoformat(ds["issueDate"])
        current.lang = ds["lang"]
        current.introduction = ds["introduction"]
        current.sections = ds["sections"]
        if self.s.is_modified(current):
            self.changed_persons.add(row.person_id)


def _fill(
    row: SisResult, node: ResultData, parent: SisResult | None, position: int, scheme_id: int | None
) -> None:
    row.parent_id = parent.id if parent is not None else None
    row.position = position
    row.los_type = node.type
    row.titles = node.titles
    row.descriptions = node.descriptions
    row.subject_area = node.subject_area
    row.isced_code = node.isced_code
    row.url = node.url
    row.status = node.status
    row.grade = node.grade
    row.grading_scheme_id = scheme_id
    row.start_date = node.start
    row.end_date = node.date
    row.term_titles = node.term_titles
    row.term_start = node.term_start
    row.term_end = node.term_end
    row.credit_scheme = node.credit_scheme
    row.credit_value = node.credit_value
    row.eqf_level = node.eqf_level
    row.language = node.language
    row.engagement_hours = node.engagement_hours
    row.distribution = node.distribution
