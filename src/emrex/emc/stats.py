"""The EMC's statistics over a period of months: transfers by month, country and outcome, courses and
credits imported, counted and summed by the database. No personal data leaves this module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from markupsafe import Markup
from sqlalchemy import func, select

from emrex.db import Database, utcnow
from emrex.db.months import Period, month_of
from emrex.emc.models import ForeignCredential, Status, Transfer, shown_status_column
from emrex.figures import Export, Row
from emrex.web.charts import Bar
from emrex.web.statistics import chart


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# Short names of the outcomes for charts (the tables use the longer sentences of the other pages).
OUTCOME_NAMES = {
    Status.STARTED: _("Waiting"),
    Status.EXPIRED: _("Expired"),
    Status.WITHDRAWN: _("Cancelled by the student"),
    Status.RECEIVED: _("Waiting for the student"),
    Status.REVIEW: _("Waiting for review"),
    Status.IMPORTED: _("Imported"),
    Status.DISCARDED: _("Discarded"),
    Status.REJECTED: _("Rejected by staff"),
    Status.CANCELLED: _("Cancelled at the data provider"),
    Status.NO_RESULTS: _("No results"),
    Status.EMP_ERROR: _("Error at the data provider"),
    Status.FAILED: _("Not accepted"),
}


@dataclass(frozen=True)
class EmcFigures:
    period: Period
    transfers: list[tuple[str, str, str, int]]  # month, country, outcome, transfers started
    courses: list[tuple[str, int]]  # month, courses imported
    credits: list[tuple[str, Decimal]]  # month, ECTS credits of passed courses imported
    by_emp: list[tuple[str, str, int]]  # data provider, outcome, transfers
    by_institution: list[tuple[str, str | None, int]]  # issuer, its country, courses imported

    def per_month(self) -> list[tuple[str, int]]:
        counts = Counter[str]()
        for month, _country, _outcome, count in self.transfers:
            counts[month] += count
        return [(month, counts[month]) for month in self.period.months()]

    def by_country(self) -> list[tuple[str, int]]:
        counts = Counter[str]()
        for _month, country, _outcome, count in self.transfers:
            counts[country] += count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def by_country_outcome(self) -> list[tuple[str, str, int]]:
        counts = Counter[tuple[str, str]]()
        for _month, country, outcome, count in self.transfers:
            counts[country, outcome] += count
        return [(country, outcome, count) for (country, outcome), count in sorted(counts.items())]

    def by_outcome(self) -> list[tuple[str, int]]:
        counts = Counter[str]()
        for _month, _country, outcome, count in self.transfers:
            counts[outcome] += count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def credits_per_month(self) -> list[tuple[str, Decimal]]:
        found = dict(self.credits)
        return [(month, found.get(month, Decimal(0))) for month in self.period.months()]

    @property
    def total_transfers(self) -> int:
        return sum(count for *_, count in self.transfers)

    @property
    def total_courses(self) -> int:
        return sum(count for _, count in self.courses)

    @property
    def total_credits(self) -> Decimal:
        return sum((value for _, value in self.credits), Decimal(0))


def collect(database: Database, period: Period, *, now: datetime | None = None) -> EmcFigures:
    """Every figure of ``period``: transfers by the month they started, courses by their import."""
    status = shown_status_column(now or utcnow()).label("outcome")
    started = month_of(Transfer.created_at).label("month")
    imported = month_of(ForeignCredential.imported_at).label("month")
    in_period = period.within(Transfer.created_at)
    with database.session(readonly=True) as s:
        transfers = s.execute(
            select(started, Transfer.country_code, status, func.count())
            .where(in_period)
            .group_by(started, Transfer.country_code, status)
            .order_by(started, Transfer.country_code, status)
        ).all()
        by_emp = s.execute(
            select(Transfer.emp_name, status, func.count())
            .where(in_period)
            .group_by(Transfer.emp_name, status)
            .order_by(Transfer.emp_name, status)
        ).all()
        credentials = period.within(ForeignCredential.imported_at)
        courses = s.execute(
            select(imported, func.count()).where(credentials).group_by(imported).order_by(imported)
        ).all()
        by_institution = s.execute(
            select(ForeignCredential.issuer, ForeignCredential.issuer_country, func.count())
            .where(credentials)
            .group_by(ForeignCredential.issuer, ForeignCredential.issuer_country)
            .order_by(ForeignCredential.issuer, ForeignCredential.issuer_country)
        ).all()
        # Credits are stored as the document's text: the database counts each distinct text per month.
        credit_texts = s.execute(
            select(imported, ForeignCredential.credits, func.count())
            .where(
                credentials,
                ForeignCredential.credits.is_not(None),
                ForeignCredential.status == "passed",
                func.lower(ForeignCredential.credit_scheme) == "ects",
            )
            .group_by(imported, ForeignCredential.credits)
        ).all()
    return EmcFigures(
        period=period,
        transfers=[(m, c, o, int(n)) for m, c, o, n in transfers],
        courses=[(m, int(n)) for m, n in courses],
        credits=_credit_sums(credit_texts),
        by_emp=[(e, o, int(n)) for e, o, n in by_emp],
        by_institution=[(i, c, int(n)) for i, c, n in by_institution],
    )


def _credit_sums(rows: Sequence[tuple[str, str | None, int]]) -> list[tuple[str, Decimal]]:
    sums: dict[str, Decimal] = {}
    for month, text, count in rows:
        try:
            value = Decimal(text or "0")
        except InvalidOperation:
            continue
        if value.is_finite() and value > 0:
            sums[month] = sums.get(month, Decimal(0)) + value * int(count)
    return sorted(sums.items())


def export(figures: EmcFigures, *, institution: str, name: str, generated_at: datetime) -> Export:
    """The figures in the shared export format (emrex.figures)."""
    rows = [
        Row("transfers", month, count, "transfers", country=country, outcome=outcome)
        for month, country, outcome, count in figures.transfers
    ]
    rows += [Row("courses_imported", month, count, "courses") for month, count in figures.courses]
    rows += [Row("credits_imported", month, value, "ECTS") for month, value in figures.credits]
    return Export("emc", institution, name, figures.period, rows, generated_at)


def charts(
    figures: EmcFigures, translate: Callable[[str], str], country_name: Callable[[str], str]
) -> dict[str, Markup]:
    """The page's SVG charts, their texts in the page's language."""
    outcome = {str(k): translate(v) for k, v in OUTCOME_NAMES.items()}
    return {
        "month": chart(
            "chart-month",
            translate(_("Transfers started per month")),
            [Bar(m, n) for m, n in figures.per_month()] if figures.transfers else [],
            translate,
        ),
        "country": chart(
            "chart-country",
            translate(_("Transfers by country")),
            [Bar(country_name(c), n) for c, n in figures.by_country()],
            translate,
        ),
        "outcome": chart(
            "chart-outcome",
            translate(_("Transfers by outcome")),
            [Bar(outcome.get(o, o), n) for o, n in figures.by_outcome()],
            translate,
        ),
        "credits": chart(
            "chart-credits",
            translate(_("ECTS credits imported per month")),
            [Bar(m, v) for m, v in figures.credits_per_month()] if figures.credits else [],
            translate,
        ),
    }
