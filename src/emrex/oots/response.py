"""Evidence responses: the QueryResponse listing the evidence documents, which travel as MIME parts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from lxml import etree

from emrex.oots.check import MAX_EDM_BYTES, parse_edm
from emrex.oots.model import (
    Agent,
    EvidencePart,
    EvidenceType,
    NaturalPerson,
    QueryResponse,
    ResponseDocument,
    Role,
)
from emrex.oots.names import (
    ASSOCIATION_TYPE,
    EDM_NSMAP,
    EDM_SCHEME,
    RIM,
    SDG,
    STATUS_SUCCESS,
    V1,
    V2,
    XLINK,
    XSI,
    Q,
)
from emrex.oots.regrep import (
    agent,
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
    slot_elements,
    slot_text,
    slot_value,
    string_slot,
    sub,
    text,
    text_of,
)

NewId = Callable[[], str]


def new_uuid() -> str:
    return str(uuid.uuid4())


def build_response(
    *,
    request_id: str,
    response_id: str,
    issued: dt.datetime,
    provider: Agent,
    requester: Agent,
    subject: NaturalPerson,
    evidence_type: EvidenceType,
    parts: Sequence[EvidencePart],
    issuing_date: dt.date,
    new_id: NewId = new_uuid,
    specification: str = V2,
) -> bytes:
    """The EDM 2.0 evidence response: one package holding the main evidence and the documents that
    go with it (human-readable version, annexes), each pointing at its MIME part by ``cid:``.

    For an EDM 1.0 requester the response has the 1.0 shape: the main evidence alone in the flat list
    (1.0 knew neither packages nor supplementary documents)."""
    mains = [p for p in parts if p.role is Role.MAIN]
    if len(mains) != 1:
        raise ValueError("an evidence response needs exactly one main evidence")
    root = etree.Element(Q + "QueryResponse", nsmap=EDM_NSMAP)
    root.set("status", STATUS_SUCCESS)
    root.set("requestId", request_id)
    v1 = specification == V1
    string_slot(root, "SpecificationIdentifier", V1 if v1 else V2)
    string_slot(root, "EvidenceResponseIdentifier", response_id)
    datetime_slot(root, "IssueDateTime", issued)
    provider_agent = Agent(provider.identifier, provider.names, provider.country, "EP")
    agent(collection_element(collection_slot(root, "EvidenceProvider")), provider_agent)
    requester_agent = Agent(requester.identifier, requester.names)
    agent(slot_value(root, "EvidenceRequester", "AnyValueType"), requester_agent, with_classification=False)
    listed = sub(root, RIM + "RegistryObjectList")
    if v1:
        _document(
            listed, mains[0], f"urn:uuid:{new_id()}", new_id, provider, subject, evidence_type, issuing_date
        )
        return serialize(root)
    package = _object(listed, "rim:RegistryPackageType", new_id())
    documents = sub(package, RIM + "RegistryObjectList")
    main_id = f"urn:uuid:{new_id()}"
    _document(documents, mains[0], main_id, new_id, provider, subject, evidence_type, issuing_date)
    for part in parts:
        if part.role is Role.MAIN:
            continue
        part_id = f"urn:uuid:{new_id()}"
        _document(documents, part, part_id, new_id, provider, subject, evidence_type, issuing_date)
        association = _object(documents, "rim:AssociationType", new_id())
        association.set("type", ASSOCIATION_TYPE + part.role.value)
        association.set("sourceObject", part_id)
        association.set("targetObject", main_id)
    return serialize(root)


def _object(parent: etree._Element, xsi_type: str, identifier: str) -> etree._Element:
    element = etree.SubElement(parent, RIM + "RegistryObject")
    element.set(XSI + "type", xsi_type)
    element.set("id", identifier if identifier.startswith("urn:uuid:") else f"urn:uuid:{identifier}")
    return element


def _document(
    parent: etree._Element,
    part: EvidencePart,
    object_id: str,
    new_id: NewId,
    provider: Agent,
    subject: NaturalPerson,
    evidence_type: EvidenceType,
    issuing_date: dt.date,
) -> None:
    document = _object(parent, "rim:ExtrinsicObjectType", object_id)
    evidence = sub(slot_value(document, "EvidenceMetadata", "AnyValueType"), SDG + "Evidence")
    sub(evidence, SDG + "Identifier", part.identifier)
    if part.role is Role.MAIN:
        about = sub(evidence, SDG + "IsAbout")
        echoed = NaturalPerson(
            subject.family_name, subject.given_name, subject.date_of_birth, subject.identifier, "eidas"
        )
        person(about, "NaturalPerson", echoed, level_of_assurance=False)
        authority = sub(evidence, SDG + "IssuingAuthority")
        identifier = sub(authority, SDG + "Identifier", provider.identifier.value)
        if provider.identifier.scheme:
            identifier.set("schemeID", provider.identifier.scheme)
        for name in provider.names:
            text(authority, "Name", name)
        conformant = sub(evidence, SDG + "IsConformantTo")
        sub(conformant, SDG + "EvidenceTypeClassification", evidence_type.classification)
        for title in evidence_type.titles:
            text(conformant, "Title", title)
        sub(evidence, SDG + "IssuingDate", issuing_date.isoformat())
    sub(sub(evidence, SDG + "Distribution"), SDG + "Format", part.media_type)
    classification = sub(document, RIM + "Classification", id=f"urn:uuid:{new_id()}")
    classification.set("classificationScheme", EDM_SCHEME)
    classification.set("classificationNode", part.role.value)
    reference = sub(document, RIM + "RepositoryItemRef")
    reference.set(XLINK + "href", f"cid:{part.cid}")
    reference.set(XLINK + "title", part.title)


def read_response(data: bytes, *, max_bytes: int = MAX_EDM_BYTES) -> QueryResponse:
    """The documents an evidence response lists (EDM 2.0 packages, or the flat list of 1.x)."""
    return response_from_tree(parse_edm(data, max_bytes=max_bytes))


def response_from_tree(root: etree._Element) -> QueryResponse:
    providers = slot_elements(root, "EvidenceProvider", SDG + "Agent")
    provider = next((a for a in providers if (a.findtext(SDG + "Classification") or "") == "EP"), None)
    requesters = slot_elements(root, "EvidenceRequester", SDG + "Agent")
    documents: list[ResponseDocument] = []
    listed = child(root, RIM + "RegistryObjectList")
    for item in children(listed, RIM + "RegistryObject") if listed is not None else ():
        nested = child(item, RIM + "RegistryObjectList")
        for document in children(nested, RIM + "RegistryObject") if nested is not None else [item]:
            if document.get(XSI + "type") != "rim:AssociationType":
                documents.append(_read_document(document))
    return QueryResponse(
        request_id=root.get("requestId"),
        response_id=slot_text(root, "EvidenceResponseIdentifier"),
        specification=slot_text(root, "SpecificationIdentifier"),
        status=root.get("status"),
        provider=read_agent(provider if provider is not None else providers[0]) if providers else None,
        requester=read_agent(requesters[0]) if requesters else None,
        documents=tuple(documents),
        issued=parse_datetime(slot_text(root, "IssueDateTime")),
    )


def _read_document(document: etree._Element) -> ResponseDocument:
    value = first_slot_value(document, "EvidenceMetadata")
    evidence = child(value, SDG + "Evidence")
    classification = child(document, RIM + "Classification")
    reference = child(document, RIM + "RepositoryItemRef")
    about = child(child(evidence, SDG + "IsAbout"), SDG + "NaturalPerson")
    distributions = list(children(evidence, SDG + "Distribution")) if evidence is not None else []
    return ResponseDocument(
        object_id=document.get("id") or "",
        role=classification.get("classificationNode") if classification is not None else None,
        href=reference.get(XLINK + "href") if reference is not None else None,
        title=reference.get(XLINK + "title") if reference is not None else None,
        formats=tuple(f for d in distributions if (f := text_of(d, SDG + "Format"))),
        evidence_identifier=text_of(evidence, SDG + "Identifier"),
        subject=read_person(about) if about is not None else None,
    )
