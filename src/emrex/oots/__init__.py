"""OOTS: an EMREX data provider as an evidence provider of the EU Once-Only Technical System.

The core (no web framework, no database): EDM messages read, checked against the EDM rules by their
ids and written; ebMS3 headers; AS4 multipart messages; the Domibus WS-plugin envelopes; the evidence
provider's state machine over an ``ExchangeStore``. Not imported here: ``emrex.oots.access_point``
serves a simulated access point as an ASGI app; ``emrex.oots.tables`` keeps exchanges in the database.
"""

from __future__ import annotations

from emrex.oots.backend import ProviderBackend, WsClient, WsPlugin, answer_message
from emrex.oots.check import CheckResult, Kind, check_message, check_tree
from emrex.oots.ebms import PartInfo, Party, UserMessage, read_messaging, reply
from emrex.oots.edm_error import build_error, read_error
from emrex.oots.errors import (
    AccessPointError,
    EbmsError,
    EdmUnreadable,
    EvidenceRefused,
    ExchangeConflict,
    OotsError,
    PreviewError,
)
from emrex.oots.evidence import Document
from emrex.oots.exchange import Exchange, ExchangeStore, MemoryExchangeStore, State
from emrex.oots.identity import SubjectMatch, local_person, match_subject
from emrex.oots.mime import MimeLimits, Part, build_as4, parse_as4
from emrex.oots.model import (
    Agent,
    EdmException,
    ErrorKind,
    ErrorResponse,
    EvidencePart,
    EvidenceType,
    Identifier,
    NaturalPerson,
    QueryRequest,
    QueryResponse,
    Requirement,
    Role,
    Text,
)
from emrex.oots.network import Network
from emrex.oots.provider import Answer, EvidenceProvider, PreviewSession, ProviderConfig
from emrex.oots.request import RequestReading, build_request, read_request
from emrex.oots.requester import EvidenceRequester, Received
from emrex.oots.response import build_response, read_response
from emrex.oots.rules import Violation

__all__ = [
    "AccessPointError",
    "Agent",
    "Answer",
    "CheckResult",
    "Document",
    "EbmsError",
    "EdmException",
    "EdmUnreadable",
    "ErrorKind",
    "ErrorResponse",
    "EvidencePart",
    "EvidenceProvider",
    "EvidenceRefused",
    "EvidenceRequester",
    "EvidenceType",
    "Exchange",
    "ExchangeConflict",
    "ExchangeStore",
    "Identifier",
    "Kind",
    "MemoryExchangeStore",
    "MimeLimits",
    "NaturalPerson",
    "Network",
    "OotsError",
    "Part",
    "PartInfo",
    "Party",
    "PreviewError",
    "PreviewSession",
    "ProviderBackend",
    "ProviderConfig",
    "QueryRequest",
    "QueryResponse",
    "Received",
    "RequestReading",
    "Requirement",
    "Role",
    "State",
    "SubjectMatch",
    "Text",
    "UserMessage",
    "Violation",
    "WsClient",
    "WsPlugin",
    "answer_message",
    "build_as4",
    "build_error",
    "build_request",
    "build_response",
    "check_message",
    "check_tree",
    "local_person",
    "match_subject",
    "parse_as4",
    "read_error",
    "read_messaging",
    "read_request",
    "read_response",
    "reply",
]
