"""The EDM rules of an evidence request (``query:QueryRequest``), EDM 2.0 and 1.0."""

from __future__ import annotations

from lxml import etree

from emrex.oots.names import (
    LEVELS_OF_ASSURANCE,
    PROCEDURES_V1,
    PROCEDURES_V2,
    QUERY_DEFINITION,
    QUERY_NS,
    RETURN_TYPE,
    RIM,
    SDG,
    V1,
    V2,
    Q,
)
from emrex.oots.regrep import child, children, slots, value_text, xsi_type
from emrex.oots.rules import (
    CLASSIFICATION_V1,
    CLASSIFICATION_V2,
    DATE,
    DATE_TIME,
    EIDAS_V1,
    EIDAS_V2,
    URN_UUID,
    UUID,
    Findings,
)
from emrex.xml import localname, namespace

Element = etree._Element

# Slots of query:QueryRequest: (xsi:type of the slot value, the rule typing it); R-EDM-REQ-S019 closes
# the list on these names.
_REQUEST_SLOTS = {
    "SpecificationIdentifier": ("StringValueType", "R-EDM-REQ-S020"),
    "IssueDateTime": ("DateTimeValueType", "R-EDM-REQ-S021"),
    "Procedure": ("StringValueType", "R-EDM-REQ-S022"),
    "PreviewLocation": ("StringValueType", "R-EDM-REQ-S023"),
    "PossibilityForPreview": ("BooleanValueType", "R-EDM-REQ-S024"),
    "ExplicitRequestGiven": ("BooleanValueType", "R-EDM-REQ-S025"),
    "Requirements": ("CollectionValueType", "R-EDM-REQ-S026"),
    "EvidenceRequester": ("CollectionValueType", "R-EDM-REQ-S028"),
    "EvidenceProvider": ("AnyValueType", "R-EDM-REQ-S030"),
    "EvidenceProviderClassification": ("CollectionValueType", "R-EDM-REQ-S031"),
    "ReturnLocation": ("StringValueType", "R-EDM-REQ-S061"),
}
# EDM 1.0 wrote the procedure as an international string and had no ReturnLocation.
_REQUEST_SLOTS_V1 = {
    **{k: v for k, v in _REQUEST_SLOTS.items() if k != "ReturnLocation"},
    "Procedure": ("InternationalStringValueType", "R-EDM-REQ-S022"),
}
_COLLECTION_ELEMENTS = {
    "Requirements": "R-EDM-REQ-S027",
    "EvidenceRequester": "R-EDM-REQ-S029",
    "EvidenceProviderClassification": "R-EDM-REQ-S032",
}
# Slots of query:Query: (the rule typing it AnyValueType, the sdg element it carries, that rule).
_QUERY_SLOTS = {
    "EvidenceRequest": ("R-EDM-REQ-S033", "DataServiceEvidenceType", "R-EDM-REQ-S044"),
    "LegalPerson": ("R-EDM-REQ-S034", "LegalPerson", "R-EDM-REQ-S047"),
    "NaturalPerson": ("R-EDM-REQ-S035", "Person", "R-EDM-REQ-S046"),
    "AuthorizedRepresentative": ("R-EDM-REQ-S036", "Person", "R-EDM-REQ-S048"),
    "AuthorizedRepresentativeLegalPerson": ("R-EDM-REQ-S055", "LegalPerson", "R-EDM-REQ-S056"),
}
_EVIDENCE_TYPE_CHILDREN = (
    "Identifier",
    "EvidenceTypeClassification",
    "Title",
    "Description",
    "DistributedAs",
)
# Slots a request must carry once: rule, and whether the rule is a SHOULD (reported as a warning).
_REQUIRED = {
    "SpecificationIdentifier": ("R-EDM-REQ-S005", False),
    "IssueDateTime": ("R-EDM-REQ-S006", False),
    "Procedure": ("R-EDM-REQ-S007", False),
    "PossibilityForPreview": ("R-EDM-REQ-S009", False),
    "ExplicitRequestGiven": ("R-EDM-REQ-S010", False),
    "Requirements": ("R-EDM-REQ-S011", True),
    "EvidenceRequester": ("R-EDM-REQ-S012", False),
    "EvidenceProvider": ("R-EDM-REQ-S013", False),
}


def check_request(root: Element, version: str) -> Findings:
    found = Findings()
    if localname(root) != "QueryRequest":
        found.add(
            "R-EDM-REQ-S001", f"the root element must be query:QueryRequest, not {localname(root)}", root
        )
        return found
    if namespace(root) != QUERY_NS:
        found.add("R-EDM-REQ-S002", f"the root element must be in the namespace {QUERY_NS}", root)
        return found
    _envelope(found, root, version)
    _request_slots(found, root, version)
    query = child(root, Q + "Query")
    if query is None:
        found.add("R-EDM-REQ-S015", "the query:Query with the EvidenceRequest slot is missing", root)
    else:
        _query(found, query, version)
    if version == V2:
        _slot_values(found, root)
    return found


def _envelope(found: Findings, root: Element, version: str) -> None:
    if not URN_UUID.match((root.get("id") or "").strip()):
        found.add(
            "R-EDM-REQ-S004", "the id of the QueryRequest must be a UUID with the prefix urn:uuid:", root
        )
    expected = V2 if version == V2 else V1
    for value in _slot_values_of(root, "SpecificationIdentifier"):
        if value_text(value) != expected:
            found.add("R-EDM-REQ-C001", f"the SpecificationIdentifier must be {expected}", value)
    for value in _slot_values_of(root, "IssueDateTime"):
        if not DATE_TIME.search(value_text(value) or ""):
            found.add("R-EDM-REQ-C002", "the IssueDateTime must be an xsd:dateTime", value)
    codes = PROCEDURES_V2 if version == V2 else PROCEDURES_V1
    for value in _slot_values_of(root, "Procedure"):
        code = value_text(value) or ""
        if code not in codes:
            found.add(
                "R-EDM-REQ-C003", f"the Procedure {code[:40]!r} is not a code of the Procedures list", value
            )
    for value in _slot_values_of(root, "PreviewLocation"):
        if not (value_text(value) or "").startswith("https://"):
            found.add("R-EDM-REQ-C005", "the PreviewLocation must be a URI starting with https://", value)
    option = child(root, Q + "ResponseOption")
    if option is not None and option.get("returnType") != RETURN_TYPE:
        found.add("R-EDM-REQ-C024", f"the returnType of the ResponseOption must be {RETURN_TYPE}", option)
    query = child(root, Q + "Query")
    if query is not None and query.get("queryDefinition") != QUERY_DEFINITION:
        found.add("R-EDM-REQ-C025", f"the queryDefinition of the Query must be {QUERY_DEFINITION}", query)


def _request_slots(found: Findings, root: Element, version: str) -> None:
    present = slots(root)
    for name, (rule, should) in _REQUIRED.items():
        soft = should or (name == "Procedure" and version != V2)
        found.count(rule, len(present.get(name, [])), f"the slot {name}", root, warning=soft)
    typed = _REQUEST_SLOTS if version == V2 else _REQUEST_SLOTS_V1
    for name, occurrences in present.items():
        if name not in typed:
            found.add(
                "R-EDM-REQ-S019", f"the slot {name[:60]!r} is not allowed in a QueryRequest", occurrences[0]
            )
            continue
        expected, rule = typed[name]
        for slot in occurrences:
            _typed(found, slot, expected, rule, name)
            element_rule = _COLLECTION_ELEMENTS.get(name)
            if element_rule is None:
                continue
            for value in children(slot, RIM + "SlotValue"):
                for element in children(value, RIM + "Element"):
                    if xsi_type(element) != "AnyValueType":
                        found.add(element_rule, f"the elements of {name} must be rim:AnyValueType", element)
    for value in _slot_values_of(root, "Requirements"):
        for element in children(value, RIM + "Element"):
            requirement = child(element, SDG + "Requirement")
            if requirement is None:
                found.add("R-EDM-REQ-S037", "a Requirements element must carry an sdg:Requirement", element)
            elif child(requirement, SDG + "Identifier") is None or child(requirement, SDG + "Name") is None:
                found.add("R-EDM-REQ-S038", "a Requirement must carry its Identifier and Name", requirement)
    for value in _slot_values_of(root, "EvidenceRequester"):
        agents = [a for e in children(value, RIM + "Element") for a in children(e, SDG + "Agent")]
        agents += list(children(value, SDG + "Agent"))
        if not agents:
            found.add("R-EDM-REQ-S039", "the EvidenceRequester must carry an sdg:Agent", value)
        for agent in agents:
            _agent(found, agent, "EvidenceRequester", "R-EDM-REQ-S040", "R-EDM-REQ-C010")
            if not (agent.findtext(SDG + "Classification") or "").strip():
                found.add("R-EDM-REQ-C013", "an EvidenceRequester agent must give its Classification", agent)
    for value in _slot_values_of(root, "EvidenceProvider"):
        provider = child(value, SDG + "Agent")
        if provider is None:
            found.add("R-EDM-REQ-S042", "the EvidenceProvider must carry an sdg:Agent", value)
        else:
            _agent(found, provider, "EvidenceProvider", "R-EDM-REQ-S043", "R-EDM-REQ-C017")


def _agent(found: Findings, agent: Element, slot: str, shape_rule: str, scheme_rule: str) -> None:
    identifier = child(agent, SDG + "Identifier")
    if identifier is None or child(agent, SDG + "Name") is None:
        found.add(shape_rule, f"the {slot} agent must carry an Identifier and a Name", agent)
    if identifier is not None and not identifier.get("schemeID"):
        found.add(scheme_rule, f"the Identifier of the {slot} must carry a schemeID", identifier)


def _query(found: Findings, query: Element, version: str) -> None:
    present = slots(query)
    found.count("R-EDM-REQ-S015", len(present.get("EvidenceRequest", [])), "the slot EvidenceRequest", query)
    subjects = len(present.get("NaturalPerson", [])) + len(present.get("LegalPerson", []))
    if subjects != 1:
        found.add(
            "R-EDM-REQ-S016",
            "the Query must carry either a NaturalPerson or a LegalPerson slot, not both",
            query,
        )
    for name, occurrences in present.items():
        if name not in _QUERY_SLOTS:
            if version == V2:
                found.add(
                    "R-EDM-REQ-S049", f"the slot {name[:60]!r} is not allowed in a Query", occurrences[0]
                )
            continue
        type_rule, element, content_rule = _QUERY_SLOTS[name]
        for slot in occurrences:
            _typed(found, slot, "AnyValueType", type_rule, name)
            for value in children(slot, RIM + "SlotValue"):
                if child(value, SDG + element) is None:
                    found.add(content_rule, f"the slot {name} must carry an sdg:{element}", value)
    for value in _slot_values_of(query, "EvidenceRequest"):
        for described in children(value, SDG + "DataServiceEvidenceType"):
            _evidence_type(found, described, version)
    for value in _slot_values_of(query, "NaturalPerson"):
        for person in children(value, SDG + "Person"):
            _person(found, person, version)


def _evidence_type(found: Findings, described: Element, version: str) -> None:
    known = sum(1 for c in described if c.tag in {SDG + n for n in _EVIDENCE_TYPE_CHILDREN})
    if known != sum(1 for c in described if isinstance(c.tag, str)):
        found.add(
            "R-EDM-REQ-S045",
            "the DataServiceEvidenceType of a request may carry only Identifier, "
            "EvidenceTypeClassification, Title, Description and DistributedAs",
            described,
        )
    identifier = child(described, SDG + "Identifier")
    if identifier is not None and not UUID.search((identifier.text or "").strip()):
        found.add(
            "R-EDM-REQ-C026", "the Identifier of the DataServiceEvidenceType must be a UUID", identifier
        )
    pattern = CLASSIFICATION_V2 if version == V2 else CLASSIFICATION_V1
    for classification in children(described, SDG + "EvidenceTypeClassification"):
        if not pattern.search(classification.text or ""):
            found.add(
                "R-EDM-REQ-C027",
                "the EvidenceTypeClassification must be a Semantic Repository URL ending in a country "
                "and a UUID",
                classification,
            )
    for title in children(described, SDG + "Title"):
        if not (title.get("lang") or "").strip():
            found.add("R-EDM-REQ-C029", "the Title of the evidence type must give its lang", title)
    if len(list(children(described, SDG + "DistributedAs"))) > 1:
        found.add("R-EDM-REQ-C032", "DistributedAs may be given once in an EvidenceRequest", described)


def _person(found: Findings, person: Element, version: str) -> None:
    assurance = (person.findtext(SDG + "LevelOfAssurance") or "").strip()
    if not assurance:
        found.add("R-EDM-REQ-C036", "the NaturalPerson must give its LevelOfAssurance", person)
    elif assurance not in LEVELS_OF_ASSURANCE:
        found.add(
            "R-EDM-REQ-C037", f"the LevelOfAssurance must be one of {', '.join(LEVELS_OF_ASSURANCE)}", person
        )
    for identifier in children(person, SDG + "Identifier"):
        scheme = identifier.get("schemeID")
        if scheme is None:
            found.add("R-EDM-REQ-C041", "the Identifier of the person must carry a schemeID", identifier)
        elif scheme != "eidas":
            found.add("R-EDM-REQ-C042", "the schemeID of the person's Identifier must be eidas", identifier)
        pattern, rule = (EIDAS_V2, "R-EDM-REQ-C040") if version == V2 else (EIDAS_V1, "R-EDM-REQ-C039")
        if not pattern.search(identifier.text or ""):
            found.add(
                rule,
                "the eIDAS identifier must read XX/YY/value (two country codes, then the value)",
                identifier,
            )
    birth = child(person, SDG + "DateOfBirth")
    if birth is not None and version == V1 and not DATE.match((birth.text or "").strip()):
        found.add("R-EDM-REQ-C043", "the DateOfBirth must be written YYYY-MM-DD", birth)


def _typed(found: Findings, slot: Element, expected: str, rule: str, name: str) -> None:
    for value in children(slot, RIM + "SlotValue"):
        if xsi_type(value) != expected:
            found.add(rule, f"the value of the slot {name} must be rim:{expected}", value)


def _slot_values(found: Findings, root: Element) -> None:
    """R-EDM-REQ-S050 and S051: every slot of the document holds one value, and that value holds an
    element (EDM 2.0)."""
    for slot in root.iter(RIM + "Slot"):
        values = list(children(slot, RIM + "SlotValue"))
        name = (slot.get("name") or "")[:60]
        if len(values) != 1:
            found.add("R-EDM-REQ-S050", f"the slot {name!r} must hold exactly one rim:SlotValue", slot)
        for value in values:
            if not any(isinstance(c.tag, str) for c in value):
                found.add("R-EDM-REQ-S051", f"the value of the slot {name!r} is empty", value)


def _slot_values_of(parent: Element, name: str) -> list[Element]:
    return [
        value
        for slot in children(parent, RIM + "Slot")
        if slot.get("name") == name
        for value in children(slot, RIM + "SlotValue")
    ]
