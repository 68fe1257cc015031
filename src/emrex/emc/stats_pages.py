"""The staff's statistics page (charts and tables over a period of months) and its CSV and JSON downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from emrex.db import utcnow
from emrex.db.months import PeriodError
from emrex.emc.config import EmcSettings
from emrex.emc.recognition.stats import recognition_statistics
from emrex.emc.service import Service
from emrex.emc.stats import OUTCOME_NAMES, charts, collect, export
from emrex.figures import institution_id
from emrex.web import current_language, gettext, render
from emrex.web.auth import Person, require_role
from emrex.web.charts import number_text
from emrex.web.i18n import country_name
from emrex.web.statistics import download, period_fields, period_of, refused

StaffDep = Annotated[Person, Depends(require_role("staff"))]


def stats_router(service: Service) -> APIRouter:
    router = APIRouter(prefix="/staff")
    db = service.database
    settings = service.settings

    @router.get("/statistics", name="staff_statistics")
    def staff_statistics(request: Request, staff: StaffDep) -> Response:
        period = period_of(request)
        if isinstance(period, PeriodError):
            context = period_fields(request, None) | {"period_error": True}
            return render(request, "emc/staff_statistics.html", context, status_code=400)
        figures = collect(db, period)
        language = current_language(request)

        def country(code: str) -> str:
            return country_name(language, code)

        context = period_fields(request, period) | {
            "period_error": False,
            "number": number_text,
            "figures": figures,
            "charts": charts(figures, lambda text: gettext(request, text), country),
            "country_name": country,
            "outcome_names": {str(k): v for k, v in OUTCOME_NAMES.items()},
            "recognition": recognition_statistics(db),
        }
        return render(request, "emc/staff_statistics.html", context)

    @router.get("/statistics.{kind}", name="staff_statistics_download")
    def staff_statistics_download(request: Request, kind: str, staff: StaffDep) -> Response:
        if kind not in ("csv", "json"):
            return Response("no such download\n", status_code=404, media_type="text/plain")
        period = period_of(request)
        if isinstance(period, PeriodError):
            return refused(period)
        ident, name = institution(settings)
        made = export(collect(db, period), institution=ident, name=name, generated_at=utcnow())
        return download(made, kind)

    return router


def institution(settings: EmcSettings) -> tuple[str, str]:
    """The EMC's id in the export (the host of its public URL: it has no SCHAC setting) and its name."""
    return institution_id((), settings.web.base_url), settings.recognition.institution or settings.title
