"""Why an EWP exchange was refused: each error knows the HTTP status the EWP specifications ask for."""

from __future__ import annotations

from typing import ClassVar

from emrex.errors import EmrexError


class EwpError(EmrexError):
    """Something in an EWP exchange was refused (catch this to catch every reason)."""

    status: ClassVar[int] = 400


class NotSigned(EwpError):
    """The request does not use HTTP Signature authentication as EWP requires (401, WWW-Authenticate)."""

    status = 401


class BadSignatureRequest(EwpError):
    """The signature, its parameters, a date, the digest or the request id is wrong (400)."""


class UnknownClientKey(EwpError):
    """The request is signed with a key the EWP registry does not list as a client key (403)."""

    status = 403


class ReplayedRequest(BadSignatureRequest):
    """The same request id was seen before within the date window (400)."""


class ReplayCacheFull(EwpError):
    """The replay cache holds as many unexpired request ids as it may; the request is refused (503)."""

    status = 503


class RequestTooLarge(EwpError):
    """The request body exceeds the limit; nothing of it was read further (413)."""

    status = 413


class MethodNotAllowed(EwpError):
    """EWP endpoints take GET and POST only (405)."""

    status = 405


class UnsupportedMediaType(EwpError):
    """A POST whose body is not application/x-www-form-urlencoded (415)."""

    status = 415


class BadParameters(EwpError):
    """The API's parameters are missing, repeated where they may not be, malformed or too many (400)."""


class TranscriptUnavailable(EwpError):
    """Our own transcript for a mobility could not be built or is unfit for EWP (500)."""

    status = 500


class ResponseNotTrusted(EwpError):
    """A partner's response is not signed as asked, or its signature, key, date or digest is wrong."""


class PartnerError(EwpError):
    """A partner cannot be called (not in the registry, unreachable) or answered with an error."""

    def __init__(self, message: str, *, status: int | None = None, developer_message: str = "") -> None:
        super().__init__(message)
        self.http_status = status
        self.developer_message = developer_message


class SchemaUnavailable(EwpError):
    """An EWP XSD or one it imports is not in the local folders (schemas are never fetched)."""
