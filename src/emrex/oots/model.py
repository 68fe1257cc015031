"""The typed model of EDM messages: requests, evidence responses, error responses and their parts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Text:
    """A text in a language (``lang`` as the EDM writes it: ``EN``, ``FR``)."""

    text: str
    lang: str = "EN"


@dataclass(frozen=True)
class Identifier:
    value: str
    scheme: str | None = None  # the schemeID attribute


@dataclass(frozen=True)
class Agent:
    """An ``sdg:Agent``: evidence requester (ER), intermediary (IP), provider (EP), error provider (ERRP)."""

    identifier: Identifier
    names: tuple[Text, ...] = ()
    country: str | None = None  # sdg:Address/sdg:AdminUnitLevel1
    classification: str | None = None

    @property
    def name(self) -> str:
        return self.names[0].text if self.names else self.identifier.value

    def same_party(self, other: Agent) -> bool:
        return (self.identifier.value.strip(), self.identifier.scheme) == (
            other.identifier.value.strip(),
            other.identifier.scheme,
        )


@dataclass(frozen=True)
class NaturalPerson:
    """The evidence subject of a request (``sdg:Person``) or of a response (``sdg:NaturalPerson``)."""

    family_name: str
    given_name: str
    date_of_birth: dt.date | None = None
    identifier: str | None = None  # the eIDAS identifier: CC/CC/value
    identifier_scheme: str | None = None
    level_of_assurance: str | None = None


@dataclass(frozen=True)
class Requirement:
    identifier: str
    names: tuple[Text, ...] = ()
    descriptions: tuple[Text, ...] = ()


@dataclass(frozen=True)
class EvidenceType:
    """An ``sdg:DataServiceEvidenceType``: what is asked for, or what a provider offers."""

    identifier: str
    classification: str
    titles: tuple[Text, ...] = ()
    descriptions: tuple[Text, ...] = ()
    formats: tuple[str, ...] = ()  # sdg:DistributedAs/sdg:Format
    language: str | None = None  # sdg:DistributedAs/sdg:Language

    @property
    def title(self) -> str:
        return self.titles[0].text if self.titles else self.identifier


@dataclass(frozen=True)
class QueryRequest:
    """An evidence request as read (leniently: what is missing is None; the checker says what is wrong)."""

    id: str
    specification: str
    issued: dt.datetime | None = None
    procedure: str | None = None
    possibility_for_preview: bool | None = None
    explicit_request_given: bool | None = None
    preview_location: str | None = None
    return_location: str | None = None
    requirements: tuple[Requirement, ...] = ()
    requesters: tuple[Agent, ...] = ()
    provider: Agent | None = None
    evidence_type: EvidenceType | None = None
    person: NaturalPerson | None = None
    about_legal_person: bool = False

    @property
    def requester(self) -> Agent | None:
        """The evidence requester (classified ER; else the first agent of the slot)."""
        for agent in self.requesters:
            if agent.classification == "ER":
                return agent
        return self.requesters[0] if self.requesters else None


class Role(StrEnum):
    """How a document of an evidence response relates to the main evidence (the EDM classification)."""

    MAIN = "MainEvidence"
    HUMAN_READABLE = "HumanReadableVersion"
    ANNEX = "Annex"
    TRANSLATION = "Translation"


@dataclass(frozen=True)
class EvidencePart:
    """One document the provider sends: its bytes, media type and role; ``cid`` names its MIME part."""

    content: bytes = field(repr=False)
    media_type: str
    role: Role
    title: str
    cid: str
    identifier: str  # sdg:Evidence/sdg:Identifier (a UUID)


@dataclass(frozen=True)
class ResponseDocument:
    """A document listed in a received evidence response (without its bytes, which travel as parts)."""

    object_id: str
    role: str | None
    href: str | None
    title: str | None
    formats: tuple[str, ...] = ()
    evidence_identifier: str | None = None
    subject: NaturalPerson | None = None


@dataclass(frozen=True)
class QueryResponse:
    request_id: str | None
    response_id: str | None
    specification: str | None
    status: str | None
    provider: Agent | None
    requester: Agent | None
    documents: tuple[ResponseDocument, ...] = ()
    issued: dt.datetime | None = None


@dataclass(frozen=True)
class ErrorKind:
    """One row of the EDMErrorCodes code list: code, exception type and the message it fixes."""

    code: str
    type: str
    message: str


AUTHENTICATION = ErrorKind("EDM:ERR:0001", "rs:AuthenticationExceptionType", "Failed Authentication")
AUTHORIZATION = ErrorKind("EDM:ERR:0002", "rs:AuthorizationExceptionType", "Missing Authorization")
INVALID_REQUEST = ErrorKind(
    "EDM:ERR:0003", "rs:InvalidRequestExceptionType", "Syntactically or semantically invalid request"
)
OBJECT_NOT_FOUND = ErrorKind("EDM:ERR:0004", "rs:ObjectNotFoundExceptionType", "Object not found")
TIMEOUT = ErrorKind("EDM:ERR:0005", "rs:TimeoutExceptionType", "Exceeding timeout period")
UNRESOLVED_REFERENCE = ErrorKind(
    "EDM:ERR:0006", "rs:UnresolvedReferenceExceptionType", "Referenced object that cannot be resolved"
)
UNSUPPORTED_CAPABILITY = ErrorKind(
    "EDM:ERR:0007", "rs:UnsupportedCapabilityExceptionType", "Optional feature or capability is not supported"
)
QUERY_EXCEPTION = ErrorKind(
    "EDM:ERR:0008", "query:QueryExceptionType", "Invalid query syntax or semantics that must be corrected"
)
ERROR_KINDS = (
    AUTHENTICATION,
    AUTHORIZATION,
    INVALID_REQUEST,
    OBJECT_NOT_FOUND,
    TIMEOUT,
    UNRESOLVED_REFERENCE,
    UNSUPPORTED_CAPABILITY,
    QUERY_EXCEPTION,
)


@dataclass(frozen=True)
class EdmException:
    """The ``rs:Exception`` of an error response."""

    kind: ErrorKind
    severity: str
    detail: str | None = None
    timestamp: dt.datetime | None = None
    preview_location: str | None = None
    preview_description: str | None = None

    @property
    def code(self) -> str:
        return self.kind.code


@dataclass(frozen=True)
class ErrorResponse:
    request_id: str | None
    response_id: str | None
    specification: str | None
    error_provider: Agent | None
    requester: Agent | None
    exception: EdmException | None
    declared_type: str | None = None  # the xsi:type as written
    declared_code: str | None = None
