"""The evidence provider: an EMREX data provider answering OOTS evidence requests.

The state machine, free of any web framework and database (exchanges live in an ``ExchangeStore``):

    request ──> preview required (EDM:ERR:0002 with the PreviewLocation), exchange PREVIEW
    person opens the PreviewLocation at the EMP ──> ``start_preview``
    person logs in ──> ``bind_person`` (identity matched; another person ──> MISMATCH)
    person agrees ──> ``approve`` (signed ELMO + PDF) ──> APPROVED; or ``cancel`` ──> DECLINED
    repeated request carrying the PreviewLocation ──> QueryResponse with the evidence ──> DELIVERED
                                                   or the EDM exception the exchange ended in
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from emrex.elmo.model import Learner
from emrex.identity import DEFAULT_IDENTITY_POLICY, IdentityPolicy, reasons_text
from emrex.oots.edm_error import build_error
from emrex.oots.errors import EdmUnreadable, EvidenceRefused, ExchangeConflict, PreviewError
from emrex.oots.evidence import (
    ELMO_MEDIA,
    MAX_DOCUMENT_BYTES,
    PDF_MEDIA,
    Document,
    arrange,
    check_pdf,
    read_signed_elmo,
)
from emrex.oots.exchange import Exchange, ExchangeStore, State
from emrex.oots.identity import SubjectMatch, match_subject, same_subject
from emrex.oots.model import (
    AUTHENTICATION,
    AUTHORIZATION,
    INVALID_REQUEST,
    OBJECT_NOT_FOUND,
    TIMEOUT,
    UNRESOLVED_REFERENCE,
    UNSUPPORTED_CAPABILITY,
    Agent,
    ErrorKind,
    EvidencePart,
    EvidenceType,
    Identifier,
    NaturalPerson,
    QueryRequest,
)
from emrex.oots.names import ACTION_ERROR, ACTION_RESPONSE, PARTY_TYPE, V1, V2
from emrex.oots.request import read_request
from emrex.oots.response import build_response, new_uuid
from emrex.oots.rules import URN_UUID, Violation, summary

_TOKEN = re.compile(r"\A[A-Za-z0-9_-]{32,64}\Z")
_DEV_HOSTS = ("localhost", "127.0.0.1", "::1")
# Who an error goes to when the request does not say (the ebMS originalSender is used where known).
UNKNOWN_REQUESTER = Agent(Identifier("unknown", PARTY_TYPE))
PREVIEW_DESCRIPTION = (
    "Log in at the data provider, look at the results it holds about you and decide whether to share them."
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ProviderConfig:
    """Who we are in OOTS and what we offer (as registered in the Data Service Directory)."""

    provider: Agent
    evidence_types: tuple[EvidenceType, ...]
    preview_base: str  # the PreviewLocation is this followed by the exchange's secret token
    preview_ttl: dt.timedelta = dt.timedelta(minutes=30)
    delivery_ttl: dt.timedelta = dt.timedelta(minutes=30)  # from the person's agreement to the repeat
    procedures: frozenset[str] | None = None  # procedure codes we answer under; None: any of the list
    identity_policy: IdentityPolicy = DEFAULT_IDENTITY_POLICY
    accept_review: bool = False  # let a REVIEW identity verdict pass (OOTS has nobody to review)
    cid_domain: str = "emrex.oots"
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    preview_description: str = PREVIEW_DESCRIPTION
    # Hosts a ReturnLocation may name over plain http (development: a requester on localhost).
    dev_http_hosts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.evidence_types:
            raise ValueError("an evidence provider offers at least one evidence type")
        parts = urlsplit(self.preview_base)
        development = parts.scheme == "http" and parts.hostname in _DEV_HOSTS
        if (
            not (parts.scheme == "https" or development)
            or not parts.hostname
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                "the preview base must be an https:// URL without query (http only on localhost)"
            )

    def preview_location(self, token: str) -> str:
        return self.preview_base + token

    def token_of(self, location: str) -> str | None:
        """The token of a PreviewLocation we gave out, or None for anything else."""
        if not location.startswith(self.preview_base):
            return None
        token = location[len(self.preview_base) :]
        return token if _TOKEN.match(token) else None


@dataclass(frozen=True)
class Answer:
    """What goes back for one request: the RegRep body and, with the evidence, its documents."""

    body: bytes
    action: str  # ExecuteQueryResponse or ExceptionResponse
    attachments: tuple[EvidencePart, ...] = ()
    error: ErrorKind | None = None
    detail: str | None = None
    preview_location: str | None = None
    token: str | None = None

    @property
    def evidence_sent(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class PreviewSession:
    """What the EMP's preview pages need of an exchange (never the evidence or the token's history)."""

    token: str
    requester: Agent
    person: NaturalPerson
    evidence_type: EvidenceType
    procedure: str | None
    return_location: str | None
    expires_at: dt.datetime
    state: State
    subject: str | None

    @classmethod
    def of(cls, exchange: Exchange) -> PreviewSession:
        return cls(
            exchange.token,
            exchange.requester,
            exchange.person,
            exchange.evidence_type,
            exchange.procedure,
            exchange.return_location,
            exchange.expires_at,
            exchange.state,
            exchange.subject,
        )


class _Refused(Exception):
    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


# What the repeated request gets for an exchange that ended without evidence.
_ENDINGS: dict[State, tuple[ErrorKind, str]] = {
    State.DECLINED: (OBJECT_NOT_FOUND, "the person did not agree to share the evidence"),
    State.MISMATCH: (
        AUTHENTICATION,
        "the person who logged in at the data provider is not the person the request is about",
    ),
    State.NO_RESULTS: (OBJECT_NOT_FOUND, "the data provider holds no results for this person"),
    State.FAILED: (OBJECT_NOT_FOUND, "the data provider could not produce the evidence"),
    State.EXPIRED: (TIMEOUT, "the person did not finish the preview in time"),
    State.DELIVERED: (
        INVALID_REQUEST,
        "EMREX-OOTS-010: the evidence of this preview was sent already; a new request starts a new preview",
    ),
}


class EvidenceProvider:
    def __init__(
        self,
        config: ProviderConfig,
        store: ExchangeStore,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        new_id: Callable[[], str] = new_uuid,
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self.config = config
        self.store = store
        self._clock = clock
        self._new_id = new_id
        self._new_token = new_token

    def now(self) -> dt.datetime:
        return self._clock()

    def new_id(self) -> str:
        return self._new_id()

    # -- the requester's side: one request in, one answer out --------------------------------------

    def answer(
        self, body: bytes, *, requester_hint: Agent | None = None, conversation_id: str | None = None
    ) -> Answer:
        """Answer one QueryRequest: a new request gets "preview required" (or a refusal naming the broken
        rule); a repeated one carrying our PreviewLocation gets the evidence or how the exchange ended."""
        now = self._clock()
        try:
            reading = read_request(body)
        except EdmUnreadable as error:
            return self._error(INVALID_REQUEST, str(error), None, requester_hint, now, V2)
        request = reading.request
        requester = (request.requester if request else None) or requester_hint
        specification = V1 if request is not None and request.specification == V1 else V2
        request_id = request.id if request is not None and URN_UUID.match(request.id) else None
        errors = [v for v in reading.check.errors if not self._own_development_location(v, request)]
        if errors or request is None:
            return self._error(INVALID_REQUEST, summary(errors), request_id, requester, now, specification)
        try:
            evidence_type = self._checked(request)
            if request.preview_location is not None:
                return self._repeated(request, now, specification)
            return self._new(request, evidence_type, now, conversation_id, specification)
        except _Refused as refused:
            return self._error(refused.kind, refused.detail, request_id, requester, now, specification)

    def _own_development_location(self, violation: Violation, request: QueryRequest | None) -> bool:
        """R-EDM-REQ-C005 wants an https PreviewLocation; a development provider on localhost gives out
        http ones (``preview_base``) and must take its own back."""
        return (
            violation.rule == "R-EDM-REQ-C005"
            and self.config.preview_base.startswith("http://")
            and request is not None
            and self.config.token_of(request.preview_location or "") is not None
        )

    def _checked(self, request: QueryRequest) -> EvidenceType:
        """Our business rules, once the EDM rules hold; the evidence type we offer that was asked for."""
        ours = self.config.provider
        if request.provider is None or not request.provider.same_party(ours):
            named = request.provider.identifier.value if request.provider else "none"
            raise _Refused(
                INVALID_REQUEST,
                f"EMREX-OOTS-002: the request names the evidence provider {named[:80]}, "
                f"not {ours.identifier.value}",
            )
        asked = request.evidence_type
        offered = next(
            (t for t in self.config.evidence_types if asked is not None and t.identifier == asked.identifier),
            None,
        )
        if asked is None or offered is None:
            raise _Refused(
                UNRESOLVED_REFERENCE,
                "EMREX-OOTS-003: this provider does not offer the evidence type asked for",
            )
        if any(f not in offered.formats for f in asked.formats):
            raise _Refused(
                UNSUPPORTED_CAPABILITY,
                f"EMREX-OOTS-012: the evidence is offered as {', '.join(offered.formats)} only",
            )
        if request.about_legal_person or request.person is None:
            raise _Refused(
                INVALID_REQUEST, "EMREX-OOTS-005: this provider holds evidence about natural persons"
            )
        if request.explicit_request_given is not True:
            raise _Refused(
                INVALID_REQUEST,
                "EMREX-OOTS-001: the evidence is sent only at the person's explicit request "
                "(ExplicitRequestGiven must be true)",
            )
        if self.config.procedures is not None and request.procedure not in self.config.procedures:
            raise _Refused(
                OBJECT_NOT_FOUND,
                f"EMREX-OOTS-006: no evidence is offered for the procedure {request.procedure}",
            )
        person = request.person
        if not (person.family_name and person.given_name and person.date_of_birth):
            raise _Refused(
                INVALID_REQUEST,
                "EMREX-OOTS-007: the person's family name, given name and date of birth are needed to "
                "match the person",
            )
        if request.return_location is not None and not _safe_return(
            request.return_location, self.config.dev_http_hosts
        ):
            raise _Refused(INVALID_REQUEST, "EMREX-OOTS-011: the ReturnLocation must be an https:// URL")
        return asked

    def _new(
        self,
        request: QueryRequest,
        evidence_type: EvidenceType,
        now: dt.datetime,
        conversation_id: str | None,
        specification: str,
    ) -> Answer:
        if request.possibility_for_preview is not True:
            raise _Refused(
                UNSUPPORTED_CAPABILITY,
                "EMREX-OOTS-004: this provider sends evidence only after the person's preview "
                "(PossibilityForPreview must be true)",
            )
        assert request.requester is not None and request.person is not None  # the EDM rules held
        exchange = Exchange(
            token=self._new_token(),
            request_id=request.id,
            conversation_id=conversation_id,
            requester=request.requester,
            person=request.person,
            evidence_type=evidence_type,
            procedure=request.procedure,
            return_location=request.return_location,
            created_at=now,
            expires_at=now + self.config.preview_ttl,
        )
        self.store.create(exchange)
        return self._preview_required(exchange, request.id, now, specification)

    def _repeated(self, request: QueryRequest, now: dt.datetime, specification: str) -> Answer:
        token = self.config.token_of(request.preview_location or "")
        exchange = self.store.get(token) if token else None
        if exchange is None:
            raise _Refused(
                INVALID_REQUEST, "EMREX-OOTS-008: the PreviewLocation is not one this provider gave out"
            )
        assert request.requester is not None and request.person is not None and request.evidence_type
        if not (
            exchange.requester.same_party(request.requester)
            and same_subject(exchange.person, request.person)
            and exchange.evidence_type.identifier == request.evidence_type.identifier
        ):
            raise _Refused(
                INVALID_REQUEST,
                "EMREX-OOTS-009: the PreviewLocation belongs to another request (requester, person or "
                "evidence type differ)",
            )
        for _ in range(3):
            exchange = self._expire_if_due(exchange, now)
            if exchange.state is State.PREVIEW:
                return self._preview_required(exchange, request.id, now, specification)
            if exchange.state is not State.APPROVED:
                kind, detail = _ENDINGS[exchange.state]
                raise _Refused(kind, detail)
            answer = self._evidence(exchange, request, now, specification)
            if self.store.update(
                exchange.advanced(state=State.DELIVERED, evidence=()), expected_version=exchange.version
            ):
                return answer
            fresh = self.store.get(exchange.token)
            if fresh is None:
                break
            exchange = fresh
        raise _Refused(INVALID_REQUEST, "EMREX-OOTS-013: the exchange changed meanwhile; repeat the request")

    def _evidence(self, exchange: Exchange, request: QueryRequest, now: dt.datetime, spec: str) -> Answer:
        main = next(p for p in exchange.evidence if p.role.value == "MainEvidence")
        attachments = exchange.evidence if spec == V2 else (main,)
        body = build_response(
            request_id=request.id,
            response_id=self._new_id(),
            issued=now,
            provider=self.config.provider,
            requester=exchange.requester,
            subject=exchange.person,
            evidence_type=exchange.evidence_type,
            parts=attachments,
            issuing_date=now.date(),
            new_id=self._new_id,
            specification=spec,
        )
        return Answer(body, ACTION_RESPONSE, attachments=attachments, token=exchange.token)

    def _preview_required(self, exchange: Exchange, request_id: str, now: dt.datetime, spec: str) -> Answer:
        location = self.config.preview_location(exchange.token)
        body = build_error(
            kind=AUTHORIZATION,
            request_id=request_id,
            response_id=self._new_id(),
            timestamp=now,
            error_provider=self.config.provider,
            requester=exchange.requester,
            preview_location=location,
            preview_description=self.config.preview_description,
            specification=spec,
        )
        return Answer(
            body, ACTION_ERROR, error=AUTHORIZATION, preview_location=location, token=exchange.token
        )

    def _error(
        self,
        kind: ErrorKind,
        detail: str,
        request_id: str | None,
        requester: Agent | None,
        now: dt.datetime,
        spec: str,
    ) -> Answer:
        if request_id is None and kind is not INVALID_REQUEST:
            kind = INVALID_REQUEST  # R-EDM-ERR-C025: only 0003 may leave the requestId out
        requester = requester or UNKNOWN_REQUESTER
        if not requester.identifier.scheme:  # R-EDM-ERR-C009
            requester = Agent(Identifier(requester.identifier.value, PARTY_TYPE), requester.names)
        body = build_error(
            kind=kind,
            request_id=request_id,
            response_id=self._new_id(),
            timestamp=now,
            error_provider=self.config.provider,
            requester=requester,
            detail=detail,
            specification=spec,
        )
        return Answer(body, ACTION_ERROR, error=kind, detail=detail)

    def _expire_if_due(self, exchange: Exchange, now: dt.datetime) -> Exchange:
        if exchange.state.final or now < exchange.expires_at:
            return exchange
        expired = exchange.advanced(state=State.EXPIRED, evidence=())
        if self.store.update(expired, expected_version=exchange.version):
            return expired
        return self.store.get(exchange.token) or expired

    # -- the EMP's side: the preview pages ---------------------------------------------------------

    def start_preview(self, token: str) -> PreviewSession:
        """The person arrived at the PreviewLocation: what the pages show, or ``PreviewError``."""
        return PreviewSession.of(self._live(token))

    def bind_person(self, token: str, subject: str, learner: Learner) -> SubjectMatch:
        """The person logged in as ``subject`` and the SIS knows them as ``learner``: bind the preview to
        them if they are the person the request is about; otherwise the exchange ends as MISMATCH."""
        exchange = self._live(token)
        self._require_owner(exchange, subject, allow_unbound=True)
        matched = match_subject(
            learner, exchange.person, self.config.identity_policy, accept_review=self.config.accept_review
        )
        if matched.accepted:
            self._update(exchange, subject=subject)
        else:
            self._update(
                exchange, subject=subject, state=State.MISMATCH, detail=reasons_text(matched.reasons)
            )
        return matched

    def approve(
        self, token: str, subject: str, *, elmo: bytes, pdf: bytes, extra: Sequence[Document] = ()
    ) -> PreviewSession:
        """The person agreed: keep the signed ELMO, its PDF transcript and any further document (an ELM
        credential) for the repeated request. A document that is not what it claims ends the exchange
        as FAILED and raises ``EvidenceRefused``."""
        exchange = self._live(token)
        self._require_owner(exchange, subject)
        limit = self.config.max_document_bytes
        try:
            model = read_signed_elmo(elmo, max_bytes=limit)
            check_pdf(pdf, max_bytes=limit)
            for document in extra:
                if len(document.content) > limit:
                    raise EvidenceRefused(
                        f"the document {document.title[:60]!r} is larger than {limit} bytes"
                    )
        except EvidenceRefused as refused:
            self._update(exchange, state=State.FAILED, detail=str(refused))
            raise
        if not model.reports:
            self._update(exchange, state=State.NO_RESULTS)
            raise EvidenceRefused("the ELMO document carries no results")
        matched = match_subject(
            model.learner,
            exchange.person,
            self.config.identity_policy,
            accept_review=self.config.accept_review,
        )
        if not matched.accepted:
            self._update(exchange, state=State.MISMATCH, detail=reasons_text(matched.reasons))
            raise EvidenceRefused("the ELMO document is about another person than the request")
        documents = [
            Document(elmo, ELMO_MEDIA, "Transcript of records (ELMO, signed)"),
            Document(pdf, PDF_MEDIA, "Transcript of records (PDF)"),
            *extra,
        ]
        wanted = exchange.evidence_type.formats[0] if exchange.evidence_type.formats else None
        parts = arrange(documents, wanted, new_id=self._new_id, cid_domain=self.config.cid_domain)
        expires = self._clock() + self.config.delivery_ttl
        return PreviewSession.of(
            self._update(exchange, state=State.APPROVED, evidence=parts, expires_at=expires)
        )

    def cancel(self, token: str, subject: str | None) -> PreviewSession:
        """The person declined (before logging in, ``subject`` may be None)."""
        exchange = self._live(token)
        self._require_owner(exchange, subject, allow_unbound=True)
        return PreviewSession.of(self._update(exchange, state=State.DECLINED))

    def no_results(self, token: str, subject: str) -> PreviewSession:
        """The SIS holds nothing for the logged-in person (who is then the preview's person)."""
        exchange = self._live(token)
        self._require_owner(exchange, subject, allow_unbound=True)
        return PreviewSession.of(self._update(exchange, subject=subject, state=State.NO_RESULTS))

    def fail(self, token: str, detail: str) -> PreviewSession:
        """The data provider could not produce the evidence (its SIS is down, say)."""
        exchange = self._live(token)
        return PreviewSession.of(self._update(exchange, state=State.FAILED, detail=detail[:500]))

    def _live(self, token: str) -> Exchange:
        exchange = self.store.get(token) if _TOKEN.match(token) else None
        if exchange is None:
            raise PreviewError("this preview link is not known here")
        exchange = self._expire_if_due(exchange, self._clock())
        if exchange.state is State.EXPIRED:
            raise PreviewError("this preview has expired; start again from the requesting service")
        if exchange.state is not State.PREVIEW:
            raise PreviewError("this preview is finished; return to the requesting service")
        return exchange

    def _require_owner(self, exchange: Exchange, subject: str | None, *, allow_unbound: bool = False) -> None:
        if exchange.subject is None and (allow_unbound or subject is None):
            return
        if exchange.subject is None:
            raise PreviewError("log in before agreeing to share the evidence")
        if exchange.subject != subject:
            raise PreviewError("this preview belongs to another person")

    def _update(self, exchange: Exchange, **changes: object) -> Exchange:
        changed = exchange.advanced(**changes)
        if not self.store.update(changed, expected_version=exchange.version):
            raise ExchangeConflict("the preview changed meanwhile (another page got there first); reload it")
        return changed


def _safe_return(url: str, dev_http_hosts: frozenset[str] = frozenset()) -> bool:
    if len(url) > 2000 or any(c in url for c in "\r\n\t \\\"<>`"):
        return False
    parts = urlsplit(url)
    scheme_ok = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in dev_http_hosts)
    return scheme_ok and bool(parts.hostname) and parts.username is None and not parts.fragment
