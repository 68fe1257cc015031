"""What the statistics pages of both services share: the period asked for, and the downloads."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from markupsafe import Markup
from starlette.responses import PlainTextResponse, Response

from emrex.db.months import MAX_MONTHS, Period, PeriodError
from emrex.figures import Export, to_csv, to_json
from emrex.web.charts import Bar, bar_chart

KINDS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def period_of(request: Request) -> Period | PeriodError:
    """The period of ``?from=YYYY-MM&to=YYYY-MM`` (default: the last 12 months), or why not."""
    params = request.query_params
    try:
        return Period.parse(params.get("from") or None, params.get("to") or None)
    except PeriodError as error:
        return error


def period_fields(request: Request, period: Period | None) -> dict[str, object]:
    """What the period form shows: what was asked for (kept when refused) and the limit."""
    params = request.query_params
    return {
        "period": period,
        "period_from": (params.get("from") or (str(period.first) if period else ""))[:20],
        "period_to": (params.get("to") or (str(period.last) if period else ""))[:20],
        "max_months": MAX_MONTHS,
    }


def download(export: Export, kind: str) -> Response:
    """The export as an attachment named after the service, the institution and the period."""
    body = to_csv(export) if kind == "csv" else to_json(export)
    safe_id = "".join(c if c.isalnum() or c in ".-" else "-" for c in export.institution_id)[:80]
    name = f"emrex-{export.service}-statistics-{safe_id}-{export.period.first}-{export.period.last}.{kind}"
    return Response(
        body.encode("utf-8"),
        media_type=KINDS[kind],
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )


def refused(error: PeriodError) -> Response:
    return PlainTextResponse(f"{error}\n", status_code=400)


def chart(ident: str, title: str, bars: list[Bar], translate: Callable[[str], str]) -> Markup:
    """One chart for a page, its texts in the page's language (messages of the web catalog)."""
    svg = bar_chart(
        bars,
        chart_id=ident,
        title=title,
        desc=translate("The same numbers are in the table beside the chart."),
        empty_text=translate("Nothing in this period."),
    )
    return Markup(svg)  # noqa: S704 (bar_chart escapes every text it writes)
