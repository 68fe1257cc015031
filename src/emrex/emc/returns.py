"""What the EMC does with an EMP's answer, without the web: return codes, decode, verify, read, match.

``receive_elmo`` takes the ``elmo`` form value and the certificates pinned when the transfer started,
and returns what was signed (the model read from the verifier's signed bytes, never from the input),
the PDF transcript, the courses to import and the identity result; every refusal is a
``ReturnRefused`` whose ``stage`` says which check failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from cryptography import x509

from emrex.elmo import model as m
from emrex.elmo.codec import CodecLimits, decode
from emrex.elmo.errors import ElmoError
from emrex.elmo.reader import read_elmo
from emrex.errors import N_, EmrexError, InputTooLarge, TransportError, XmlError
from emrex.identity import IdentityPolicy, IdentityResult, LocalPerson, Verdict, match_identity
from emrex.registry.issuers import issuer_problems
from emrex.registry.model import Emp
from emrex.transcript.attachment import transcript_pdf
from emrex.trust import SignatureError, Verified, VerifyPolicy, verify

MAX_RETURN_MESSAGE = 500
COURSE_TYPES = (m.LosType.COURSE, m.LosType.CLASS)


class Outcome(StrEnum):
    OK = "ok"
    CANCEL = "cancel"
    NO_RESULTS = "no_results"
    ERROR = "error"


RETURN_CODES = {
    "NCP_OK": Outcome.OK,
    "EMP_OK": Outcome.OK,
    "NCP_CANCEL": Outcome.CANCEL,
    "EMP_CANCEL": Outcome.CANCEL,
    "NCP_NO_RESULTS": Outcome.NO_RESULTS,
    "EMP_NO_RESULTS": Outcome.NO_RESULTS,
    "NCP_ERROR": Outcome.ERROR,
    "EMP_ERROR": Outcome.ERROR,
}


class ReturnRefused(EmrexError):
    """The answer cannot be accepted; ``stage`` is protocol, transport, signature, document or identity."""

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(message)
        self.stage = stage

    @classmethod
    def said(cls, text: str, stage: str, **values: object) -> ReturnRefused:
        """A refusal worded by the catalog message ``text`` (marked with ``N_``) and its values."""
        return cls(text, stage).worded(text, **values)


def outcome_of(return_code: str) -> Outcome:
    try:
        return RETURN_CODES[return_code.strip()]
    except KeyError:
        shown = return_code.strip()[:40] or "(empty)"
        raise ReturnRefused.said(
            N_("the data provider answered with an unknown return code %(code)s"),
            "protocol",
            code=repr(shown),
        ) from None


def clean_message(text: str) -> str:
    """``returnMessage`` as one bounded line of printable text."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line[:MAX_RETURN_MESSAGE]


@dataclass(frozen=True)
class Course:
    issuer: str
    issuer_id: str | None
    issuer_country: str | None
    title: str
    code: str | None
    los_type: str | None
    grade: str | None
    grading_scheme: str | None
    credits: Decimal | None
    credit_scheme: str | None
    level: str | None
    start: dt.date | None
    end: dt.date | None
    status: str

    @property
    def key(self) -> ResultKey:
        return result_key(self.issuer, self.issuer_id, self.code, self.title, self.end or self.start)


ResultKey = tuple[str, str, str]


def result_key(
    issuer: str, issuer_id: str | None, code: str | None, title: str, day: dt.date | None
) -> ResultKey:
    """What makes two results the same: issuer, course and date (a result imported once stays once)."""
    return (
        (issuer_id or issuer).strip().casefold(),
        (code or title).strip().casefold(),
        day.isoformat() if day else "",
    )


@dataclass(frozen=True)
class Received:
    verified: Verified
    elmo: m.Elmo
    identity: IdentityResult
    courses: tuple[Course, ...]
    pdf: bytes | None
    # Reports whose issuer the registry does not list for the EMP that signed: staff decide.
    issuer_problems: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        return self.identity.verdict is not Verdict.MATCH or bool(self.issuer_problems)

    @property
    def credits(self) -> Decimal:
        return self.elmo.total_ects()


@dataclass(frozen=True)
class Window:
    """When the transfer started and the answer arrived: a document must be generated in between,
    give or take ``skew`` for the data provider's clock."""

    started: dt.datetime
    arrived: dt.datetime
    skew: dt.timedelta = dt.timedelta(minutes=5)


def receive_elmo(
    value: str,
    certificates: Iterable[x509.Certificate],
    person: LocalPerson,
    *,
    limits: CodecLimits,
    policy: VerifyPolicy,
    identity_policy: IdentityPolicy,
    language: str = "en",
    window: Window | None = None,
    emp: Emp | None = None,
) -> tuple[bytes, Received]:
    """(the received XML bytes, what was signed in them); ReturnRefused for every failed check."""
    xml = decode_value(value, limits)
    received = read_signed(
        xml, certificates, person, policy=policy, identity_policy=identity_policy, language=language, emp=emp
    )
    if window is not None:
        check_fresh(received.elmo.generated_date, window)
    if received.identity.verdict is Verdict.MISMATCH:
        raise ReturnRefused.said(
            N_("the results belong to someone else: %(reasons)s"),
            "identity",
            reasons="; ".join(received.identity.reasons),
        )
    return xml, received


# A date and time without a zone may be local time anywhere from UTC-12 to UTC+14.
_EARLIEST_ZONE, _LATEST_ZONE = dt.timedelta(hours=14), dt.timedelta(hours=12)


def check_fresh(generated: dt.datetime | None, window: Window) -> None:
    """ReturnRefused ("stale") unless the document was generated while its transfer was open: a signed
    answer of another transfer (the student can download each) or an old document is not taken again."""
    if generated is None:
        raise ReturnRefused.said(
            N_(
                "the results carry no generation date (generatedDate), so they cannot be told apart "
                "from an earlier document"
            ),
            "stale",
        )
    shown = generated.isoformat(sep=" ", timespec="minutes")
    try:
        if generated.tzinfo is None:
            at_utc = generated.replace(tzinfo=dt.UTC)
            earliest, latest = at_utc - _EARLIEST_ZONE, at_utc + _LATEST_ZONE
        else:
            earliest = latest = generated.astimezone(dt.UTC)
    except OverflowError:
        raise ReturnRefused.said(
            N_("the results carry an impossible generation date (%(date)s)"), "stale", date=shown
        ) from None
    if latest < window.started - window.skew:
        started = window.started.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        raise ReturnRefused.said(
            N_(
                "the results were generated on %(date)s, before this transfer started (%(started)s UTC): "
                "an earlier document is not accepted again"
            ),
            "stale",
            date=shown,
            started=started,
        )
    if earliest > window.arrived + window.skew:
        raise ReturnRefused.said(
            N_(
                "the results are dated %(date)s, later than their arrival: the data provider's clock is wrong"
            ),
            "stale",
            date=shown,
        )


def decode_value(value: str, limits: CodecLimits) -> bytes:
    if not value.strip():
        raise ReturnRefused.said(N_("the data provider reported success but sent no results"), "transport")
    try:
        return decode(value, limits)
    except InputTooLarge as error:
        raise ReturnRefused.said(
            N_("the results are too large: %(detail)s"), "transport", detail=error
        ) from None
    except TransportError as error:
        raise ReturnRefused.said(
            N_("the results could not be unpacked: %(detail)s"), "transport", detail=error
        ) from None


def read_signed(
    xml: bytes,
    certificates: Iterable[x509.Certificate],
    person: LocalPerson,
    *,
    policy: VerifyPolicy,
    identity_policy: IdentityPolicy,
    language: str = "en",
    emp: Emp | None = None,
) -> Received:
    """Verify ``xml`` against ``certificates``, then read only what the signature covers; with ``emp``
    (as pinned at the start) each report's issuer is compared with the institutions it serves."""
    try:
        verified = verify(xml, tuple(certificates), policy)
    except SignatureError as error:
        raise ReturnRefused.said(
            N_("the signature was not accepted: %(detail)s"), "signature", detail=error
        ) from None
    except XmlError as error:
        raise ReturnRefused.said(
            N_("the results are not a readable document: %(detail)s"), "document", detail=error
        ) from None
    except EmrexError as error:
        raise ReturnRefused.said(
            N_("the signature could not be checked: %(detail)s"), "signature", detail=error
        ) from None
    try:
        signed = verified.signed_xml
        elmo = read_elmo(
            signed, max_bytes=max(policy.max_bytes, len(signed)), max_elements=policy.max_elements
        ).elmo
    except (ElmoError, XmlError) as error:
        raise ReturnRefused.said(
            N_("the signed document is not ELMO we can read: %(detail)s"), "document", detail=error
        ) from None
    identity = match_identity(elmo.learner, person, identity_policy)
    problems = issuer_problems(elmo.reports, emp, language) if emp is not None else ()
    return Received(
        verified, elmo, identity, tuple(courses_of(elmo, language)), transcript_pdf(elmo), problems
    )


def courses_of(elmo: m.Elmo, language: str = "en") -> list[Course]:
    """The course-like learning opportunities (courses, classes, and untyped leaves) of every report."""
    found: list[Course] = []
    for report in elmo.reports:
        issuer = report.issuer.title(language, "en") or report.issuer.identifier("schac") or ""
        issuer_id = report.issuer.identifier("schac") or report.issuer.identifier("erasmus")
        for _depth, los in report.iter_los():
            if not (los.type in COURSE_TYPES or (los.type is None and not los.has_part)):
                continue
            found.append(_course(report, los, issuer, issuer_id, language))
    return found


def _course(
    report: m.Report,
    los: m.LearningOpportunitySpecification,
    issuer: str,
    issuer_id: str | None,
    language: str,
) -> Course:
    loi = los.specifies or m.LearningOpportunityInstance()
    scheme_text: str | None = None
    if loi.grading_scheme_local_id:
        scheme = report.grading_scheme(loi.grading_scheme_local_id)
        described = m.best_text(scheme.descriptions, language, "en") if scheme else None
        scheme_text = described or loi.grading_scheme_local_id
    credit = next((c for c in loi.credits if c.value is not None), None)
    levels = [f"{lv.type} {lv.value}".strip() for lv in loi.levels if lv.value or lv.type]
    if credit is not None and credit.level is not None:
        levels.append(str(credit.level))
    term = loi.academic_term
    return Course(
        issuer=issuer,
        issuer_id=issuer_id,
        issuer_country=report.issuer.country,
        title=los.title(language, "en") or "",
        code=los.identifier("local") or (los.identifiers[0].value if los.identifiers else None),
        los_type=str(los.type) if los.type else None,
        grade=loi.result_label,
        grading_scheme=scheme_text,
        credits=credit.value if credit else None,
        credit_scheme=credit.scheme if credit else None,
        level=", ".join(levels) or None,
        start=loi.start or (term.start if term else None),
        end=loi.date or (term.end if term else None),
        status=str(loi.effective_status),
    )
