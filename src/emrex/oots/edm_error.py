"""Error responses: the QueryResponse with one ``rs:Exception`` (preview required, refusals, failures)."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from emrex.oots.check import MAX_EDM_BYTES, parse_edm
from emrex.oots.model import AUTHORIZATION, ERROR_KINDS, Agent, EdmException, ErrorKind, ErrorResponse
from emrex.oots.names import (
    EDM_NSMAP,
    RIM,
    RS,
    SDG,
    SEVERITY_ERROR,
    SEVERITY_PREVIEW,
    STATUS_FAILURE,
    V1,
    V2,
    XSI,
    Q,
)
from emrex.oots.regrep import (
    agent,
    child,
    datetime_slot,
    first_slot_value,
    parse_datetime,
    read_agent,
    serialize,
    slot_elements,
    slot_text,
    slot_value,
    string_slot,
    sub,
    value_text,
)

MAX_DETAIL = 500  # characters of detail an error response carries


def build_error(
    *,
    kind: ErrorKind,
    request_id: str | None,
    response_id: str,
    timestamp: dt.datetime,
    error_provider: Agent,
    requester: Agent,
    detail: str | None = None,
    preview_location: str | None = None,
    preview_description: str | None = None,
    specification: str = V2,
) -> bytes:
    """An EDM error response. ``preview_location`` makes it the preview-required answer (EDM:ERR:0002,
    which must name it); a request too broken to name its id may leave ``request_id`` out only for
    EDM:ERR:0003 (R-EDM-ERR-C025)."""
    if (kind is AUTHORIZATION) != (preview_location is not None):
        raise ValueError("EDM:ERR:0002 and a preview location go together")
    version = V1 if specification == V1 else V2
    root = etree.Element(Q + "QueryResponse", nsmap=EDM_NSMAP)
    if request_id is not None:
        root.set("requestId", request_id)
    root.set("status", STATUS_FAILURE)
    string_slot(root, "SpecificationIdentifier", version)
    string_slot(root, "EvidenceResponseIdentifier", response_id)
    provider = Agent(error_provider.identifier, error_provider.names, error_provider.country, "ERRP")
    agent(slot_value(root, "ErrorProvider", "AnyValueType"), provider)
    agent(
        slot_value(root, "EvidenceRequester", "AnyValueType"),
        Agent(requester.identifier, requester.names),
        with_classification=False,
    )
    exception = sub(root, RS + "Exception")
    exception.set(XSI + "type", kind.type)
    exception.set("message", kind.message)
    exception.set("severity", SEVERITY_PREVIEW[version] if kind is AUTHORIZATION else SEVERITY_ERROR)
    exception.set("code", kind.code)
    if detail:
        exception.set("detail", _one_line(detail)[:MAX_DETAIL])
    datetime_slot(exception, "Timestamp", timestamp)
    if preview_location is not None:
        string_slot(exception, "PreviewLocation", preview_location)
    if preview_description:
        value = slot_value(exception, "PreviewDescription", "InternationalStringValueType")
        localized = sub(sub(value, RIM + "Value"), RIM + "LocalizedString", value=preview_description)
        localized.set("{http://www.w3.org/XML/1998/namespace}lang", "EN")
    return serialize(root)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def read_error(data: bytes, *, max_bytes: int = MAX_EDM_BYTES) -> ErrorResponse:
    return error_from_tree(parse_edm(data, max_bytes=max_bytes))


def error_from_tree(root: etree._Element) -> ErrorResponse:
    providers = slot_elements(root, "ErrorProvider", SDG + "Agent")
    requesters = slot_elements(root, "EvidenceRequester", SDG + "Agent")
    exception = child(root, RS + "Exception")
    declared_type = exception.get(XSI + "type") if exception is not None else None
    declared_code = exception.get("code") if exception is not None else None
    read: EdmException | None = None
    if exception is not None:
        kind = next((k for k in ERROR_KINDS if k.type == declared_type), None) or next(
            (k for k in ERROR_KINDS if k.code == declared_code), None
        )
        if kind is not None:
            description = first_slot_value(exception, "PreviewDescription")
            read = EdmException(
                kind=kind,
                severity=exception.get("severity") or "",
                detail=exception.get("detail"),
                timestamp=parse_datetime(slot_text(exception, "Timestamp")),
                preview_location=slot_text(exception, "PreviewLocation"),
                preview_description=value_text(description),
            )
    return ErrorResponse(
        request_id=root.get("requestId"),
        response_id=slot_text(root, "EvidenceResponseIdentifier"),
        specification=slot_text(root, "SpecificationIdentifier"),
        error_provider=read_agent(providers[0]) if providers else None,
        requester=read_agent(requesters[0]) if requesters else None,
        exception=read,
        declared_type=declared_type,
        declared_code=declared_code,
    )
