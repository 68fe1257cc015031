"""The XML namespaces of the EWP documents served and read here."""

from __future__ import annotations

from lxml import etree

from emrex.elmo.model import ELMO_NS
from emrex.registry.catalogue import COMMON_NS, MANIFEST_NS, REGISTRY_NS, SEC_NS
from emrex.registry.hosts import CLIAUTH_HTTPSIG, CLIAUTH_TLSCERT, SRVAUTH_HTTPSIG, SRVAUTH_TLSCERT

_GITHUB = "https://github.com/erasmus-without-paper"
TORS_GET_NS = f"{_GITHUB}/ewp-specs-api-imobility-tors/blob/stable-v2/endpoints/get-response.xsd"
TORS_INDEX_NS = f"{_GITHUB}/ewp-specs-api-imobility-tors/blob/stable-v2/endpoints/index-response.xsd"
TORS_ENTRY_NS = f"{_GITHUB}/ewp-specs-api-imobility-tors/blob/stable-v2/manifest-entry.xsd"
ECHO_NS = f"{_GITHUB}/ewp-specs-api-echo/tree/stable-v2"
ECHO_ENTRY_NS = f"{_GITHUB}/ewp-specs-api-echo/blob/stable-v2/manifest-entry.xsd"
DISCOVERY_ENTRY_NS = f"{_GITHUB}/ewp-specs-api-discovery/blob/stable-v6/manifest-entry.xsd"

TORS_VERSION = "2.0.0"
ECHO_VERSION = "2.0.1"
DISCOVERY_VERSION = "6.0.0"

__all__ = [
    "CLIAUTH_HTTPSIG",
    "CLIAUTH_TLSCERT",
    "COMMON_NS",
    "DISCOVERY_ENTRY_NS",
    "DISCOVERY_VERSION",
    "ECHO_ENTRY_NS",
    "ECHO_NS",
    "ECHO_VERSION",
    "ELMO_NS",
    "MANIFEST_NS",
    "REGISTRY_NS",
    "SEC_NS",
    "SRVAUTH_HTTPSIG",
    "SRVAUTH_TLSCERT",
    "TORS_ENTRY_NS",
    "TORS_GET_NS",
    "TORS_INDEX_NS",
    "TORS_VERSION",
    "document",
    "error_response",
]


def document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def error_response(developer_message: str) -> bytes:
    """The EWP ``<error-response>`` (common-types) carrying a message for the client's developer."""
    root = etree.Element(f"{{{COMMON_NS}}}error-response", nsmap={None: COMMON_NS})  # type: ignore[dict-item]
    etree.SubElement(root, f"{{{COMMON_NS}}}developer-message").text = _xml_safe(developer_message)
    return document(root)


def _xml_safe(text: str) -> str:
    return "".join(c if c.isprintable() or c in "\n\t" else "\N{REPLACEMENT CHARACTER}" for c in text)
