"""Importing a wallet credential that carries no original ELMO signed by its data provider: plain ELM,
as DC4EU issuers and other credential issuers make it. Only when ``[emc.wallet_import]``
``accept_without_signed_elmo`` is true (``emrex.emc.wallet_import`` refuses it otherwise).

The credential was verified (issuer JWT against the trust anchors, disclosures, key binding, status
list); here its ELM is converted to ELMO with the project's converter (``emrex.elm.elm_to_elmo``), the
learner is matched against the logged-in student, and the transfer is stored with the source
"wallet-elm": no data provider's signature backs it, only the wallet issuer vouched (its certificate is
what the transfer pins). It has no signer, so it is never "verified again" as a signed document is
(``emrex.emc.service.verify_stored`` says why), cannot be sealed or issued again, and pages say so.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography import x509
from cryptography.x509.oid import NameOID

from emrex.elm import ElmError, elm_to_elmo
from emrex.emc.models import Source, Transfer
from emrex.emc.returns import Received, courses_of
from emrex.emc.student_record import read_record, record_of
from emrex.errors import EmrexError
from emrex.identity import IdentityPolicy, Verdict, match_identity
from emrex.transcript.attachment import transcript_pdf
from emrex.trust import Verified
from emrex.trust.algorithms import Algorithms
from emrex.web.auth import Person

# No XML signature was checked: nothing to name (the transfer stores no algorithms).
NO_ALGORITHMS = Algorithms("", "", "", "")
MAX_WARNINGS = 20


class PlainRefused(EmrexError):
    """The plain ELM cannot become a transfer (one line saying why)."""


def convert(
    elm: dict[str, object],
    result: Mapping[str, object],
    person: Person,
    identity_policy: IdentityPolicy,
    language: str = "en",
) -> tuple[bytes, Received]:
    """The ELMO of ``elm`` and what the import reads from it, the learner matched against ``person``;
    PlainRefused when the converter refuses the ELM or the results belong to someone else."""
    certificate = _certificate(result)
    try:
        converted = elm_to_elmo(elm)
    except ElmError as error:
        raise PlainRefused(f"the credential's ELM cannot be converted to ELMO: {error}") from None
    elmo = converted.elmo
    identity = match_identity(elmo.learner, read_record(record_of(person)), identity_policy)
    if identity.verdict is Verdict.MISMATCH:
        raise PlainRefused(f"the results belong to someone else: {'; '.join(identity.reasons)}")
    verified = Verified(converted.xml, certificate, NO_ALGORITHMS, tuple(converted.warnings[:MAX_WARNINGS]))
    courses = tuple(courses_of(elmo, language))
    return converted.xml, Received(verified, elmo, identity, courses, transcript_pdf(elmo))


def origin(result: Mapping[str, object], received: Received) -> dict[str, object]:
    """The transfer's fields naming who provided the results: the wallet issuer (its organisation, its
    country, its ``iss``), its certificate pinned; no data provider's institutions to compare."""
    certificate = received.verified.certificate
    subject = certificate.subject
    names = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME) or subject.get_attributes_for_oid(
        NameOID.COMMON_NAME
    )
    countries = subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    reported = next((r.issuer.country for r in received.elmo.reports if r.issuer.country), None)
    country = str(countries[0].value) if countries else (reported or "")
    name = str(names[0].value) if names else str(result.get("issuer", ""))
    return {
        "country_code": country.upper()[:2],
        "emp_acronym": "",
        "emp_name": name[:255],
        "emp_url": str(result.get("issuer", ""))[:2048],
        "emp_certificates": str(result.get("certificate", "")),
        "emp_institutions": None,
        "source": Source.WALLET_ELM,
    }


def unsigned(transfer: Transfer) -> None:
    """After ``record_received``: no data provider signed these results, so no signer is named."""
    transfer.signer = None
    transfer.signer_fingerprint = None
    transfer.algorithms = None


def _certificate(result: Mapping[str, object]) -> x509.Certificate:
    pem = result.get("certificate")
    try:
        if not isinstance(pem, str):
            raise ValueError("missing")
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        raise PlainRefused("the verified answer does not name the wallet issuer's certificate") from None
