"""The built-in SQL SIS as a results source: a person's results as ELMO reports, in a few queries.

One query finds the person by identifier, then one query per table loads everything (results,
institutions, grading schemes, diploma supplements), whatever the number of results.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Text, bindparam, cast, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from emrex.db import Database
from emrex.elmo import model as m
from emrex.emp.sources.base import (
    DEFAULT_IDENTIFIER_TYPES,
    LearnerResults,
    PersonNotFound,
    PersonQuery,
    SourceUnavailable,
    no_identifier,
)
from emrex.sis.format import normalize_identifier
from emrex.sis.tables import (
    SisDiplomaSupplement,
    SisGradingScheme,
    SisInstitution,
    SisPerson,
    SisPersonIdentifier,
    SisResult,
)


@dataclass(frozen=True)
class SqlSourceConfig:
    identifier_types: tuple[str, ...] = DEFAULT_IDENTIFIER_TYPES


_PEOPLE = SisPerson.__table__
_IDENTIFIERS = SisPersonIdentifier.__table__
_RESULTS = SisResult.__table__
_INSTITUTIONS = SisInstitution.__table__
_SCHEMES = SisGradingScheme.__table__
_SUPPLEMENTS = SisDiplomaSupplement.__table__
# Core statements built once, each the same SQL text every time (no IN list that varies with the
# person). Results come as rows with JSON as text, converted once per distinct value: several times
# faster than ORM objects.
_PERSON = (
    select(_PEOPLE)
    .join(_IDENTIFIERS, _IDENTIFIERS.c.person_id == _PEOPLE.c.id)
    .where(_IDENTIFIERS.c.type == bindparam("type"), _IDENTIFIERS.c.value == bindparam("value"))
    .limit(1)
)
_PERSON_IDENTIFIERS = (
    select(_IDENTIFIERS.c.type, _IDENTIFIERS.c.value)
    .where(_IDENTIFIERS.c.person_id == bindparam("person_id"))
    .order_by(_IDENTIFIERS.c.id)
)
_PERSON_RESULTS = (
    select(*[c if not isinstance(c.type, JSON) else cast(c, Text).label(c.name) for c in _RESULTS.columns])
    .where(_RESULTS.c.person_id == bindparam("person_id"))
    .order_by(_RESULTS.c.position)
)
_RESULT_INSTITUTIONS = select(_RESULTS.c.institution_id).where(_RESULTS.c.person_id == bindparam("person_id"))
_PERSON_INSTITUTIONS = select(_INSTITUTIONS).where(_INSTITUTIONS.c.id.in_(_RESULT_INSTITUTIONS))
_PERSON_SCHEMES = select(_SCHEMES).where(_SCHEMES.c.institution_id.in_(_RESULT_INSTITUTIONS))
_PERSON_SUPPLEMENTS = (
    select(_SUPPLEMENTS)
    .join(_RESULTS, _RESULTS.c.id == _SUPPLEMENTS.c.result_id)
    .where(_RESULTS.c.person_id == bindparam("person_id"))
)


class SqlSource:
    """Results from the ``sis_*`` tables (filled by ``emrex emp import``)."""

    def __init__(self, database: Database, config: SqlSourceConfig = SqlSourceConfig()) -> None:
        self.database = database
        self.config = config

    def fetch(self, person: PersonQuery) -> LearnerResults:
        candidates = [
            (t, normalize_identifier(t, v)) for t, v in person.candidates(self.config.identifier_types)
        ]
        if not candidates:
            raise no_identifier(self.config.identifier_types)
        try:
            with self.database.session(readonly=True) as session:
                connection = session.connection()
                row = None
                for type_, value in candidates:
                    row = connection.execute(_PERSON, {"type": type_, "value": value}).first()
                    if row is not None:
                        break
                if row is None:
                    raise PersonNotFound("no student record matches the identifiers the login gave")
                return _load(connection, row, _now())
        except SQLAlchemyError as exc:
            raise SourceUnavailable(f"the student records database failed ({type(exc).__name__})") from exc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _load(connection: Connection, row: Any, now: dt.datetime) -> LearnerResults:
    """Everything about the person of ``row`` (a ``sis_person`` row), one statement per table."""
    of_person = {"person_id": row.id}
    identifiers = connection.execute(_PERSON_IDENTIFIERS, of_person).all()
    learner = m.Learner(
        given_names=row.given_names,
        family_name=row.family_name,
        citizenship=row.citizenship,
        identifiers=tuple(m.Identifier(i.type, i.value) for i in identifiers),
        birth_date=row.birth_date,
        place_of_birth=row.place_of_birth,
        birth_name=row.birth_name,
        gender=m.Gender(row.gender) if row.gender is not None else None,
    )
    results: Sequence[Any] = connection.execute(_PERSON_RESULTS, of_person).all()
    if not results:
        return LearnerResults(learner, [])
    institutions = {i.id: i for i in connection.execute(_PERSON_INSTITUTIONS, of_person)}
    schemes: dict[int, Any] = {g.id: g for g in connection.execute(_PERSON_SCHEMES, of_person)}
    supplements: dict[int, Any] = {d.result_id: d for d in connection.execute(_PERSON_SUPPLEMENTS, of_person)}
    texts = _TextCache()

    children: dict[int | None, list[Any]] = defaultdict(list)
    for r in results:
        children[r.parent_id].append(r)

    def build(r: Any, depth: int) -> m.LearningOpportunitySpecification:
        parts = tuple(build(c, depth + 1) for c in children.get(r.id, ())) if depth < 64 else ()
        return _los(r, texts, schemes, supplements.get(r.id), parts)

    by_institution: dict[int, list[m.LearningOpportunitySpecification]] = defaultdict(list)
    for root in children.get(None, ()):
        by_institution[root.institution_id].append(build(root, 0))
    reports = []
    for institution_id, roots in by_institution.items():
        used = sorted(
            {r.grading_scheme_id for r in results if r.institution_id == institution_id} - {None},
            key=lambda i: schemes[i].local_id if i is not None else "",
        )
        reports.append(
            m.Report(
                issuer=_issuer(institutions[institution_id]),
                learning_opportunity_specifications=tuple(roots),
                issue_date=now,
                grading_schemes=tuple(
                    m.GradingScheme(schemes[i].local_id, _texts(schemes[i].descriptions))
                    for i in used
                    if i is not None
                ),
            )
        )
    return LearnerResults(learner, reports)


def _issuer(row: Any) -> m.Issuer:
    identifiers = [m.Identifier("schac", row.schac)]
    if row.erasmus:
        identifiers.append(m.Identifier("erasmus", row.erasmus))
    if row.pic:
        identifiers.append(m.Identifier("pic", row.pic))
    return m.Issuer(tuple(identifiers), _texts(row.names), row.url, row.country)


class _TextCache(dict[str, tuple[m.LangText, ...]]):
    """JSON text of language variants -> LangTexts, decoded once per distinct value."""

    def __missing__(self, raw: str) -> tuple[m.LangText, ...]:
        value = _texts(json.loads(raw))
        self[raw] = value
        return value


def _los(
    r: Any,
    texts: _TextCache,
    schemes: dict[int, Any],
    ds: Any,
    parts: tuple[m.LearningOpportunitySpecification, ...],
) -> m.LearningOpportunitySpecification:
    term = None
    if r.term_titles is not None and r.term_titles != "null":
        term = m.AcademicTerm(texts[r.term_titles], r.term_start, r.term_end)
    distribution = None
    if r.distribution is not None and r.distribution != "null":
        raw = json.loads(r.distribution)
        distribution = m.ResultDistribution(
            tuple(m.DistributionCategory(c["label"], int(c["count"])) for c in raw["categories"]),
            _texts(raw.get("descriptions", [])),
        )
    credits: tuple[m.Credit, ...] = ()
    if r.credit_value is not None:
        credits = (m.Credit(r.credit_scheme or "ECTS", _decimal(r.credit_value)),)
    loi = m.LearningOpportunityInstance(
        start=r.start_date,
        date=r.end_date,
        academic_term=term,
        status=m.LoiStatus(r.status) if r.status else None,
        grading_scheme_local_id=schemes[r.grading_scheme_id].local_id if r.grading_scheme_id else None,
        result_label=r.grade,
        result_distribution=distribution,
        credits=credits,
        levels=(m.Level("EQF", value=str(r.eqf_level)),) if r.eqf_level is not None else (),
        language_of_instruction=r.language,
        engagement_hours=_decimal(r.engagement_hours) if r.engagement_hours is not None else None,
        diploma_supplement=_supplement(ds) if ds is not None else None,
    )
    return m.LearningOpportunitySpecification(
        titles=texts[r.titles],
        identifiers=(m.Identifier("local", r.local_id),),
        type=m.LosType(r.los_type) if r.los_type else None,
        subject_area=r.subject_area,
        isced_code=r.isced_code,
        url=r.url,
        descriptions=texts[r.descriptions],
        specifies=loi,
        has_part=parts,
    )


def _supplement(ds: Any) -> m.DiplomaSupplement:
    return m.DiplomaSupplement(
        version=ds.version,
        issue_date=ds.issue_date,
        introduction=ds.introduction,
        sections=tuple(_section(s) for s in ds.sections),
        lang=ds.lang,
    )


def _section(s: dict[str, Any]) -> m.DiplomaSupplementSection:
    return m.DiplomaSupplementSection(
        number=s["number"],
        title=s["title"],
        content=s.get("content"),
        content_type=s.get("contentType"),
        additional_information=tuple(s.get("additionalInformation", ())),
        sections=tuple(_section(sub) for sub in s.get("sections", ())),
    )


def _texts(values: list[dict[str, Any]]) -> tuple[m.LangText, ...]:
    return tuple(m.LangText(v["text"], v.get("lang")) for v in values)


def _decimal(value: Decimal) -> Decimal:
    """Stored with two decimals; 7.50 is given as 7.5 and 5.00 as 5."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal
