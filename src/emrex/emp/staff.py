"""The staff pages of the EMP: statistics of the transfers it served."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emrex.emp.service import EmpService
from emrex.emp.stats import collect
from emrex.web import render
from emrex.web.auth import require_person


def staff_router(service: EmpService) -> APIRouter:
    router = APIRouter()

    @router.get("/admin/stats")
    async def stats_page(request: Request) -> Response:
        person = require_person(request)
        if not (person.has_role("staff") or person.has_role("admin")):
            return render(
                request, "emrex/error.html", {"status": 403, "detail": None, "reason": None}, status_code=403
            )
        stats = await run_in_threadpool(collect, service.database)
        return render(request, "emp/stats.html", {"stats": stats})

    return router
