""" "Import from my wallet": the EMC as an OpenID4VP verifier of ELM credentials.

A student starts a presentation request (``emrex.wallet.verifier``: a signed request object with an
``x509_san_dns:`` client identifier, DCQL for the ELM credential, ``direct_post.jwt``); the request
is kept in the database under the student who started it (``emrex.emc.wallet_store``), so any worker
takes the wallet's answer. The verifier checks the credential (issuer JWT against the configured trust
anchors, ``typ``, ``vct``, validity, disclosures, key binding, status list). Then the original ELMO the
credential carries (the EDC Converted profile) is verified as an EMREX answer is: its data provider's
XML signature against the registry, what is signed read, the learner against the logged-in student,
every issuer against the institutions the provider serves. The result is a transfer whose source is
"wallet", naming who vouched for the credential, with the same preview, import and staff pages.

A credential without that original (plain ELM) is refused, unless ``accept_without_signed_elmo`` is
set: then ``emrex.emc.wallet_plain`` converts it and stores it as "wallet-elm", vouched for by the
wallet issuer alone.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from cryptography.hazmat.primitives import serialization

from emrex.db import utcnow
from emrex.elm import ElmError, extract_original
from emrex.emc import wallet_plain as plain
from emrex.emc.config import WalletImportSettings
from emrex.emc.gate import Busy
from emrex.emc.models import Source, Status, Transfer
from emrex.emc.registries import emp_title
from emrex.emc.returns import Received, ReturnRefused, read_signed
from emrex.emc.service import Service
from emrex.emc.store import (
    duplicate_refusal,
    new_session_id,
    record_failure,
    record_received,
    storable_refusal,
)
from emrex.emc.student_record import read_record, record_of
from emrex.emc.wallet_store import DatabaseVerifierStore, claim
from emrex.errors import EmrexError
from emrex.registry import RegistryError
from emrex.registry.issuers import issuer_problems
from emrex.registry.model import Emp
from emrex.trust.certs import CertificateError, load_certificates
from emrex.wallet import dcql
from emrex.wallet.certificates import TrustAnchors, x5c_of
from emrex.wallet.errors import WalletError
from emrex.wallet.jose import load_private_key, signing_key
from emrex.wallet.statuslist import Fetch, http_fetch
from emrex.wallet.store import REFUSED, VERIFIED
from emrex.wallet.verifier import WALLET_SCHEME, PresentationRequest, PresentationVerifier, VerifierConfig
from emrex.web.auth import Person

log = logging.getLogger("emrex.emc")
PAGE_PATH = "/wallet-import"


class WalletImportError(EmrexError):
    """The request cannot be used by this student, or its answer cannot become a transfer. ``kind``:
    "setup", "not_found", "other" (another student's request), "waiting", "refused"."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Outcome:
    """Where a request stands for its student: still waiting, refused (why), or a transfer."""

    status: str  # "pending", "busy" (answered; waits for a verification slot), "refused" or "transfer"
    reason: str | None = None
    transfer_id: int | None = None


# The EMC asks for the original signed ELMO as well (a Converted credential's evidence): it verifies the
# data provider's signature as for an EMREX transfer. A credential without it still answers, and is
# told why it cannot be imported.
IMPORT_CLAIMS = (*dcql.IMPORT_CLAIMS, ("original", ("elm", "evidence")))
IMPORT_SETS = tuple((*option, "original") for option in dcql.IMPORT_SETS) + dcql.IMPORT_SETS


def load_verifier_config(
    service: Service, settings: WalletImportSettings, status_fetch: Fetch | None = None
) -> VerifierConfig:
    """The verifier of the EMC: its key and certificate files and the issuers' trust anchors; one-line
    WalletImportError("setup") when a file is missing or unusable."""
    try:
        key = load_private_key(settings.key_file.read_bytes(), f"the key {settings.key_file}")
        chain = load_certificates(settings.cert_file.read_bytes())
        anchors = TrustAnchors.load(path.read_bytes() for path in settings.trust)
    except OSError as error:
        raise WalletImportError(
            f"a file of [emc.wallet_import] cannot be read: {error.filename} ({error.strerror})", "setup"
        ) from None
    except (WalletError, CertificateError, ValueError) as error:
        raise WalletImportError(f"[emc.wallet_import] is not usable: {error}", "setup") from None
    return VerifierConfig(
        url=service.settings.web.base_url,
        key=signing_key(key, x5c_of(chain)),
        anchors=anchors,
        name=settings.name or service.settings.title,
        status_fetch=status_fetch if status_fetch is not None else http_fetch(),
        redirect_url=service.settings.web.base_url.rstrip("/") + PAGE_PATH + "/done",
        dcql_query=dcql.elm_query(IMPORT_CLAIMS, IMPORT_SETS),
    )


def make(service: Service, status_fetch: Fetch | None = None) -> WalletImport | None:
    """The EMC's "Import from my wallet" as ``[emc.wallet_import]`` configures it; None without it.
    A bad key, certificate or trust file stops the start with a one-line WalletImportError."""
    settings = service.settings.wallet_import
    if settings is None:
        return None
    config = load_verifier_config(service, settings, status_fetch)
    try:
        return WalletImport(service, config)
    except WalletError as error:
        raise WalletImportError(f"[emc.wallet_import]: {error}", "setup") from None


class WalletImport:
    def __init__(
        self, service: Service, config: VerifierConfig, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.service = service
        settings = service.settings.wallet_import
        self.accept_without_signed_elmo = settings is not None and settings.accept_without_signed_elmo
        self.store = DatabaseVerifierStore(service.database)
        self.clock = clock
        self.verifier = PresentationVerifier(config, self.store, clock=clock)  # checks the certificate

    def start(self, person: Person) -> PresentationRequest:
        """A new presentation request, filed under ``person``."""
        self.store.purge(int(self.clock()))
        verifier = PresentationVerifier(
            self.verifier.config, self.store.for_student(person.subject), clock=self.clock
        )
        return verifier.start()

    def link(self, session_id: str) -> str:
        """The ``openid4vp://`` link of a request (for the QR code and the same-device button)."""
        uri = self.verifier.urls.endpoint(f"vp/requests/{session_id}")
        return WALLET_SCHEME + "?" + urlencode({"client_id": self.verifier.client_id, "request_uri": uri})

    def outcome(self, session_id: str, person: Person, language: str = "en") -> Outcome:
        """Where the request stands; once verified, its answer becomes a transfer (once)."""
        owner = self.store.owner(session_id)
        if owner is None:
            raise WalletImportError("no such wallet request (it may have expired)", "not_found")
        student, transfer_id = owner
        if student != person.subject:
            raise WalletImportError("this wallet request was started by someone else", "other")
        if transfer_id is not None:
            return Outcome("transfer", transfer_id=transfer_id)
        session = self.store.session(session_id)
        assert session is not None
        if session.status == REFUSED:
            return Outcome("refused", reason=session.reason)
        if session.status != VERIFIED or session.result is None:
            if session.expires_at < int(self.clock()):
                return Outcome("refused", reason="the request expired before the wallet answered")
            return Outcome("pending")
        try:
            return Outcome("transfer", transfer_id=self._store(session_id, session.result, person, language))
        except _Taken:
            taken = self.store.owner(session_id)
            return Outcome("transfer", transfer_id=taken[1] if taken else None)
        except Busy:  # every verification slot is taken: nothing stored, the page asks again shortly
            return Outcome("busy")
        except WalletImportError as error:
            self.store.save_session(dataclasses.replace(session, status=REFUSED, reason=str(error)))
            return Outcome("refused", reason=str(error))

    def _store(self, session_id: str, result: dict[str, object], person: Person, language: str) -> int:
        elm = result.get("elm")
        original = _original(elm, self.accept_without_signed_elmo)
        if original is not None:
            received, emp = self._verify_original(original, person, language)
            xml, origin = original, _signed_origin(emp)
        else:
            assert isinstance(elm, dict)
            try:
                with self.service.gate.slot():  # converting is work of the size of a verification
                    xml, received = plain.convert(
                        elm, result, person, self.service.settings.identity_policy, language
                    )
            except plain.PlainRefused as error:
                raise WalletImportError(str(error), "refused") from None
            origin = plain.origin(result, received)
        now = utcnow()
        transfer = Transfer(
            session_id=new_session_id(),
            student=person.subject,
            student_name=person.display_name[:255],
            student_json=record_of(person),
            status=Status.STARTED,
            created_at=now,
            expires_at=now,
            courses=0,
            credits="0",
            vouched_by=f"{result.get('vouched_by')} ({result.get('issuer')})"[:1000],
            **origin,
        )
        with self.service.database.session() as s:
            s.add(transfer)
            s.flush()
            if not claim(s, session_id, transfer.id):  # another worker stored this answer: roll back
                raise _Taken()
            refusal = storable_refusal(received) or duplicate_refusal(s, transfer, received)
            if refusal is not None:
                record_failure(transfer, str(refusal), "", now)
            else:
                record_received(transfer, xml, received, "", now, self.service.settings.web.languages)
                if original is None:
                    plain.unsigned(transfer)
            transfer_id, status = transfer.id, transfer.status
        log.info("wallet: transfer %d from a credential of %s: %s", transfer_id, result.get("issuer"), status)
        return transfer_id

    def _verify_original(self, original: bytes, person: Person, language: str) -> tuple[Received, Emp]:
        settings = self.service.settings
        try:
            emps = self.service.registries.current().emps
        except RegistryError as error:
            raise WalletImportError(f"the registry cannot be read: {error}", "refused") from None
        certificates = [c for emp in emps for c in emp.certificates]
        policy = dataclasses.replace(
            settings.verify_policy, max_bytes=max(settings.verify_policy.max_bytes, len(original))
        )
        try:
            with self.service.gate.slot():
                received = read_signed(
                    original,
                    certificates,
                    read_record(record_of(person)),
                    policy=policy,
                    identity_policy=settings.identity_policy,
                    language=language,
                )
        except Busy:
            raise
        except ReturnRefused as error:
            raise WalletImportError(f"the original document in the credential: {error}", "refused") from None
        signer = received.verified.certificate
        emp = next(e for e in emps if signer in e.certificates)
        problems = issuer_problems(received.elmo.reports, emp, language)
        return dataclasses.replace(received, issuer_problems=problems), emp


class _Taken(WalletImportError):
    def __init__(self) -> None:
        super().__init__("this answer was stored by another request already", "taken")


def _original(elm: object, accept_without: bool) -> bytes | None:
    """The original signed ELMO the credential carries; None for plain ELM when the policy takes it."""
    if not isinstance(elm, dict):
        raise WalletImportError("the credential disclosed no ELM content", "refused")
    try:
        original = extract_original(elm)
    except ElmError as error:
        raise WalletImportError(
            f"the credential's original document is unreadable: {error}", "refused"
        ) from None
    if original is None and not accept_without:
        raise WalletImportError(
            "the credential carries no original ELMO signed by its data provider, "
            "which this EMC needs to import results",
            "refused",
        )
    return original


def _signed_origin(emp: Emp) -> dict[str, object]:
    """The transfer's fields naming the data provider whose signature the original carries."""
    pems = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in emp.certificates)
    return {
        "country_code": emp.country_code[:2],
        "emp_acronym": emp.acronym[:255],
        "emp_name": emp_title(emp)[:255],
        "emp_url": emp.url[:2048],
        "emp_certificates": pems.decode("ascii"),
        "emp_institutions": json.dumps(list(emp.institutions), ensure_ascii=False),
        "source": Source.WALLET,
    }
