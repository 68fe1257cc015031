"""The EMP's statistics page for staff (charts and tables over a period of months) and its downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emrex.db import utcnow
from emrex.db.months import PeriodError
from emrex.emp.stats import OUTCOME_NAMES, EmpFigures, export, figures
from emrex.figures import institution_id
from emrex.web import gettext, render
from emrex.web.auth import require_person
from emrex.web.charts import Bar, number_text
from emrex.web.statistics import chart, download, period_fields, period_of, refused

if TYPE_CHECKING:
    from emrex.emp.service import EmpService

PATH = "/admin/stats"


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def stats_router(emp: EmpService) -> APIRouter:
    router = APIRouter()

    @router.get(PATH, name="emp_statistics")
    async def stats_page(request: Request) -> Response:
        denied = staff_only(request)
        if denied is not None:
            return denied
        period = period_of(request)
        if isinstance(period, PeriodError):
            context = period_fields(request, None) | {"period_error": True}
            return render(request, "emp/stats.html", context, status_code=400)
        found = await run_in_threadpool(figures, emp.database, period)
        context = period_fields(request, period) | {
            "period_error": False,
            "figures": found,
            "charts": charts(found, lambda text: gettext(request, text)),
            "outcome_names": OUTCOME_NAMES,
            "number": number_text,
        }
        return render(request, "emp/stats.html", context)

    @router.get(PATH + ".{kind}", name="emp_statistics_download")
    async def stats_download(request: Request, kind: str) -> Response:
        denied = staff_only(request)
        if denied is not None:
            return denied
        if kind not in ("csv", "json"):
            return Response("no such download\n", status_code=404, media_type="text/plain")
        period = period_of(request)
        if isinstance(period, PeriodError):
            return refused(period)
        found = await run_in_threadpool(figures, emp.database, period)
        settings = emp.settings
        ident = institution_id(settings.institutions, settings.base_url)
        return download(export(found, institution=ident, name=settings.name, generated_at=utcnow()), kind)

    return router


def staff_only(request: Request) -> Response | None:
    """None for staff (or admin); else the 403 page (nobody logged in: to the login page)."""
    person = require_person(request)
    if person.has_role("staff") or person.has_role("admin"):
        return None
    context = {"status": 403, "detail": None, "reason": None}
    return render(request, "emrex/error.html", context, status_code=403)


def charts(found: EmpFigures, translate: Callable[[str], str]) -> dict[str, Markup]:
    """The page's SVG charts, their texts in the page's language."""
    anything = bool(found.sessions)
    outcomes = [(translate(OUTCOME_NAMES[o]) if o in OUTCOME_NAMES else o, n) for o, n in found.by_outcome()]
    return {
        "month": chart(
            "chart-month",
            translate(_("Sessions started per month")),
            [Bar(m, n) for m, n in found.started_per_month()] if anything else [],
            translate,
        ),
        "client": chart(
            "chart-client",
            translate(_("Sessions started by client")),
            [Bar(c.client, c.started) for c in found.by_client()],
            translate,
        ),
        "outcome": chart(
            "chart-outcome",
            translate(_("Finished sessions by outcome")),
            [Bar(o, n) for o, n in outcomes],
            translate,
        ),
        "credits": chart(
            "chart-credits",
            translate(_("Credits sent per month")),
            [Bar(m, v) for m, v in found.credits_per_month()] if anything else [],
            translate,
        ),
    }
