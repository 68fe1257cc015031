"""The EMC as an OpenID4VCI issuer: "Add to my wallet" on an imported transfer, and revoking what was
issued for it.

The student picks the whole transfer or some of its courses; the page then shows the credential offer
as a QR code (SVG made on the server, nothing fetched), a same-device ``openid-credential-offer://``
link and the transaction code the wallet asks for. The issuer, loaded from ``emc.wallet``, and the offer
page's parts are the ones the EMP shares (``emrex.web.wallet_issuing``); its state lives in the
database (``emrex.web.wallet_store``), so any worker answers the wallet. Each credential is recorded under the
transfer (``subject_ref`` ``transfer:<id>``); staff revoke them from the transfer's page, and deleting
or discarding a transfer revokes them in the same transaction (``emrex.emc.store``,
``revoke_wallet_credentials``).

The credential is the ELM of the transfer's signed document, verified again when the offer is made.
Offered whole, the ELM carries the data provider's signed ELMO (a Converted credential); offered in
part, it carries neither that nor the rendering of every result, which would show what was left out.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.elm.errors import ElmError
from emrex.elm.to_elm import elmo_to_elm
from emrex.emc.config import EmcConfigError, EmcSettings
from emrex.emc.models import Status, Transfer
from emrex.emc.returns import ReturnRefused
from emrex.emc.service import Service, verify_stored
from emrex.emc.store import TransferError, owned, revoke_wallet_credentials, valid_id, wallet_subject
from emrex.wallet.errors import Unreadable
from emrex.wallet.holder import titles
from emrex.wallet.issuer import Offer
from emrex.wallet.jose import Json
from emrex.web import flash, gettext, render
from emrex.web.auth import Person, require_person, require_role
from emrex.web.wallet_issuing import NO_STORE, WalletIssuing, mount_issuer
from emrex.web.wallet_store import DatabaseIssuerStore, issued_count

log = logging.getLogger("emrex.emc")
StudentDep = Annotated[Person, Depends(require_person)]
StaffDep = Annotated[Person, Depends(require_role("staff"))]
ISSUABLE = (Status.IMPORTED,)
MAX_COURSES = 2000


class OfferRefused(Exception):
    """No offer can be made; the message says why (shown to the student)."""


def transfer_elm(
    service: Service, issuing: WalletIssuing, transfer: Transfer, picked: list[int] | None
) -> Json:
    """The ELM of an imported transfer, verified again: whole (with the signed ELMO) or the ``picked``
    courses only (indexes into its ``hasClaim``)."""
    if transfer.status not in ISSUABLE:
        raise OfferRefused("only imported results can be added to a wallet")
    if transfer.elmo_xml is None:
        raise OfferRefused("the signed document of this transfer is no longer stored")
    try:
        received = verify_stored(service, transfer)
        whole = picked is None
        elm = elmo_to_elm(
            received.elmo, issuing.elm_issuer, original=transfer.elmo_xml if whole else None
        ).credential
    except ReturnRefused as error:
        raise OfferRefused(str(error)) from None
    except ElmError as error:
        raise OfferRefused(f"the credential cannot be made: {error}") from None
    if picked is not None:
        subject = elm["credentialSubject"]
        courses = subject.get("hasClaim") or []
        if not picked or len(picked) > len(courses) or any(not 0 <= i < len(courses) for i in picked):
            raise OfferRefused("choose at least one of the listed courses")
        subject["hasClaim"] = [courses[i] for i in sorted(set(picked))]
        elm.pop("displayParameter", None)  # its picture shows every result
    return elm


def _picked(values: list[str]) -> list[int]:
    """The ticked course indexes (checked against the courses by ``transfer_elm``)."""
    if len(values) > MAX_COURSES:
        raise OfferRefused("choose at least one of the listed courses")
    try:
        return [int(v) for v in values]
    except ValueError:
        raise OfferRefused("choose at least one of the listed courses") from None


def wallet_router(service: Service, issuing: WalletIssuing) -> APIRouter:
    router = APIRouter()
    db = service.database

    def load(transfer_id: int, person: Person) -> Transfer:
        with db.session(readonly=True) as s:
            return owned(s, transfer_id, person.subject)

    @router.get("/transfers/{transfer_id}/wallet", name="wallet_choose")
    def choose(request: Request, transfer_id: int, person: StudentDep) -> Response:
        try:
            transfer = load(transfer_id, person)
            courses = titles(transfer_elm(service, issuing, transfer, None))
        except TransferError as error:
            return render(request, "emc/problem.html", {"problem": str(error)}, status_code=404)
        except OfferRefused as error:
            return render(request, "emc/problem.html", {"problem": str(error)}, status_code=409)
        context = {"transfer": transfer, "courses": courses}
        return render(request, "emc/wallet_choose.html", context)

    @router.post("/transfers/{transfer_id}/wallet", name="wallet_offer")
    async def offer(request: Request, transfer_id: int, person: StudentDep) -> Response:
        form = await request.form(max_fields=MAX_COURSES + 10)
        values = [v for v in form.getlist("course") if isinstance(v, str)]
        # Ticked courses mean a part, whichever scope is marked: never more than the student picked.
        whole = form.get("scope") != "some" and not values

        def run() -> Offer:
            transfer = load(transfer_id, person)
            if whole:
                elm = transfer_elm(service, issuing, transfer, None)
            else:
                elm = transfer_elm(service, issuing, transfer, _picked(values))
            issuing.issuer.store.purge(issuing.issuer.now())  # offers and nonces past their time
            made = issuing.issuer.create_offer(elm, subject_ref=wallet_subject(transfer_id))
            log.info("transfer %d: wallet offer made (%s)", transfer_id, "whole" if whole else "part")
            return made

        try:
            made = await run_in_threadpool(run)
        except TransferError as error:
            return render(request, "emc/problem.html", {"problem": str(error)}, status_code=404)
        except (OfferRefused, Unreadable) as error:
            return render(request, "emc/problem.html", {"problem": str(error)}, status_code=409)
        context = {"transfer_id": transfer_id, **issuing.offer_values(made)}
        return render(request, "emc/wallet_offer.html", context, headers=NO_STORE)

    @router.post("/staff/transfers/{transfer_id}/wallet/revoke", name="staff_wallet_revoke")
    async def revoke(request: Request, transfer_id: int, staff: StaffDep) -> Response:
        def run() -> int:
            with db.session() as s:
                if not valid_id(transfer_id) or s.get(Transfer, transfer_id) is None:
                    raise TransferError("no such transfer", "not_found")
                return revoke_wallet_credentials(s, transfer_id)

        try:
            count = await run_in_threadpool(run)
        except TransferError as error:
            return render(request, "emc/problem.html", {"problem": str(error)}, status_code=404)
        log.info("transfer %d: %d wallet credentials revoked by staff", transfer_id, count)
        flash(request, gettext(request, "The wallet credentials of this transfer were revoked."), "success")
        return RedirectResponse(
            request.url_for("staff_transfer", transfer_id=transfer_id).path, status_code=303
        )

    return router


def staff_values(service: Service, transfer_id: int) -> dict[str, int]:
    """For the staff transfer page: how many wallet credentials were issued for it and how many revoked."""
    if service.wallet is None:
        return {"wallet_issued": 0, "wallet_revoked": 0}
    with service.database.session(readonly=True) as s:
        issued, revoked = issued_count(s, wallet_subject(transfer_id))
    return {"wallet_issued": issued, "wallet_revoked": revoked}


def load_issuing(settings: EmcSettings, store: DatabaseIssuerStore) -> WalletIssuing | None:
    """The issuer of ``emc.wallet``, its key and certificate loaded and checked; None when not set."""
    if settings.wallet is None:
        return None
    return WalletIssuing.load(
        settings.wallet,
        base_url=settings.web.base_url,
        title=settings.title,
        store=store,
        where="emc.wallet",
        error=EmcConfigError,
    )


def install(app: FastAPI, service: Service) -> None:
    """The issuer's endpoints and the student's and staff's pages, when ``emc.wallet`` is configured."""
    if service.wallet is None:
        return
    mount_issuer(app, service.wallet)
    app.include_router(wallet_router(service, service.wallet))
