"""The EWP registry catalogue (``catalogue-v1.xml``): its ``emrex-data-access-point`` entries."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from emrex.errors import EmrexError
from emrex.registry.builder import CertificateText, RegistryBuilder
from emrex.registry.model import Registry, RegistryError
from emrex.xml import localname, namespace, parse_untrusted

REGISTRY_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1"
DATA_ACCESS_POINT_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-emrex-data-access-point/blob/stable-v1/manifest-entry.xsd"
# The name used before "EMP" replaced "NCP"; the implementation guide still shows entries with it.
NCP_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-emrex-ncp/blob/stable-v1/manifest-entry.xsd"
ENTRY = "emrex-data-access-point"
MAX_CATALOGUE_BYTES = 32 * 1024 * 1024


def is_catalogue(root: etree._Element) -> bool:
    return localname(root) == "catalogue" and namespace(root) in (REGISTRY_NS, "")


def read_catalogue(data: bytes, *, source: str = "") -> Registry:
    """The registry in an EWP catalogue; countries follow from the EMPs' country codes."""
    where = f"{source}: " if source else ""
    try:
        root = parse_untrusted(data, max_bytes=MAX_CATALOGUE_BYTES).getroot()
    except EmrexError as exc:
        raise RegistryError(f"{where}{exc}") from None
    if not is_catalogue(root):
        raise RegistryError(f"{where}the XML root is <{localname(root)}>, not an EWP registry <catalogue>")
    builder = RegistryBuilder(source, missing_countries="add")
    found = 0
    for entry in _entries(root):
        found += 1
        label = f"line {_line(entry)}"
        children = [c for c in entry if namespace(c) in (namespace(entry), "")]
        certificates = _texts(children, "certificate")
        if not certificates:
            raise RegistryError(f"{where}{label}: <{ENTRY}> has no <certificate> element")
        builder.add_emp(
            f"{ENTRY} at {label}",
            acronym=_single(children, "name", f"{where}{label}"),
            country_code=_single(children, "country-code", f"{where}{label}"),
            url=_single(children, "url", f"{where}{label}"),
            institutions=[value for _, value in _texts(children, "institution")],
            certificates=[
                CertificateText(f"certificate at line {line}", value) for line, value in certificates
            ],
        )
    if not found:
        raise RegistryError(f"{where}the catalogue lists no EMP (no <{ENTRY}> entry)")
    return builder.build()


def _texts(children: list[etree._Element], name: str) -> list[tuple[int, str]]:
    return [(_line(c), (c.text or "").strip()) for c in children if localname(c) == name]


def _line(element: etree._Element) -> int:
    line: Any = element.sourceline  # lxml-stubs type it oddly
    return int(line or 0)


def _single(children: list[etree._Element], name: str, label: str) -> str:
    values = [value for _, value in _texts(children, name)]
    if len(values) != 1:
        count = "no" if not values else str(len(values))
        raise RegistryError(f"{label}: <{ENTRY}> has {count} <{name}> element(s), not one")
    return values[0]


def _entries(root: etree._Element) -> list[etree._Element]:
    ns = namespace(root)
    entries: list[etree._Element] = []
    for host in root:
        if localname(host) != "host" or namespace(host) != ns:
            continue
        for apis in host:
            if localname(apis) != "apis-implemented" or namespace(apis) != ns:
                continue
            entries.extend(
                e for e in apis if localname(e) == ENTRY and namespace(e) in (DATA_ACCESS_POINT_NS, NCP_NS)
            )
    return entries


def catalogue_xml(registry: Registry) -> bytes:
    """A catalogue with one host per EMP; each certificate as base64 DER, as the EWP registry has it."""
    root = etree.Element(f"{{{REGISTRY_NS}}}catalogue", nsmap={None: REGISTRY_NS})  # type: ignore[dict-item]
    for emp in registry.emps:
        host = etree.SubElement(root, f"{{{REGISTRY_NS}}}host")
        apis = etree.SubElement(host, f"{{{REGISTRY_NS}}}apis-implemented")
        entry = etree.SubElement(
            apis,
            f"{{{DATA_ACCESS_POINT_NS}}}{ENTRY}",
            nsmap={None: DATA_ACCESS_POINT_NS},  # type: ignore[dict-item]
            version="1.0.0",
        )

        def add(name: str, text: str, entry: etree._Element = entry) -> None:
            etree.SubElement(entry, f"{{{DATA_ACCESS_POINT_NS}}}{name}").text = text

        add("url", emp.url)
        add("name", emp.acronym)
        add("country-code", emp.country_code)
        for institution in emp.institutions:
            add("institution", institution)
        for cert in emp.certificates:
            add("certificate", base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
