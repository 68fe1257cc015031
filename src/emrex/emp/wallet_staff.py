"""EMP staff revoke the wallet credentials a student exported (``emrex.emp.export``): every credential
issued to that student, and their offers not yet taken, by the student's login identifier.

    GET  /admin/wallet           the form, and how many credentials were issued and revoked in all
    POST /admin/wallet/revoke    revoke a student's credentials (staff or admin role)

The status list then says "invalid" for each of them, so a verifier that checks it refuses them.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.emp.export import wallet_subject
from emrex.emp.service import EmpService
from emrex.emp.stats_pages import staff_only
from emrex.wallet.statuslist import INVALID
from emrex.web import flash, gettext, render
from emrex.web.wallet_store import WalletStatusRow, revoke_subject_in

logger = logging.getLogger("emrex.emp")
PATH = "/admin/wallet"
MAX_LOGIN = 255


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


REVOKED = _("%(count)s wallet credentials of this student were revoked.")
NO_LOGIN = _("Give the student's login identifier.")


def wallet_staff_router(service: EmpService) -> APIRouter:
    router = APIRouter()
    db = service.database

    @router.get(PATH, name="emp_wallet_staff")
    async def page(request: Request) -> Response:
        denied = staff_only(request)
        if denied is not None:
            return denied
        issued, revoked = await run_in_threadpool(_totals, service)
        context = {"issued": issued, "revoked": revoked, "problem": ""}
        return render(request, "emp/wallet_staff.html", context)

    @router.post(PATH + "/revoke", name="emp_wallet_revoke")
    async def revoke(request: Request) -> Response:
        denied = staff_only(request)
        if denied is not None:
            return denied
        form = await request.form()
        login = form.get("login")
        login = login.strip() if isinstance(login, str) else ""
        if not login or len(login) > MAX_LOGIN:
            issued, revoked = await run_in_threadpool(_totals, service)
            context = {"issued": issued, "revoked": revoked, "problem": gettext(request, NO_LOGIN)}
            return render(request, "emp/wallet_staff.html", context, status_code=400)

        def run() -> int:
            with db.session() as s:
                return revoke_subject_in(s, wallet_subject(login))

        count = await run_in_threadpool(run)
        logger.info("%d wallet credentials of a student revoked by staff", count)
        flash(request, gettext(request, REVOKED) % {"count": count}, "success")
        return RedirectResponse(PATH, status_code=303)

    return router


def _totals(service: EmpService) -> tuple[int, int]:
    """Credentials issued in all, and how many of them are revoked."""
    with service.database.session(readonly=True) as s:
        rows = s.execute(select(WalletStatusRow.status, func.count()).group_by(WalletStatusRow.status)).all()
    counts = {int(status): int(n) for status, n in rows}
    return sum(counts.values()), counts.get(INVALID, 0)
