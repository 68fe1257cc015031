"""What the public ``/verify`` page finds in an uploaded document, without the web and without storing it.

Three kinds are told by their content: a signed ELMO (XML or the transport form), checked against
every data provider's certificates in the registry; a sealed European Digital Credential (JAdES),
checked by ``emrex.elm.edc.verify_edc`` with the configured trust anchors and the registry for the
embedded original; a sealed PDF transcript (PAdES). The answer says who signed, whether the document
changed since, whether the signer is in the registry, and what could not be checked offline; the
learner and results are shown only from content whose signature verified.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from cryptography import x509
from cryptography.x509.oid import NameOID

from emrex.elmo import model as m
from emrex.elmo.codec import CodecLimits, decode
from emrex.elmo.errors import ElmoError
from emrex.elmo.reader import read_elmo
from emrex.emc.results_view import ResultsView, document_view
from emrex.emc.returns import Course, courses_of
from emrex.errors import EmrexError, InputTooLarge
from emrex.registry.model import Emp, Registry
from emrex.seal import Check, SealBroken, SealPolicy, SealRefused, SealUnreadable, SealVerification, Status
from emrex.seal.result import EMBEDDED_ELMO, SIGNATURE
from emrex.trust import SignatureError, VerifyPolicy, verify
from emrex.trust.certs import printable
from emrex.trust.errors import CertificateValidityError, SignatureInvalid, UntrustedSigner

MAX_UPLOAD_BYTES = 16 * 1024 * 1024


class Kind(StrEnum):
    ELMO = "elmo"
    EDC = "edc"
    PDF = "pdf"


class Verdict(StrEnum):
    VALID = "valid"  # every decisive check passed
    INVALID = "invalid"  # one failed: changed, unknown signer, expired, not the issuer's seal
    UNCONFIRMED = "unconfirmed"  # nothing failed, but trust could not be established


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def _(text: str) -> str:
    """Marks a message for the catalog; the page translates it when it shows it."""
    return text


class Unreadable(EmrexError):
    """The upload is none of the documents the page checks, or cannot be read. ``text`` is a fixed
    sentence the page translates, ``detail`` the technical reason (English), if any."""

    def __init__(self, text: str, detail: str = "") -> None:
        super().__init__(f"{text}: {detail}" if detail else text)
        self.text = text
        self.detail = printable(detail)


@dataclass(frozen=True)
class Contents:
    """What the verified document holds, for the results table (the shape of ``emc.returns.Received``)."""

    elmo: m.Elmo
    courses: tuple[Course, ...]
    language: str = "en"

    @property
    def credits(self) -> Decimal:
        return self.elmo.total_ects()

    @cached_property
    def view(self) -> ResultsView:
        """The results table's rows, as the transfer pages show them."""
        return document_view(self.elmo, self.language)


@dataclass(frozen=True)
class Inspection:
    kind: Kind
    verdict: Verdict
    signer: str | None  # the organisation (or name) in the signing certificate
    changed: Answer  # was it changed after signing?
    listed: Answer  # is the signer (of the ELMO, or of the original inside an EDC) in the registry?
    listed_as: str | None = None  # the data provider, as the registry names it
    reason: str | None = None  # why not valid, one line
    checks: tuple[Check, ...] = ()  # every check, with its technical sentence
    offline: tuple[str, ...] = ()  # names of the checks that cannot be done offline
    contents: Contents | None = None
    warnings: tuple[str, ...] = field(default=())
    signer_country: str | None = None  # the signing certificate's country (ISO 3166 code)
    listed_country: str | None = None  # the registry's country of the data provider


def detect(data: bytes) -> Kind:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return Kind.PDF
    if head.startswith(b"{"):
        return Kind.EDC
    return Kind.ELMO  # XML, or the transport form: the decoder says when it is neither


def inspect(
    data: bytes,
    *,
    registry: Registry | None,
    trust: Sequence[x509.Certificate],
    limits: CodecLimits,
    policy: VerifyPolicy,
    language: str = "en",
) -> Inspection:
    """The findings for ``data``; Unreadable (one line) when it is none of the three kinds."""
    if not data.strip():
        raise Unreadable(_("the file is empty"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise Unreadable(_("the file is larger than the limit"), f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    kind = detect(data)
    if kind is Kind.PDF:
        return _pdf(data, registry, trust)
    if kind is Kind.EDC:
        return _edc(data, registry, trust, language)
    return _elmo(data, registry, limits, policy, language)


def _elmo(
    data: bytes, registry: Registry | None, limits: CodecLimits, policy: VerifyPolicy, language: str
) -> Inspection:
    try:
        xml = decode(data, limits)
    except InputTooLarge as error:
        raise Unreadable(_("the document is too large"), str(error)) from None
    except EmrexError:
        raise Unreadable(
            _(
                "this is neither a signed ELMO document (XML or its transport form), a sealed European "
                "Digital Credential (JSON) nor a sealed PDF"
            )
        ) from None
    if registry is None:
        reason = "the registry of data providers cannot be loaded now, so the signature was not checked"
        return Inspection(Kind.ELMO, Verdict.UNCONFIRMED, None, Answer.UNKNOWN, Answer.UNKNOWN, reason=reason)
    certificates = [c for emp in registry.emps for c in emp.certificates]
    try:
        verified = verify(xml, certificates, policy)
    except UntrustedSigner as error:
        return _elmo_refused(Answer.UNKNOWN, Answer.NO, str(error))
    except CertificateValidityError as error:
        return _elmo_refused(Answer.UNKNOWN, Answer.YES, str(error))
    except SignatureInvalid as error:
        changed = Answer.YES if "changed" in str(error) else Answer.UNKNOWN
        return _elmo_refused(changed, Answer.UNKNOWN, str(error))
    except SignatureError as error:
        return _elmo_refused(Answer.UNKNOWN, Answer.UNKNOWN, str(error))
    except EmrexError as error:
        raise Unreadable(_("the document cannot be read"), str(error)) from None
    try:
        signed = read_elmo(
            verified.signed_xml,
            max_bytes=max(policy.max_bytes, len(verified.signed_xml)),
            max_elements=policy.max_elements,
        ).elmo
    except (ElmoError, EmrexError) as error:
        raise Unreadable(_("the signed document is not ELMO that can be read"), str(error)) from None
    emp = _owner(registry, verified.certificate)
    return Inspection(
        Kind.ELMO,
        Verdict.VALID,
        organisation(verified.certificate),
        Answer.NO,
        Answer.YES,
        listed_as=_emp_name(emp) if emp else None,
        signer_country=country_of(verified.certificate),
        listed_country=emp.country_code if emp else None,
        checks=(Check(SIGNATURE, Status.PASSED, f"the signature of {verified.signer} verifies"),),
        offline=(),
        contents=_contents(signed, language),
        warnings=verified.warnings,
    )


def _elmo_refused(changed: Answer, listed: Answer, reason: str) -> Inspection:
    return Inspection(Kind.ELMO, Verdict.INVALID, None, changed, listed, reason=printable(reason))


def _edc(
    data: bytes, registry: Registry | None, trust: Sequence[x509.Certificate], language: str
) -> Inspection:
    # Kept here with _pdf's: the EDC and PDF verifiers (rdflib, pyhanko) would take the EMC's every
    # start and CLI command from 1422 to 1682 modules; they load on the first EDC or PDF checked.
    from emrex.elm.edc import verify_edc
    from emrex.elm.errors import ElmError
    from emrex.elm.from_elm import credential_model

    try:
        result = verify_edc(data, SealPolicy(trust=tuple(trust)), registry=registry)
    except SealBroken as error:
        return Inspection(Kind.EDC, Verdict.INVALID, None, Answer.YES, Answer.UNKNOWN, reason=str(error))
    except InputTooLarge as error:
        raise Unreadable(_("the credential is too large"), str(error)) from None
    except SealUnreadable as error:
        raise Unreadable(_("this is not a sealed credential that can be read"), str(error)) from None
    except SealRefused as error:
        return Inspection(Kind.EDC, Verdict.INVALID, None, Answer.UNKNOWN, Answer.UNKNOWN, reason=str(error))
    contents = None
    with contextlib.suppress(ElmError, ElmoError, EmrexError):  # the page then shows no results
        contents = _contents(credential_model(dict(result.credential)), language)
    original = _listed_emp(result, registry)
    return Inspection(
        Kind.EDC,
        _verdict(result.verdict),
        organisation(result.certificate),
        Answer.NO,
        _listed(result.check(EMBEDDED_ELMO)),
        listed_as=_emp_name(original) if original else None,
        signer_country=country_of(result.certificate),
        listed_country=original.country_code if original else None,
        reason=_first_problem(result.checks),
        checks=result.checks,
        offline=tuple(c.name for c in result.not_checked if not c.decisive),
        contents=contents,
        warnings=result.warnings,
    )


def _pdf(data: bytes, registry: Registry | None, trust: Sequence[x509.Certificate]) -> Inspection:
    from emrex.seal import PdfNotSealed, PdfSealError  # kept lazy: see _edc
    from emrex.seal.pdf import verify_pdf_seal

    try:
        result = verify_pdf_seal(data, trust=trust)
    except PdfNotSealed:
        raise Unreadable(_("the PDF carries no seal or signature, so there is nothing to verify")) from None
    except (PdfSealError, InputTooLarge) as error:
        raise Unreadable(_("the PDF cannot be checked"), str(error)) from None
    intact = result.intact
    emps = [] if registry is None else [e for e in registry.emps if result.certificate in e.certificates]
    listed = Answer.UNKNOWN if registry is None else (Answer.YES if emps else Answer.NO)
    checks = result.checks
    failed = [c for c in checks if c.decisive and c.status is Status.FAILED]
    return Inspection(
        Kind.PDF,
        _verdict(result.verdict),
        organisation(result.certificate),
        Answer.NO if intact else Answer.YES,
        listed,
        listed_as=_emp_name(emps[0]) if emps else None,
        signer_country=country_of(result.certificate),
        listed_country=emps[0].country_code if emps else None,
        reason=failed[0].summary if failed else _first_problem(checks),
        checks=checks,
        offline=tuple(c.name for c in checks if c.status is Status.NOT_CHECKED),
        warnings=result.warnings,
    )


def organisation(certificate: x509.Certificate) -> str:
    """Who a certificate names, as a person reads it: the organisation, else the name (its country
    is ``country_of``, for the page to name in words)."""
    subject = certificate.subject
    names = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    names = names or [str(a.value) for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    text = names[0] if names else subject.rfc4514_string()
    return printable(text)[:300]


def country_of(certificate: x509.Certificate) -> str | None:
    """The certificate subject's country (two letters), if it names one."""
    found = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)]
    code = printable(found[0]).strip().upper() if found else ""
    return code if len(code) == 2 and code.isalpha() else None


def _verdict(status: Status) -> Verdict:
    return {Status.PASSED: Verdict.VALID, Status.FAILED: Verdict.INVALID}.get(status, Verdict.UNCONFIRMED)


def _first_problem(checks: Sequence[Check]) -> str | None:
    for wanted in (Status.FAILED, Status.INDETERMINATE):
        for check in checks:
            if check.decisive and check.status is wanted:
                return f"{check.name}: {check.summary}"
    return None


def _listed(check: Check) -> Answer:
    if check.status is Status.PASSED:
        return Answer.YES
    # The embedded original was signed by a key no registry data provider has (trust.verifier's words).
    if check.status is Status.FAILED and (
        "not a trusted certificate" in check.summary or "matches none" in check.summary
    ):
        return Answer.NO
    return Answer.UNKNOWN


def _listed_emp(result: SealVerification, registry: Registry | None) -> Emp | None:
    """The registry's data provider that signed the credential's original (its check names it)."""
    check = result.check(EMBEDDED_ELMO)
    if check.status is not Status.PASSED or registry is None:
        return None
    summary = check.summary.removeprefix("the original ELMO is signed by ")
    named = summary.removesuffix(", as the registry lists it")
    return next((emp for emp in registry.emps if emp.listed_name == named), None)


def _owner(registry: Registry, certificate: x509.Certificate) -> Emp | None:
    return next((emp for emp in registry.emps if certificate in emp.certificates), None)


def _emp_name(emp: Emp) -> str:
    return f"{emp.display_name} ({emp.acronym})" if emp.acronym != emp.display_name else emp.display_name


def _contents(elmo: m.Elmo, language: str) -> Contents:
    return Contents(elmo, tuple(courses_of(elmo, language)), language)
