"""What the EMC's pages share: settings, database, registries, and re-reading a stored transfer."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emrex.db import Database, utcnow
from emrex.emc.config import EmcSettings
from emrex.emc.credential import SEALABLE, CredentialSealer, sealed_credential
from emrex.emc.gate import VerificationGate
from emrex.emc.models import Source, Transfer, shown_status
from emrex.emc.registries import Registries
from emrex.emc.results_view import ResultsView, ViewError, load_view, results_of
from emrex.emc.returns import Course, Received, ReturnRefused, read_signed
from emrex.emc.store import imported_elsewhere, issuers_data, local_person, pinned_certificates, pinned_emp
from emrex.errors import N_
from emrex.identity import Verdict, basis_of, neutral_reason, neutral_text
from emrex.trust.certs import CertificateError

if TYPE_CHECKING:
    from emrex.web.wallet_issuing import WalletIssuing

log = logging.getLogger("emrex.emc")


@dataclass
class Service:
    settings: EmcSettings
    database: Database
    registries: Registries
    webhook_kick: Callable[[], None] | None = None  # wakes the webhook sender, when one runs
    credential_sealer: CredentialSealer | None = None  # the EMC's EDC seal, when configured
    wallet: WalletIssuing | None = None  # the EMC as a wallet credential issuer (emc.wallet)
    gate: VerificationGate = field(init=False)

    def __post_init__(self) -> None:
        self.gate = VerificationGate(self.settings.max_concurrent_verifications)
        if self.settings.seal is not None and self.credential_sealer is None:
            self.credential_sealer = CredentialSealer.from_settings(self.settings.seal)


def stored_received(service: Service, transfer: Transfer, language: str = "en") -> ResultsView | None:
    """What the return verified, in ``language``: the results view stored with the document, read without
    verifying again; None when no document is stored. A transfer stored before views were kept (or
    whose view cannot be read) has its document verified again (against the certificates pinned at
    the start, at the time it arrived) and read: ReturnRefused if it no longer verifies."""
    if transfer.elmo_xml is None:
        return None
    if transfer.results_view is not None:
        try:
            return load_view(transfer.results_view, language)
        except ViewError as error:
            log.warning("transfer %d: %s; its document is verified again", transfer.id, error)
    received = verify_stored(service, transfer, language)
    return results_of(received, language, pinned_emp(transfer))


def verify_stored(service: Service, transfer: Transfer, language: str = "en") -> Received:
    """The stored document verified again and read; ReturnRefused if it no longer verifies, or if no
    data provider signed it (a plain ELM credential from a wallet: ``emrex.emc.wallet_plain``)."""
    assert transfer.elmo_xml is not None
    if transfer.source == Source.WALLET_ELM:
        raise ReturnRefused.said(
            N_("no data provider's signature backs these results: only the wallet issuer vouched for them"),
            "signature",
        )
    policy = dataclasses.replace(
        service.settings.verify_policy,
        at=transfer.returned_at,
        max_bytes=max(service.settings.verify_policy.max_bytes, len(transfer.elmo_xml)),
    )
    try:
        certificates = pinned_certificates(transfer)
    except CertificateError as error:
        raise ReturnRefused.said(
            N_("the pinned certificates cannot be read: %(detail)s"), "signature", detail=error
        ) from None
    with service.gate.slot():
        return read_signed(
            transfer.elmo_xml,
            certificates,
            local_person(transfer),
            policy=policy,
            identity_policy=service.settings.identity_policy,
            language=language,
            emp=pinned_emp(transfer),
        )


def sealed_download(service: Service, transfer: Transfer) -> bytes:
    """The sealed EDC of ``transfer``, made from its stored document verified again;
    CredentialUnavailable or ReturnRefused say why not."""
    sealer = service.credential_sealer
    if sealer is None or transfer.status not in SEALABLE:
        return sealed_credential(sealer, transfer, None)
    # Sealing needs the whole signed tree, not the results view the pages read: verified again here.
    received = verify_stored(service, transfer) if transfer.elmo_xml is not None else None
    return sealed_credential(sealer, transfer, received)


def view_of(
    transfer: Transfer, translate: Callable[[str], str] = str, *, staff: bool = False
) -> dict[str, Any]:
    """Template values of a transfer (status, verification and identity in words); ``staff`` tells the
    identity reasons about the student instead of to them."""
    verdict = Verdict(transfer.identity_verdict) if transfer.identity_verdict else None
    reasons = [str(r) for r in json.loads(transfer.identity_reasons or "[]")]
    return {
        "transfer": transfer,
        "status": shown_status(transfer, utcnow()),
        "warnings": json.loads(transfer.warnings or "[]"),
        "algorithms": json.loads(transfer.algorithms or "{}"),
        "identity_verdict": verdict,
        "identity_basis": basis_of(verdict, reasons) if verdict else None,
        "identity_reasons": [translate(neutral_reason(r) if staff else r) for r in reasons],
        "staff": staff,
        "failure": neutral_text(transfer.failure or "") if staff else (transfer.failure or ""),
        "issuers": ", ".join(str(i["name"]) for i in issuers_data(transfer) if i.get("name")),
    }


def page_values(
    service: Service,
    transfer: Transfer,
    language: str,
    translate: Callable[[str], str] = str,
    *,
    staff: bool = False,
) -> dict[str, Any]:
    """``view_of`` plus what the return verified (``stored_received``), or why it no longer verifies:
    the values of a transfer page, for the student and for staff alike."""
    received, problem = None, None
    try:
        received = stored_received(service, transfer, language)
    except ReturnRefused as error:
        problem = error.translated(translate)
    return view_of(transfer, translate, staff=staff) | {
        "received": received,
        "problem": problem,
        "lang": language,
        "duplicates": duplicates_of(service, transfer, received),
    }


@dataclass(frozen=True)
class Duplicate:
    course: Course
    transfer_id: int  # the transfer it was imported from


def duplicates_of(service: Service, transfer: Transfer, received: ResultsView | None) -> list[Duplicate]:
    """The results of this document that the student imported from another transfer (not imported twice)."""
    if received is None or not received.course_count:
        return []
    keys = received.course_keys()
    with service.database.session(readonly=True) as s:
        found = imported_elsewhere(s, transfer, keys)
    if not found:
        return []
    return [Duplicate(c, found[key]) for c, key in zip(received.courses, keys, strict=True) if key in found]
