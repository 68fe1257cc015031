"""Namespaces, specification identifiers and fixed values of the OOTS Evidence Exchange Data Model."""

from __future__ import annotations

QUERY_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"
RIM_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0"
RS_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0"
SDG_NS = "http://data.europa.eu/p4s"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XLINK_NS = "http://www.w3.org/1999/xlink"
XMIME_NS = "http://www.w3.org/2005/05/xmlmime"
EBMS_NS = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
WSPLUGIN_NS = "http://eu.domibus.wsplugin/"

Q = "{" + QUERY_NS + "}"
RIM = "{" + RIM_NS + "}"
RS = "{" + RS_NS + "}"
SDG = "{" + SDG_NS + "}"
XSI = "{" + XSI_NS + "}"
XLINK = "{" + XLINK_NS + "}"
EB = "{" + EBMS_NS + "}"
SOAP = "{" + SOAP12_NS + "}"
WS = "{" + WSPLUGIN_NS + "}"

# The prefixes the fixtures use; our documents use the same ones.
EDM_NSMAP = {"query": QUERY_NS, "rim": RIM_NS, "rs": RS_NS, "sdg": SDG_NS, "xsi": XSI_NS, "xlink": XLINK_NS}

V2 = "oots-edm:v2.0"
V1 = "oots-edm:v1.0"
SPECIFICATIONS = (V2, V1)

STATUS_SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
STATUS_FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
STATUS_UNAVAILABLE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Unavailable"
COLLECTION_SET = "urn:oasis:names:tc:ebxml-regrep:CollectionType:Set"
SEVERITY_ERROR = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
# The preview severity is spelt with ".ec." from EDM 1.1 on; EDM 1.0 had it without.
SEVERITY_PREVIEW = {
    V2: "urn:sr.oots.tech.ec.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired",
    V1: "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired",
}
EDM_SCHEME = "urn:fdc:oots:classification:edm"
ASSOCIATION_TYPE = "urn:oasis:names:tc:ebxml-regrep:AssociationType:"
RETURN_TYPE = "LeafClassWithRepositoryItem"
QUERY_DEFINITION = "DocumentQuery"
EIDAS_SCHEME = "eidas"

# ebMS3 values of the OOTS eDelivery profile (TDD 4.7).
EBMS_SERVICE = "QueryManager"
EBMS_SERVICE_TYPE = "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"
EBMS_ROLE = "http://sdg.europa.eu/edelivery/gateway"
PARTY_TYPE = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"
ACTION_REQUEST = "ExecuteQueryRequest"
ACTION_RESPONSE = "ExecuteQueryResponse"
ACTION_ERROR = "ExceptionResponse"
REGREP_MIME = "application/x-ebrs+xml"

LEVELS_OF_ASSURANCE = ("Low", "Substantial", "High")
AGENT_CLASSIFICATIONS = ("ER", "IP", "EP", "ERRP")

# The Procedures code list as published with the TDD (codes of the Single Digital Gateway
# Regulation, Annex II). The EDM 1.0 Schematron lists the first 21; later releases added
# AM1, V5, X7 and X9. "00" is the OOTS system check, admitted beside the list from EDM 1.1 on.
PROCEDURES_V1 = (
    "R1", "S1", "T1", "T2", "T3", "U1", "U2", "U3", "U4", "V1", "V2", "V3", "V4", "W1", "W2",
    "X1", "X2", "X3", "X4", "X5", "X6",
)  # fmt: skip
PROCEDURES_V2 = (*PROCEDURES_V1, "AM1", "V5", "X7", "X9", "00")

# The member states and EEA countries an eIDAS identifier may name (plus EU, the TDD's test code).
OOTS_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IS", "IT",
    "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK", "EU",
)  # fmt: skip
