"""The EDM rules of an evidence response and of an error response (``query:QueryResponse``)."""

from __future__ import annotations

from lxml import etree

from emrex.oots.model import ERROR_KINDS
from emrex.oots.names import (
    AGENT_CLASSIFICATIONS,
    ASSOCIATION_TYPE,
    EDM_SCHEME,
    QUERY_NS,
    RIM,
    RS,
    SDG,
    SEVERITY_ERROR,
    SEVERITY_PREVIEW,
    STATUS_FAILURE,
    STATUS_SUCCESS,
    STATUS_UNAVAILABLE,
    V2,
    XLINK,
)
from emrex.oots.regrep import child, children, slots, value_text
from emrex.oots.rules import BARE_UUID, DATE_TIME, URN_UUID, UUID, Findings
from emrex.xml import localname, namespace

Element = etree._Element

_RESPONSE_SLOTS = {
    "SpecificationIdentifier": "R-EDM-RESP-S009",
    "EvidenceResponseIdentifier": "R-EDM-RESP-S010",
    "IssueDateTime": "R-EDM-RESP-S011",
    "EvidenceProvider": "R-EDM-RESP-S012",
    "EvidenceRequester": "R-EDM-RESP-S013",
}
_SUPPLEMENTARY = ("Annex", "HumanReadableVersion", "Translation")
_MAIN_ELEMENTS = (
    "Identifier",
    "IssuingDate",
    "IsAbout",
    "IssuingAuthority",
    "IsConformantTo",
    "Distribution",
)
_FORBIDDEN_IN_SUPPLEMENTARY = (
    "IsAbout",
    "IssuingAuthority",
    "IsConformantTo",
    "ValidityPeriod",
    "IssuingDate",
)
_SUBJECT_CHILDREN = ("Identifier", "FamilyName", "GivenName", "DateOfBirth", "PlaceOfBirth")
# The association rules: source classified so (S052-S054), target MainEvidence (S056-S058), and the
# converse typing (S059 annex, S060 translation, S061 human-readable version).
_ASSOCIATIONS = {
    "Annex": ("R-EDM-RESP-S052", "R-EDM-RESP-S056", "R-EDM-RESP-S059"),
    "HumanReadableVersion": ("R-EDM-RESP-S053", "R-EDM-RESP-S057", "R-EDM-RESP-S061"),
    "Translation": ("R-EDM-RESP-S054", "R-EDM-RESP-S058", "R-EDM-RESP-S060"),
}
# Error responses: the slots they carry once (our own checks; the EDM rules hang on their contents).
_ERROR_SLOTS = ("SpecificationIdentifier", "EvidenceResponseIdentifier", "ErrorProvider", "EvidenceRequester")
_EVIDENCE = SDG + "Evidence"


def check_response(root: Element, version: str) -> Findings:
    found = Findings()
    if localname(root) != "QueryResponse" or namespace(root) != QUERY_NS:
        found.add("R-EDM-RESP-S001", f"the root element must be query:QueryResponse in {QUERY_NS}", root)
        return found
    _request_id(found, root, "R-EDM-RESP")
    status = root.get("status")
    if status is None:
        found.add("R-EDM-RESP-S005", "the QueryResponse must carry a status", root)
    if status not in (STATUS_SUCCESS, STATUS_UNAVAILABLE):
        found.add(
            "R-EDM-RESP-S006", "the status of an evidence response must be Success or Unavailable", root
        )
    present = slots(root)
    for name, rule in _RESPONSE_SLOTS.items():
        found.count(rule, len(present.get(name, [])), f"the slot {name}", root)
    if "ResponseAvailableDateTime" in present and status != STATUS_UNAVAILABLE:
        found.add("R-EDM-RESP-S014", "only an Unavailable response may carry ResponseAvailableDateTime", root)
    if status == STATUS_UNAVAILABLE and "ResponseAvailableDateTime" not in present:
        found.add("R-EDM-RESP-S045", "an Unavailable response must say when: ResponseAvailableDateTime", root)
    allowed = {RIM + "RegistryObjectList"}
    names = {*_RESPONSE_SLOTS, "ResponseAvailableDateTime"}
    for element in root:
        tag: object = element.tag
        if not isinstance(tag, str):
            continue
        if element.tag != RIM + "Slot" and element.tag not in allowed:
            found.add("R-EDM-RESP-S016", f"a QueryResponse may not carry {localname(element)}", element)
        elif element.tag == RIM + "Slot" and element.get("name") not in names:
            found.add(
                "R-EDM-RESP-S016", f"a QueryResponse may not carry the slot {element.get('name')!r}", element
            )
    _common_values(found, root, version, "R-EDM-RESP-C002", "R-EDM-RESP-C003")
    for value in _values(root, "IssueDateTime"):
        if not DATE_TIME.search(value_text(value) or ""):
            found.add("R-EDM-RESP-C004", "the IssueDateTime must be an xsd:dateTime", value)
    for value in _values(root, "ResponseAvailableDateTime"):
        if not DATE_TIME.search(value_text(value) or ""):
            found.add("R-EDM-RESP-C005", "the ResponseAvailableDateTime must be an xsd:dateTime", value)
    if version == V2:
        for value in _values(root, "EvidenceProvider"):
            agents = [a for e in children(value, RIM + "Element") for a in children(e, SDG + "Agent")]
            providers = [a for a in agents if (a.findtext(SDG + "Classification") or "").strip() == "EP"]
            if len(providers) != 1:
                found.add(
                    "R-EDM-RESP-C046", "the EvidenceProvider must list exactly one agent classified EP", value
                )
        _packages(found, root, status == STATUS_SUCCESS)
    return found


def _packages(found: Findings, root: Element, success: bool) -> None:
    top = root.find(RIM + "RegistryObjectList")
    objects = list(children(top, RIM + "RegistryObject")) if top is not None else []
    for package in objects:
        if package.get(_XSI_TYPE) != "rim:RegistryPackageType":
            found.add("R-EDM-RESP-S066", "the response's list may hold evidence packages only", package)
            continue
        _identified(found, package, success=False)
        lists = list(children(package, RIM + "RegistryObjectList"))
        if len(lists) != 1:
            found.add(
                "R-EDM-RESP-S046", "an evidence package must hold exactly one RegistryObjectList", package
            )
        for nested in lists:
            _package_list(found, nested, success)


_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def _package_list(found: Findings, nested: Element, success: bool) -> None:
    documents = list(children(nested, RIM + "RegistryObject"))
    by_id = {d.get("id"): d for d in documents if d.get("id")}
    if not any(_nodes(d, any_scheme=True).count("MainEvidence") for d in documents):
        found.add(
            "R-EDM-RESP-S047", "an evidence package must hold a document classified MainEvidence", nested
        )
    for document in documents:
        if document.get(_XSI_TYPE) == "rim:AssociationType":
            _association(found, document, by_id)
            continue
        _identified(found, document, success)
        edm = [
            c
            for c in children(document, RIM + "Classification")
            if c.get("classificationScheme") == EDM_SCHEME
        ]
        if len(edm) != 1:
            found.add("R-EDM-RESP-S048", "each document must carry exactly one EDM classification", document)
        for classification in children(document, RIM + "Classification"):
            node = classification.get("classificationNode")
            if classification in edm and node not in ("MainEvidence", *_SUPPLEMENTARY):
                found.add(
                    "R-EDM-RESP-S049", f"the classification node {node!r} is not an EDM role", classification
                )
            if classification.get("id") is not None and not URN_UUID.match(
                classification.get("id", "").strip()
            ):
                found.add(
                    "R-EDM-RESP-S065", "the id of a classification must be urn:uuid:UUID", classification
                )
        evidence = _evidence(document)
        nodes = _nodes(document, any_scheme=True)
        if "MainEvidence" in nodes and (
            evidence is None or any(child(evidence, SDG + n) is None for n in _MAIN_ELEMENTS)
        ):
            found.add(
                "R-EDM-RESP-S062",
                "the main evidence must carry Identifier, IssuingDate, IsAbout, IssuingAuthority, "
                "IsConformantTo and Distribution",
                document,
            )
        if any(n in _SUPPLEMENTARY for n in nodes):
            if evidence is not None and any(
                child(evidence, SDG + n) is not None for n in _FORBIDDEN_IN_SUPPLEMENTARY
            ):
                found.add(
                    "R-EDM-RESP-S063",
                    "a supplementary document may not repeat the main evidence's metadata",
                    document,
                )
            source = document.get("id")
            if not any(
                a.get(_XSI_TYPE) == "rim:AssociationType" and a.get("sourceObject") == source
                for a in documents
            ):
                found.add(
                    "R-EDM-RESP-S050",
                    "a supplementary document must be the source of an association",
                    document,
                )
        if evidence is not None:
            _subject(found, evidence)


def _association(found: Findings, association: Element, by_id: dict[str | None, Element]) -> None:
    source, target = association.get("sourceObject"), association.get("targetObject")
    if source is None:
        found.add("R-EDM-RESP-S051", "an association must name its sourceObject", association)
    if target is None:
        found.add("R-EDM-RESP-S055", "an association must name its targetObject", association)
    declared = (association.get("type") or "").removeprefix(ASSOCIATION_TYPE)
    if declared in _ASSOCIATIONS:
        source_rule, target_rule, _ = _ASSOCIATIONS[declared]
        if source not in by_id or declared not in _nodes(by_id[source]):
            found.add(
                source_rule,
                f"the source of a {declared} association must be classified {declared}",
                association,
            )
        if target not in by_id or "MainEvidence" not in _nodes(by_id[target]):
            found.add(target_rule, "the target of an association must be the MainEvidence", association)
    if source in by_id and target in by_id and "MainEvidence" in _nodes(by_id[target], any_scheme=True):
        for node, (_, _, typing_rule) in _ASSOCIATIONS.items():
            if node in _nodes(by_id[source], any_scheme=True) and declared != node:
                found.add(
                    typing_rule,
                    f"the association of a {node} must be of type {ASSOCIATION_TYPE}{node}",
                    association,
                )


def _identified(found: Findings, document: Element, success: bool) -> None:
    identifier = document.get("id")
    if identifier is None:
        if success:
            found.add("R-EDM-RESP-S036", "each RegistryObject must carry an id", document)
    elif not URN_UUID.match(identifier.strip()):
        found.add("R-EDM-RESP-S037", "the id of a RegistryObject must be urn:uuid:UUID", document)
    if success and document.get(_XSI_TYPE) not in ("rim:RegistryPackageType", "rim:AssociationType"):
        references = list(children(document, RIM + "RepositoryItemRef"))
        if not references:
            found.add("R-EDM-RESP-S033", "each document must point at its repository item", document)
        for reference in references:
            if reference.get(XLINK + "href") is None:
                found.add("R-EDM-RESP-S034", "a RepositoryItemRef must carry xlink:href", reference)
            if reference.get(XLINK + "title") is None:
                found.add("R-EDM-RESP-S035", "a RepositoryItemRef must carry xlink:title", reference)


def _subject(found: Findings, evidence: Element) -> None:
    about = child(evidence, SDG + "IsAbout")
    person = child(about, SDG + "NaturalPerson")
    if person is not None:
        extra = [
            localname(c)
            for c in person
            if isinstance(c.tag, str) and c.tag not in {SDG + n for n in _SUBJECT_CHILDREN}
        ]
        if extra:
            found.add(
                "R-EDM-RESP-S041", f"the NaturalPerson of IsAbout may not carry {', '.join(extra)}", person
            )


def check_error(root: Element, version: str) -> Findings:
    found = Findings()
    if localname(root) != "QueryResponse" or namespace(root) != QUERY_NS:
        found.add("EMREX-OOTS-E01", f"the root element must be query:QueryResponse in {QUERY_NS}", root)
        return found
    present = slots(root)
    for name in _ERROR_SLOTS:
        found.count("EMREX-OOTS-E02", len(present.get(name, [])), f"the slot {name}", root)
    _common_values(found, root, version, "R-EDM-ERR-C001", "R-EDM-ERR-C002")
    for name, scheme_rule in (("ErrorProvider", "R-EDM-ERR-C003"), ("EvidenceRequester", "R-EDM-ERR-C009")):
        for value in _values(root, name):
            for agent in [
                *children(value, SDG + "Agent"),
                *(a for e in children(value, RIM + "Element") for a in children(e, SDG + "Agent")),
            ]:
                identifier = child(agent, SDG + "Identifier")
                if identifier is not None and not identifier.get("schemeID"):
                    found.add(scheme_rule, f"the Identifier of the {name} must carry a schemeID", identifier)
                if name == "ErrorProvider":
                    classification = (agent.findtext(SDG + "Classification") or "").strip()
                    if not classification:
                        found.add("R-EDM-ERR-C007", "the ErrorProvider must give its Classification", agent)
                    elif classification not in AGENT_CLASSIFICATIONS or classification == "ER":
                        found.add(
                            "R-EDM-ERR-C008",
                            "the ErrorProvider's Classification must be IP, EP or ERRP",
                            agent,
                        )
    exceptions = list(children(root, RS + "Exception"))
    if root.get("status") != STATUS_FAILURE:
        found.add("EMREX-OOTS-E03", "the status of an error response must be Failure", root)
    if len(exceptions) != 1:
        found.add("R-EDM-ERR-C011", "an error response must carry exactly one rs:Exception", root)
    for exception in exceptions:
        _exception(found, root, exception, version)
    return found


def _exception(found: Findings, root: Element, exception: Element, version: str) -> None:
    declared = exception.get(_XSI_TYPE)
    kinds = {k.type: k for k in ERROR_KINDS}
    if declared is None:
        found.add("R-EDM-ERR-C012", "the rs:Exception must carry an xsi:type", exception)
    elif declared not in kinds:
        found.add(
            "R-EDM-ERR-C013",
            f"the exception type {declared[:60]!r} is not in the EDMErrorCodes list",
            exception,
        )
    preview_severity = SEVERITY_PREVIEW[V2 if version == V2 else "oots-edm:v1.0"]
    severity = exception.get("severity")
    if severity not in (SEVERITY_ERROR, preview_severity):
        found.add("R-EDM-ERR-C014", "the severity must be Error or PreviewRequired", exception)
    if declared == "rs:AuthorizationExceptionType" and severity != preview_severity:
        found.add(
            "R-EDM-ERR-C015",
            "an AuthorizationException (EDM:ERR:0002) has the PreviewRequired severity",
            exception,
        )
    if declared not in (None, "rs:AuthorizationExceptionType") and severity == preview_severity:
        found.add(
            "R-EDM-ERR-C015", "only an AuthorizationException has the PreviewRequired severity", exception
        )
    if exception.get("message") is None:
        found.add("R-EDM-ERR-C016", "the rs:Exception must carry a message", exception)
    code = exception.get("code")
    if code is None:
        if version == V2:
            found.add("R-EDM-ERR-C026", "the rs:Exception must carry a code", exception)
    elif code not in {k.code for k in ERROR_KINDS}:
        found.add("R-EDM-ERR-C017", f"the code {code[:40]!r} is not in the EDMErrorCodes list", exception)
    elif declared in kinds and kinds[declared].code != code:
        found.add("R-EDM-ERR-C017", f"the code {code} does not belong to {declared}", exception)
    for value in _values(exception, "Timestamp"):
        if not DATE_TIME.search(value_text(value) or ""):
            found.add("R-EDM-ERR-C018", "the Timestamp must be an xsd:dateTime", value)
    previews = _values(exception, "PreviewLocation")
    for value in previews:
        if not (value_text(value) or "").startswith("https://"):
            found.add("R-EDM-ERR-C019", "the PreviewLocation must be a URI starting with https://", value)
    if previews and severity != preview_severity:
        found.add(
            "R-EDM-ERR-C022",
            "an exception with a PreviewLocation must have the PreviewRequired severity",
            exception,
        )
    if severity == preview_severity and not previews:
        found.add("R-EDM-ERR-C022", "a PreviewRequired exception must give the PreviewLocation", exception)
    if version == V2 and root.get("requestId") is None and declared != "rs:InvalidRequestExceptionType":
        found.add("R-EDM-ERR-C025", "only an InvalidRequestException may leave out the requestId", root)


def _request_id(found: Findings, root: Element, prefix: str) -> None:
    request_id = root.get("requestId")
    if request_id is None:
        found.add(
            f"{prefix}-S003", "the QueryResponse must carry the requestId of the request it answers", root
        )
    elif not URN_UUID.match(request_id.strip()):
        found.add(f"{prefix}-S004", "the requestId must be urn:uuid:UUID", root)


def _common_values(found: Findings, root: Element, version: str, spec_rule: str, id_rule: str) -> None:
    expected = V2 if version == V2 else "oots-edm:v1.0"
    for value in _values(root, "SpecificationIdentifier"):
        if value_text(value) != expected:
            found.add(spec_rule, f"the SpecificationIdentifier must be {expected}", value)
    for value in _values(root, "EvidenceResponseIdentifier"):
        text = value_text(value) or ""
        if not (BARE_UUID.match(text) if version == V2 else UUID.search(text)):
            found.add(id_rule, "the EvidenceResponseIdentifier must be a UUID (without urn:uuid:)", value)


def _values(parent: Element, name: str) -> list[Element]:
    return [
        v
        for s in children(parent, RIM + "Slot")
        if s.get("name") == name
        for v in children(s, RIM + "SlotValue")
    ]


def _evidence(document: Element) -> Element | None:
    for value in _values(document, "EvidenceMetadata"):
        found = child(value, _EVIDENCE)
        if found is not None:
            return found
    return None


def _nodes(document: Element, *, any_scheme: bool = False) -> list[str]:
    return [
        c.get("classificationNode") or ""
        for c in children(document, RIM + "Classification")
        if any_scheme or c.get("classificationScheme") == EDM_SCHEME
    ]
