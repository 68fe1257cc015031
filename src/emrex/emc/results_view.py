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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from markupsafe import Markup

from emrex.elmo import model as m
from emrex.emc.returns import Course, Received, ResultKey, courses_of
from emrex.identity import Verdict
from emrex.registry.issuers import issuer_problems
from emrex.registry.model import Emp

FORMAT = 1
# Title, local code, type, grade, credits as shown, status, date: one row of a report's table.
Row = tuple[int, str, str, str, str, str, str, str]
_COURSE_TEXTS = (0, 3, 7)  # issuer, title, grading scheme: the course values that depend on the language
_SHARED = (0, 7)  # issuer, grading scheme: the same for many courses, stored once (``shared``)


def _(message: str) -> str:
    return message  # marks a message for extraction; the page translates it


# The course types and result statuses of ELMO, as the results table words them.
ROW_WORDS = {
    str(m.LosType.DEGREE_PROGRAMME): _("Degree programme"),
    str(m.LosType.MODULE): _("Module"),
    str(m.LosType.COURSE): _("Course"),
    str(m.LosType.CLASS): _("Class"),
    str(m.LoiStatus.PASSED): _("passed"),
    str(m.LoiStatus.FAILED): _("failed"),
    str(m.LoiStatus.IN_PROGRESS): _("in progress"),
}


# The results table's columns, as macros.html heads them.
COLUMNS = (_("Title"), _("Code"), _("Type"), _("Grade"), _("Credits"), _("Status"), _("Date"))


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
    stored_rows: list[list[Any]]  # as stored: the title may be a mapping language -> title
    language: str

    @cached_property
    def rows(self) -> tuple[Row, ...]:
        """The table's rows, depth first as ``Report.iter_los``."""
        lang = self.language
        return tuple((r[0], _pick(r[1], lang), r[2], r[3], r[4], r[5], r[6], r[7]) for r in self.stored_rows)

    @cached_property
    def rows_html(self) -> Markup:
        return self.rows_html_in(str)

    def rows_html_in(self, translate: Callable[[str], str]) -> Markup:
        """The table's rows as HTML, every value escaped, the types and statuses in the page's
        language (``translate``): a thousand rows cost a page a few milliseconds here, several
        times that as template expressions."""
        lang = self.language
        # Each cell names its column (a phone shows the rows as cards: emrex.css, table.stack).
        labels = [f' data-label="{_escape(translate(header))}"' for header in COLUMNS]
        labels[0] += ' class="title-cell"'
        labels[-1] += ' class="date"'
        words = {word: translate(text) for word, text in ROW_WORDS.items()}
        # Types, grades, credits, statuses and dates repeat from row to row: each is escaped once.
        escaped: dict[str, str] = {}

        def repeated(value: Any) -> str:
            text = str(value)
            cell = escaped.get(text)
            if cell is None:
                cell = escaped[text] = _escape(text)
            return cell

        title_at, code_at, kind_at, grade_at, credits_at, status_at, date_at = labels
        out = []
        for depth, title, code, kind, grade, credits, status, date in self.stored_rows:
            first = "&nbsp;&nbsp;" * int(depth) + _escape(str(_pick(title, lang)))
            kind_text, status_text = repeated(words.get(kind, kind)), repeated(words.get(status, status))
            out.append(
                f'<tr class="depth-{int(depth)}"><td{title_at}>{first}</td>'
                f"<td{code_at}>{_escape(str(code))}</td>"
                f"<td{kind_at}>{kind_text}</td><td{grade_at}>{repeated(grade)}</td>"
                f"<td{credits_at}>{repeated(credits)}</td><td{status_at}>{status_text}</td>"
                f"<td{date_at}>{repeated(date)}</td></tr>"
            )
        return Markup("\n".join(out))  # noqa: S704 - every value in it was escaped above


@dataclass(frozen=True)
class ResultsView:
    """The verified results in one language, as the pages and the import use them. ``courses`` are
    made when first asked for (the import, a duplicate); a page needs only their keys."""

    reports: tuple[ReportView, ...]
    course_rows: tuple[list[Any], ...]
    shared: tuple[Any, ...]  # the issuers' names and grading schemes the course rows point at
    language: str
    credits: Decimal
    issuer_problems: tuple[str, ...]
    learner: LearnerView
    verdict: Verdict

    @property
    def needs_review(self) -> bool:
        return self.verdict is not Verdict.MATCH or bool(self.issuer_problems)

    @property
    def course_count(self) -> int:
        return len(self.course_rows)

    @cached_property
    def courses(self) -> tuple[Course, ...]:
        return tuple(_course(row, self.language, self.shared) for row in self.course_rows)

    def course_keys(self) -> list[ResultKey]:
        """``Course.key`` of each course, in order, without making the courses."""
        keys = []
        for row in self.course_rows:
            issuer, issuer_id, title, code = self.shared[row[0]], row[1], row[3], row[4]
            day = row[12] or row[11] or ""
            keys.append(
                (
                    (issuer_id or issuer).strip().casefold(),
                    (code or _pick(title, self.language)).strip().casefold(),
                    day,
                )
            )
        return keys


def _texts(values: dict[str, Any]) -> Any:
    """One value if every language has the same, else the mapping language -> value."""
    distinct = set(map(json.dumps, values.values()))
    return next(iter(values.values())) if len(distinct) == 1 else values


def _escape(text: str) -> str:
    """As markupsafe escapes (the same entities as the rest of the page), without a Markup a value."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


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
    return _view_json(
        received.elmo,
        str(received.identity.verdict),
        received.credits,
        received.issuer_problems,
        languages,
        emp,
    )


def document_view(elmo: m.Elmo, language: str) -> ResultsView:
    """The view of a document that is shown, not imported (the public /verify page): no student to
    match, no registry entry's issuers to compare."""
    return load_view(_view_json(elmo, str(Verdict.MATCH), elmo.total_ects(), (), [language], None), language)


def _view_json(
    elmo: m.Elmo,
    verdict: str,
    credits: Decimal,
    problems_en: Sequence[str],
    languages: Iterable[str],
    emp: Emp | None,
) -> str:
    langs = list(dict.fromkeys(["en", *languages]))
    per_language = {lang: [_course_row(c) for c in courses_of(elmo, lang)] for lang in langs}
    courses = []
    shared: dict[str, int] = {}  # a text's JSON -> its index in the stored list
    for index, english in enumerate(per_language["en"]):
        row: list[Any] = list(english)
        for column in _COURSE_TEXTS:
            row[column] = _texts({lang: per_language[lang][index][column] for lang in langs})
        for column in _SHARED:
            row[column] = shared.setdefault(json.dumps(row[column], sort_keys=True), len(shared))
        courses.append(row)
    problems = (
        {lang: list(issuer_problems(elmo.reports, emp, lang)) for lang in langs}
        if emp is not None
        else {"en": list(problems_en)}
    )
    learner = elmo.learner
    data = {
        "format": FORMAT,
        "verdict": verdict,
        "credits": str(credits),
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
        "shared": [json.loads(text) for text in shared],
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
                rows,
                language,
            )
            for issuer, country, issued, rows in data["reports"]
        )
        return ResultsView(
            reports=reports,
            course_rows=tuple(data["courses"]),
            shared=tuple(_pick(text, language) for text in data["shared"]),
            language=language,
            credits=Decimal(data["credits"]),
            issuer_problems=tuple(_pick(data["problems"], language) or ()),
            learner=LearnerView(given, family, _day(born)),
            verdict=Verdict(data["verdict"]),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise ViewError(f"the stored results view cannot be read: {error}") from None


def _course(row: list[Any], language: str, shared: tuple[Any, ...]) -> Course:
    (issuer, issuer_id, country, title, code, los_type, grade, scheme) = row[:8]
    (credits, credit_scheme, level, start, end, status) = row[8:]
    return Course(
        issuer=shared[issuer],
        issuer_id=issuer_id,
        issuer_country=country,
        title=_pick(title, language),
        code=code,
        los_type=los_type,
        grade=grade,
        grading_scheme=shared[scheme],
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
