"""The EWP registry catalogue (``catalogue-v1.xml``): its ``emrex-data-access-point`` entries for
EMREX clients, and its hosts (keys, institutions, APIs) for EWP servers and clients."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from emrex.errors import EmrexError
from emrex.registry.builder import CertificateText, RegistryBuilder, url_problem
from emrex.registry.errors import RegistryError
from emrex.registry.hosts import CLIAUTH_TLSCERT, SRVAUTH_TLSCERT, EwpApi, EwpCatalogue, EwpHost, Hei
from emrex.registry.model import Registry
from emrex.xml import XML_LANG, localname, namespace, parse_untrusted

REGISTRY_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1"
DATA_ACCESS_POINT_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-emrex-data-access-point/blob/stable-v1/manifest-entry.xsd"
# The name used before "EMP" replaced "NCP"; the implementation guide still shows entries with it.
NCP_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-emrex-ncp/blob/stable-v1/manifest-entry.xsd"
ENTRY = "emrex-data-access-point"
MAX_CATALOGUE_BYTES = 32 * 1024 * 1024
log = logging.getLogger("emrex.registry")


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


def catalogue_xml(registry: Registry, ewp_manifests: Sequence[bytes] = ()) -> bytes:
    """A catalogue with one host per EMP; each certificate as base64 DER, as the EWP registry has it.

    With ``ewp_manifests`` (Discovery v6) their hosts, institutions and keys follow, as the EWP
    registry publishes them; an EMP whose entry a manifest carries is listed once, by that host."""
    ewp = _ewp_part(ewp_manifests)
    listed = {
        (e.findtext(f"{{{DATA_ACCESS_POINT_NS}}}url") or "").strip()
        for e in (ewp.iter(f"{{{DATA_ACCESS_POINT_NS}}}{ENTRY}") if ewp is not None else ())
    }
    root = etree.Element(f"{{{REGISTRY_NS}}}catalogue", nsmap={None: REGISTRY_NS})  # type: ignore[dict-item]
    for emp in registry.emps:
        if emp.url in listed:
            continue
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
    if ewp is not None:
        root.extend(list(ewp))  # its hosts, then institutions and binaries: the catalogue's order
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _ewp_part(manifests: Sequence[bytes]) -> etree._Element | None:
    if not manifests:
        return None
    return parse_untrusted(catalogue_from_manifests(manifests)).getroot()


# The EWP hosts: keys, institutions and APIs (what EWP servers and clients ask the registry).

COMMON_NS = "https://github.com/erasmus-without-paper/ewp-specs-architecture/blob/stable-v1/common-types.xsd"
SEC_NS = "https://github.com/erasmus-without-paper/ewp-specs-sec-intro/tree/stable-v2"
MANIFEST_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-discovery/tree/stable-v6"


def read_ewp_catalogue(data: bytes, *, source: str = "") -> EwpCatalogue:
    """The hosts, institutions and public keys of an EWP catalogue.

    A key whose content does not hash to its ``sha-256`` attribute, that is not RSA or that is
    weaker than 2048 bits is skipped with a warning, as is an API entry with an unusable URL.
    """
    where = f"{source}: " if source else ""
    try:
        root = parse_untrusted(data, max_bytes=MAX_CATALOGUE_BYTES).getroot()
    except EmrexError as exc:
        raise RegistryError(f"{where}{exc}") from None
    if not is_catalogue(root) or namespace(root) != REGISTRY_NS:
        raise RegistryError(f"{where}the XML root is <{localname(root)}>, not an EWP registry <catalogue>")
    warnings: list[str] = []
    keys = _binaries(root, warnings)
    hosts = tuple(_host(host, warnings) for host in _children(root, "host"))
    heis = {
        hei.id: hei for hei in (_hei(e) for c in _children(root, "institutions") for e in _children(c, "hei"))
    }
    for message in warnings:
        log.warning("%s%s", where, message)
    return EwpCatalogue(hosts, keys, heis, source=source, warnings=tuple(warnings))


def _children(parent: etree._Element, name: str, ns: str = REGISTRY_NS) -> list[etree._Element]:
    return [c for c in parent if isinstance(c.tag, str) and localname(c) == name and namespace(c) == ns]


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _binaries(root: etree._Element, warnings: list[str]) -> dict[str, rsa.RSAPublicKey]:
    keys: dict[str, rsa.RSAPublicKey] = {}
    for binaries in _children(root, "binaries"):
        for element in _children(binaries, "rsa-public-key"):
            claimed = (element.get("sha-256") or "").lower()
            label = f"rsa-public-key at line {_line(element)}"
            try:
                der = base64.b64decode("".join(_text(element).split()), validate=True)
                key = serialization.load_der_public_key(der)
            except (ValueError, binascii.Error, UnsupportedAlgorithm):
                warnings.append(f"{label} is not a readable public key; skipped")
                continue
            actual = hashlib.sha256(der).hexdigest()
            if actual != claimed:
                warnings.append(
                    f"{label}: its content hashes to {actual}, not to its sha-256 {claimed!r}; skipped"
                )
            elif not isinstance(key, rsa.RSAPublicKey) or not 2048 <= key.key_size <= 8192:
                warnings.append(f"{label} is not an RSA key of 2048 to 8192 bits; skipped")
            else:
                keys[actual] = key
    return keys


def _key_refs(host: etree._Element, credentials: str) -> frozenset[str]:
    return frozenset(
        (e.get("sha-256") or "").lower()
        for c in _children(host, credentials)
        for e in _children(c, "rsa-public-key")
    )


def _host(host: etree._Element, warnings: list[str]) -> EwpHost:
    apis = [
        api
        for c in _children(host, "apis-implemented")
        for e in c
        if isinstance(e.tag, str)
        if (api := _api(e, warnings)) is not None
    ]
    return EwpHost(
        apis=tuple(apis),
        hei_ids=tuple(
            _text(e) for c in _children(host, "institutions-covered") for e in _children(c, "hei-id")
        ),
        client_key_ids=_key_refs(host, "client-credentials-in-use"),
        server_key_ids=_key_refs(host, "server-credentials-in-use"),
        admin_emails=tuple(_text(e) for e in _children(host, "admin-email", COMMON_NS)),
    )


def _api(entry: etree._Element, warnings: list[str]) -> EwpApi | None:
    ns = namespace(entry)
    fields: list[tuple[str, str]] = []
    client_auth: tuple[str, ...] = (CLIAUTH_TLSCERT,)
    server_auth: tuple[str, ...] = (SRVAUTH_TLSCERT,)
    for child in entry:
        if not isinstance(child.tag, str) or namespace(child) != ns:
            continue
        name = localname(child)
        if name == "http-security":
            for methods in child:
                found = tuple(namespace(m) for m in methods if isinstance(m.tag, str))
                if isinstance(methods.tag, str) and localname(methods) == "client-auth-methods":
                    client_auth = found
                elif isinstance(methods.tag, str) and localname(methods) == "server-auth-methods":
                    server_auth = found
        elif len(child) == 0:
            value = _text(child)
            if (name == "url" or name.endswith("-url")) and (problem := url_problem(value)):
                warnings.append(
                    f"<{localname(entry)}> at line {_line(entry)}: {name} {value!r} {problem}; skipped"
                )
                return None
            fields.append((name, value))
    return EwpApi(localname(entry), ns, entry.get("version", ""), tuple(fields), client_auth, server_auth)


def _hei(element: etree._Element) -> Hei:
    return Hei(
        id=element.get("id", ""),
        names=tuple((_text(n), n.get(XML_LANG, "")) for n in _children(element, "name")),
        other_ids=tuple((o.get("type", ""), _text(o)) for o in _children(element, "other-id")),
    )


def catalogue_from_manifests(manifests: Iterable[bytes]) -> bytes:
    """A catalogue made from Discovery v6 manifests as the EWP registry makes it: one host each,
    keys referred to by SHA-256 and listed once under ``binaries``."""
    root = etree.Element(f"{{{REGISTRY_NS}}}catalogue", nsmap={None: REGISTRY_NS, "ewp": COMMON_NS})  # type: ignore[dict-item]
    heis: list[etree._Element] = []
    binaries: dict[str, str] = {}
    for number, data in enumerate(manifests, 1):
        try:
            manifest = parse_untrusted(data).getroot()
        except EmrexError as exc:
            raise RegistryError(f"manifest {number}: {exc}") from None
        if localname(manifest) != "manifest" or namespace(manifest) != MANIFEST_NS:
            raise RegistryError(f"manifest {number}: the root is not a Discovery v6 <manifest>")
        for source in _children(manifest, "host", MANIFEST_NS):
            host = etree.SubElement(root, f"{{{REGISTRY_NS}}}host")
            for child in source:
                if isinstance(child.tag, str) and namespace(child) in (COMMON_NS, REGISTRY_NS):
                    host.append(copy.deepcopy(child))  # admin-*, apis-implemented
            covered = [
                h for c in _children(source, "institutions-covered", MANIFEST_NS) for h in _children(c, "hei")
            ]
            if covered:
                ids = etree.SubElement(host, f"{{{REGISTRY_NS}}}institutions-covered")
                for hei in covered:
                    etree.SubElement(ids, f"{{{REGISTRY_NS}}}hei-id").text = hei.get("id", "")
                    heis.append(copy.deepcopy(hei))
            for credentials in ("client-credentials-in-use", "server-credentials-in-use"):
                listed = [
                    k
                    for c in _children(source, credentials, MANIFEST_NS)
                    for k in _children(c, "rsa-public-key", MANIFEST_NS)
                ]
                if not listed:
                    continue
                out = etree.SubElement(host, f"{{{REGISTRY_NS}}}{credentials}")
                for key in listed:
                    text = "".join(_text(key).split())
                    try:
                        digest = hashlib.sha256(base64.b64decode(text, validate=True)).hexdigest()
                    except (binascii.Error, ValueError):
                        raise RegistryError(f"manifest {number}: a {credentials} key is not base64") from None
                    etree.SubElement(out, f"{{{REGISTRY_NS}}}rsa-public-key").set("sha-256", digest)
                    binaries[digest] = text
    institutions = etree.SubElement(root, f"{{{REGISTRY_NS}}}institutions")
    institutions.extend(heis)
    if binaries:
        section = etree.SubElement(root, f"{{{REGISTRY_NS}}}binaries")
        for digest, text in binaries.items():
            element = etree.SubElement(section, f"{{{REGISTRY_NS}}}rsa-public-key")
            element.set("sha-256", digest)
            element.text = text
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
