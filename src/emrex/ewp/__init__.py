"""Erasmus Without Paper: transcripts of records between institutions, server to server.

Serving (the receiving institution): ``ToRsApi`` over an ``IncomingMobilities`` source and a
``TranscriptSource``, ``echo``, ``manifest_xml``, all behind ``EwpServer`` with a ``RequestVerifier``
(HTTP Signature client authentication against the registry catalogue). The HTTP routes are in
``emrex.ewp.routes``, which this package never imports. Fetching (the sending institution):
``EwpClient``. HTTP Signatures follow draft-cavage-http-signatures-07 as EWP profiles it.
"""

from __future__ import annotations

from emrex.ewp.client import EchoReply, EwpClient, FetchedTor, partner_emp_certificates
from emrex.ewp.echo import echo
from emrex.ewp.errors import (
    BadParameters,
    BadSignatureRequest,
    EwpError,
    MethodNotAllowed,
    NotSigned,
    PartnerError,
    ReplayCacheFull,
    ReplayedRequest,
    RequestTooLarge,
    ResponseNotTrusted,
    SchemaUnavailable,
    TranscriptUnavailable,
    UnknownClientKey,
    UnsupportedMediaType,
)
from emrex.ewp.httpsig import SigningKey, key_id
from emrex.ewp.manifest import EmrexEntry, Institution, ManifestHost, manifest_xml
from emrex.ewp.mobility import (
    IncomingMobilities,
    IncomingMobility,
    MemoryMobilities,
    Student,
    TranscriptSource,
)
from emrex.ewp.replay import MemoryReplayCache, ReplayCache
from emrex.ewp.request_auth import (
    Caller,
    ClientKeys,
    HttpRequest,
    RequestVerifier,
    SignedRequest,
    sign_request,
)
from emrex.ewp.response_auth import VerifiedResponse, sign_response, verify_response, wants_signature
from emrex.ewp.server import EwpResponse, EwpServer
from emrex.ewp.tors import ToRsApi

__all__ = [
    "BadParameters",
    "BadSignatureRequest",
    "Caller",
    "ClientKeys",
    "EchoReply",
    "EmrexEntry",
    "EwpClient",
    "EwpError",
    "EwpResponse",
    "EwpServer",
    "FetchedTor",
    "HttpRequest",
    "IncomingMobilities",
    "IncomingMobility",
    "Institution",
    "ManifestHost",
    "MemoryMobilities",
    "MemoryReplayCache",
    "MethodNotAllowed",
    "NotSigned",
    "PartnerError",
    "ReplayCache",
    "ReplayCacheFull",
    "ReplayedRequest",
    "RequestTooLarge",
    "RequestVerifier",
    "ResponseNotTrusted",
    "SchemaUnavailable",
    "SignedRequest",
    "SigningKey",
    "Student",
    "ToRsApi",
    "TranscriptSource",
    "TranscriptUnavailable",
    "UnknownClientKey",
    "UnsupportedMediaType",
    "VerifiedResponse",
    "echo",
    "key_id",
    "manifest_xml",
    "partner_emp_certificates",
    "sign_request",
    "sign_response",
    "verify_response",
    "wants_signature",
]
