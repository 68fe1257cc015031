"""Reading an evidence request into the model (with its check), and writing one (for requesters)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lxml import etree

from emrex.oots.check import MAX_EDM_BYTES, CheckResult, Kind, check_tree, parse_edm
from emrex.oots.model import EvidenceType, QueryRequest, Requirement
from emrex.oots.names import (
    EDM_NSMAP,
    QUERY_DEFINITION,
    QUERY_NS,
    RETURN_TYPE,
    RIM,
    SDG,
    V1,
    V2,
    Q,
)
from emrex.oots.regrep import (
    agent,
    boolean_slot,
    child,
    children,
    collection_element,
    collection_slot,
    datetime_slot,
    first_slot_value,
    parse_datetime,
    person,
    read_agent,
    read_person,
    serialize,
    slot_boolean,
    slot_elements,
    slot_text,
    slot_value,
    string_slot,
    sub,
    text,
    text_of,
    texts,
)
from emrex.xml import localname, namespace


@dataclass(frozen=True)
class RequestReading:
    """A request as read: the model (None when the document is no QueryRequest) and what is broken."""

    request: QueryRequest | None
    check: CheckResult


def read_request(data: bytes, *, max_bytes: int = MAX_EDM_BYTES) -> RequestReading:
    """Read and check a QueryRequest; ``EdmUnreadable`` only when the bytes are not safe XML."""
    root = parse_edm(data, max_bytes=max_bytes)
    check = check_tree(root, Kind.REQUEST)
    if localname(root) != "QueryRequest" or namespace(root) != QUERY_NS:
        return RequestReading(None, check)
    return RequestReading(request_from_tree(root), check)


def request_from_tree(root: etree._Element) -> QueryRequest:
    query = child(root, Q + "Query")
    requirements = tuple(
        Requirement(text_of(r, SDG + "Identifier") or "", texts(r, "Name"), texts(r, "Description"))
        for r in slot_elements(root, "Requirements", SDG + "Requirement")
    )
    providers = slot_elements(root, "EvidenceProvider", SDG + "Agent")
    people = slot_elements(query, "NaturalPerson", SDG + "Person") if query is not None else []
    described = (
        slot_elements(query, "EvidenceRequest", SDG + "DataServiceEvidenceType") if query is not None else []
    )
    return QueryRequest(
        id=(root.get("id") or "").strip(),
        specification=slot_text(root, "SpecificationIdentifier") or "",
        issued=parse_datetime(slot_text(root, "IssueDateTime")),
        procedure=slot_text(root, "Procedure"),
        possibility_for_preview=slot_boolean(root, "PossibilityForPreview"),
        explicit_request_given=slot_boolean(root, "ExplicitRequestGiven"),
        preview_location=slot_text(root, "PreviewLocation"),
        return_location=slot_text(root, "ReturnLocation"),
        requirements=requirements,
        requesters=tuple(read_agent(a) for a in slot_elements(root, "EvidenceRequester", SDG + "Agent")),
        provider=read_agent(providers[0]) if providers else None,
        evidence_type=_evidence_type(described[0]) if described else None,
        person=read_person(people[0]) if people else None,
        about_legal_person=query is not None and first_slot_value(query, "LegalPerson") is not None,
    )


def _evidence_type(element: etree._Element) -> EvidenceType:
    distributions = list(children(element, SDG + "DistributedAs"))
    return EvidenceType(
        identifier=text_of(element, SDG + "Identifier") or "",
        classification=text_of(element, SDG + "EvidenceTypeClassification") or "",
        titles=texts(element, "Title"),
        descriptions=texts(element, "Description"),
        formats=tuple(f for d in distributions if (f := text_of(d, SDG + "Format"))),
        language=text_of(distributions[0], SDG + "Language") if distributions else None,
    )


def build_request(request: QueryRequest) -> bytes:
    """The QueryRequest document for ``request`` in its ``specification`` line (2.0, or 1.0 for tests
    of old peers), in the shape and order of the reference messages."""
    if request.issued is None or request.provider is None or request.evidence_type is None:
        raise ValueError("a request needs its issue time, evidence provider and evidence type")
    if request.person is None:
        raise ValueError("a request needs the natural person it is about")
    v1 = request.specification == V1
    root = etree.Element(Q + "QueryRequest", nsmap=EDM_NSMAP)
    root.set("id", request.id)
    string_slot(root, "SpecificationIdentifier", V1 if v1 else V2)
    datetime_slot(root, "IssueDateTime", request.issued)
    if request.procedure is not None:
        if v1:
            value = slot_value(root, "Procedure", "InternationalStringValueType")
            sub(sub(value, RIM + "Value"), RIM + "LocalizedString", value=request.procedure)
        else:
            string_slot(root, "Procedure", request.procedure)
    if request.possibility_for_preview is not None:
        boolean_slot(root, "PossibilityForPreview", request.possibility_for_preview)
    if request.explicit_request_given is not None:
        boolean_slot(root, "ExplicitRequestGiven", request.explicit_request_given)
    if request.requirements:
        collection = collection_slot(root, "Requirements")
        for requirement in request.requirements:
            written = sub(collection_element(collection), SDG + "Requirement")
            sub(written, SDG + "Identifier", requirement.identifier)
            for name in requirement.names:
                text(written, "Name", name)
            for description in requirement.descriptions:
                text(written, "Description", description)
    if request.requesters:
        collection = collection_slot(root, "EvidenceRequester")
        for requester in request.requesters:
            agent(collection_element(collection), requester)
    agent(slot_value(root, "EvidenceProvider", "AnyValueType"), request.provider)
    if request.preview_location:
        string_slot(root, "PreviewLocation", request.preview_location)
    if request.return_location and not v1:
        string_slot(root, "ReturnLocation", request.return_location)
    sub(root, Q + "ResponseOption", returnType=RETURN_TYPE)
    query = sub(root, Q + "Query", queryDefinition=QUERY_DEFINITION)
    person(
        slot_value(query, "NaturalPerson", "AnyValueType"), "Person", request.person, level_of_assurance=True
    )
    _write_evidence_type(slot_value(query, "EvidenceRequest", "AnyValueType"), request.evidence_type)
    return serialize(root)


def _write_evidence_type(parent: etree._Element, value: EvidenceType) -> None:
    element = sub(parent, SDG + "DataServiceEvidenceType")
    sub(element, SDG + "Identifier", value.identifier)
    sub(element, SDG + "EvidenceTypeClassification", value.classification)
    for title in value.titles:
        text(element, "Title", title)
    for description in value.descriptions:
        text(element, "Description", description)
    if value.formats:
        distribution = sub(element, SDG + "DistributedAs")
        sub(distribution, SDG + "Format", value.formats[0])
        if value.language:
            sub(distribution, SDG + "Language", value.language)


def new_request_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"
