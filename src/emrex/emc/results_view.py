"""What the transfer pages and the import need of a verified answer, kept when it arrived.

The return verifies the signature and reads the signed tree once (``emrex.emc.returns``). What the
student's and the staff's transfer pages show, and what confirming or approving imports, is taken
from that tree there and stored beside the signed bytes as compact JSON (``emc_transfer.results_view``),
its texts in every language the EMC serves (English always: the import names courses in English, as
it did). Showing a transfer or importing it reads that JSON once: no signature is verified again and
no XML parsed. A transfer stored before this column existed has none; it is verified and read again
as before (``emrex.emc.service.stored_received``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from emrex.elmo import model as m
from emrex.emc.returns import Course, Received, courses_of
from emrex.identity import Verdict
from emrex.registry.issuers import issuer_problems
from emrex.registry.model import Emp

FORMAT = 1
# Title, local code, type, grade, credits as shown, status, date: one row of a report's table.
Row = tuple[int, str, str, str, str, str, str, str]
_COURSE_TEXTS = (0, 3, 7)  # issuer, title, grading scheme: the course values that depend on the language


class ViewError(ValueError):
    """The stored JSON is not a results view of this format."""


@dataclass(frozen=True)
class LearnerView:
    given_names: str
    family_name: str
    birth_date: dt.date | None


@dataclass(frozen=True)
class ReportView:
    issuer: str | None  # None: the document names none (the page says so)
    country: str | None
    issued: str | None  # ISO date
    rows: tuple[Row, ...]  # depth first, as ``Report.iter_los``


@dataclass(frozen=True)
class ResultsView:
    """The verified results in one language, as the pages and the import use them."""

    reports: tuple[ReportView, ...]
    courses: tuple[Course, ...]
    credits: Decimal
    issuer_problems: tuple[str, ...]
    learner: LearnerView
    verdict: Verdict

    @property
    def needs_review(self) -> bool:
        return self.verdict is not Verdict.MATCH or bool(self.issuer_problems)


def _texts(values: dict[str, Any]) -> Any:
    """One value if every language has the same, else the mapping language -> value."""
    distinct = set(map(json.dumps, values.values()))
    return next(iter(values.values())) if len(distinct) == 1 else values


def _pick(value: Any, language: str) -> Any:
    if isinstance(value, dict):
        return value.get(language, value.get("en"))
    return value


def _credits_text(loi: m.LearningOpportunityInstance | None) -> str:
    if loi is None:
        return ""
    return ", ".join(f"{c.value if c.value is not None else ''} {c.scheme}" for c in loi.credits)


def _row(depth: int, los: m.LearningOpportunitySpecification, languages: Sequence[str]) -> list[Any]:
    loi = los.specifies
    return [
        depth,
        _texts({lang: los.title(lang, "en") or "–" for lang in languages}),
        los.identifier("local") or "",
        str(los.type) if los.type else "",
        loi.result_label if loi and loi.result_label else "",
        _credits_text(loi),
        str(loi.effective_status) if loi else "",
        loi.date.isoformat() if loi and loi.date else "",
    ]


def _course_row(course: Course) -> list[Any]:
    return [
        course.issuer,
        course.issuer_id,
        course.issuer_country,
        course.title,
        course.code,
        course.los_type,
        course.grade,
        course.grading_scheme,
        str(course.credits) if course.credits is not None else None,
        course.credit_scheme,
        course.level,
        course.start.isoformat() if course.start else None,
        course.end.isoformat() if course.end else None,
        course.status,
    ]


def view_json(received: Received, languages: Iterable[str], emp: Emp | None = None) -> str:
    """The results view of a verified answer as JSON, its texts in ``languages`` and English."""
    langs = list(dict.fromkeys(["en", *languages]))
    elmo = received.elmo
    per_language = {lang: [_course_row(c) for c in courses_of(elmo, lang)] for lang in langs}
    courses = []
    for index, english in enumerate(per_language["en"]):
        row: list[Any] = list(english)
        for column in _COURSE_TEXTS:
            row[column] = _texts({lang: per_language[lang][index][column] for lang in langs})
        courses.append(row)
    problems = (
        {lang: list(issuer_problems(elmo.reports, emp, lang)) for lang in langs}
        if emp is not None
        else {"en": list(received.issuer_problems)}
    )
    learner = elmo.learner
    data = {
        "format": FORMAT,
        "verdict": str(received.identity.verdict),
        "credits": str(received.credits),
        "learner": [learner.given_names, learner.family_name, _iso(learner.birth_date)],
        "problems": _texts(problems),
        "reports": [
            [
                _texts({lang: r.issuer.title(lang, "en") for lang in langs}),
                r.issuer.country,
                r.issue_date.date().isoformat() if r.issue_date else None,
                [_row(depth, los, langs) for depth, los in r.iter_los()],
            ]
            for r in elmo.reports
        ],
        "courses": courses,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_view(stored: str, language: str) -> ResultsView:
    """The stored view in ``language`` (English where the view has no text in it); ViewError when the
    JSON is not a view of this format."""
    try:
        data = json.loads(stored)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ViewError("not a results view of this format")
        given, family, born = data["learner"]
        reports = tuple(
            ReportView(
                _pick(issuer, language),
                country,
                issued,
                tuple((r[0], _pick(r[1], language), *r[2:]) for r in rows),
            )
            for issuer, country, issued, rows in data["reports"]
        )
        courses = tuple(_course(row, language) for row in data["courses"])
        return ResultsView(
            reports=reports,
            courses=courses,
            credits=Decimal(data["credits"]),
            issuer_problems=tuple(_pick(data["problems"], language) or ()),
            learner=LearnerView(given, family, _day(born)),
            verdict=Verdict(data["verdict"]),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise ViewError(f"the stored results view cannot be read: {error}") from None


def _course(row: list[Any], language: str) -> Course:
    (issuer, issuer_id, country, title, code, los_type, grade, scheme) = row[:8]
    (credits, credit_scheme, level, start, end, status) = row[8:]
    return Course(
        issuer=_pick(issuer, language),
        issuer_id=issuer_id,
        issuer_country=country,
        title=_pick(title, language),
        code=code,
        los_type=los_type,
        grade=grade,
        grading_scheme=_pick(scheme, language),
        credits=Decimal(credits) if credits is not None else None,
        credit_scheme=credit_scheme,
        level=level,
        start=_day(start),
        end=_day(end),
        status=status,
    )


def results_of(received: Received, language: str, emp: Emp | None = None) -> ResultsView:
    """The view of a document verified just now (a transfer stored before views were kept)."""
    return load_view(view_json(received, [language], emp), language)
