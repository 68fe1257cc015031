"""The staff page that fetches a student's transcript from a partner institution over EWP."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from emrex.emc.ewp_fetch import EwpFetcher, EwpFetchError, StudentEntry, student_person
from emrex.emc.service import Service
from emrex.web import flash, gettext, render
from emrex.web.auth import Person, require_role

log = logging.getLogger("emrex.emc")
StaffDep = Annotated[Person, Depends(require_role("staff"))]
FIELDS = ("partner", "mobility_id", "student", "given_names", "family_name", "birth_date", "esi")
MAX_FIELD = 255
# Refusals about the partner's answer or the network; the others are about what staff entered.
PARTNER_STAGES = ("partner", "catalogue", "signature", "document", "transport", "setup")


def ewp_router(service: Service, make: Callable[[Service], EwpFetcher] | None = None) -> APIRouter:
    """``/staff/ewp``; the fetcher is made at the first fetch (from ``emc.ewp`` unless ``make`` is
    given), so a missing key file is told on the page rather than stopping the service."""
    router = APIRouter(prefix="/staff/ewp")
    made: list[EwpFetcher] = []
    lock = threading.Lock()

    def current() -> EwpFetcher:
        with lock:
            if not made:
                made.append((make or EwpFetcher)(service))
            return made[0]

    @router.get("", name="staff_ewp")
    def staff_ewp(request: Request, staff: StaffDep) -> Response:
        entered = {name: request.query_params.get(name, "")[:MAX_FIELD] for name in FIELDS}
        return render(request, "emc/staff_ewp.html", {"entered": entered, "form_error": ""})

    @router.post("/fetch", name="staff_ewp_fetch")
    async def staff_ewp_fetch(request: Request, staff: StaffDep) -> Response:
        entered = _entered(await request.form())

        def run() -> int:
            birth = _birth_date(entered["birth_date"])
            entry = StudentEntry(
                entered["student"], entered["given_names"], entered["family_name"], birth, entered["esi"]
            )
            person = student_person(service.database, entry)
            return (
                current().fetch(entered["partner"], entered["mobility_id"], person, staff.subject).transfer_id
            )

        try:
            transfer_id = await run_in_threadpool(run)
        except EwpFetchError as error:
            status = {"input": 400, "not_found": 404}.get(
                error.stage, 502 if error.stage in PARTNER_STAGES else 409
            )
            log.info("EWP fetch refused (%s)", error.stage)  # the message may hold what was typed
            context = {"entered": entered, "form_error": str(error)}
            return render(request, "emc/staff_ewp.html", context, status_code=status)
        flash(request, gettext(request, "The transcript was fetched over EWP and verified."), "success")
        target = request.url_for("staff_transfer", transfer_id=transfer_id).path
        return RedirectResponse(target, status_code=303)

    return router


def _entered(form: FormData) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in FIELDS:
        value = form.get(name)
        values[name] = value.strip()[:MAX_FIELD] if isinstance(value, str) else ""
    return values


def _birth_date(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise EwpFetchError("the birth date is written YYYY-MM-DD", "input") from None
