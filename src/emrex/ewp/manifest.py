"""Our Discovery manifest (ewp-specs-api-discovery v6): the host's administrators, the APIs it
serves (discovery, echo, imobility-tors) with HTTP Signature security, the institution it covers,
and its client and server keys. The EWP registry reads it and publishes it in its catalogue."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from emrex.ewp.namespaces import (
    CLIAUTH_HTTPSIG,
    COMMON_NS,
    DISCOVERY_ENTRY_NS,
    DISCOVERY_VERSION,
    ECHO_ENTRY_NS,
    ECHO_VERSION,
    MANIFEST_NS,
    REGISTRY_NS,
    SEC_NS,
    SRVAUTH_HTTPSIG,
    SRVAUTH_TLSCERT,
    TORS_ENTRY_NS,
    TORS_VERSION,
    document,
)
from emrex.registry.catalogue import DATA_ACCESS_POINT_NS, ENTRY
from emrex.xml import XML_LANG


@dataclass(frozen=True)
class Institution:
    hei_id: str  # SCHAC, e.g. "fjordby.example"
    names: tuple[tuple[str, str], ...]  # (name, language), at least one; English recommended
    other_ids: tuple[tuple[str, str], ...] = ()  # (type, value): "erasmus", "pic", "erasmus-charter", …


@dataclass(frozen=True)
class EmrexEntry:
    """The EMREX data access point (EMP) entry: EMREX clients find our EMP and its certificates here,
    and EWP partners check the ELMOs we serve against the same certificates."""

    url: str
    name: str
    country_code: str
    institutions: tuple[str, ...]
    certificates: Sequence[x509.Certificate]


@dataclass(frozen=True)
class ManifestHost:
    """What our manifest says; URLs are absolute HTTPS URLs as partners reach them."""

    manifest_url: str
    admin_emails: tuple[str, ...]  # aliases, not persons (GDPR)
    admin_provider: str  # e.g. "Fjordby University (emrex)"
    institution: Institution
    client_keys: Sequence[rsa.RSAPublicKey] = ()
    server_keys: Sequence[rsa.RSAPublicKey] = ()
    echo_url: str | None = None
    tors_get_url: str | None = None
    tors_index_url: str | None = None
    max_omobility_ids: int = 10
    admin_notes: str = ""
    emrex: EmrexEntry | None = None


def manifest_xml(host: ManifestHost) -> bytes:
    if not host.admin_emails:
        raise ValueError("a manifest needs at least one admin e-mail address")
    if not host.institution.names:
        raise ValueError("the institution needs at least one name")
    if (host.tors_get_url is None) != (host.tors_index_url is None):
        raise ValueError("the imobility-tors entry needs both its get and its index URL")
    root = etree.Element(
        f"{{{MANIFEST_NS}}}manifest",
        nsmap={None: MANIFEST_NS, "ewp": COMMON_NS, "r": REGISTRY_NS, "sec": SEC_NS},  # type: ignore[dict-item]
    )
    node = _sub(root, MANIFEST_NS, "host")
    for email in host.admin_emails:
        _sub(node, COMMON_NS, "admin-email", email)
    _sub(node, COMMON_NS, "admin-provider", host.admin_provider)
    if host.admin_notes:
        _sub(node, COMMON_NS, "admin-notes", host.admin_notes)
    apis = _sub(node, REGISTRY_NS, "apis-implemented")
    discovery = _entry(apis, DISCOVERY_ENTRY_NS, "discovery", DISCOVERY_VERSION)
    _sub(discovery, DISCOVERY_ENTRY_NS, "url", host.manifest_url)
    if host.echo_url is not None:
        entry = _entry(apis, ECHO_ENTRY_NS, "echo", ECHO_VERSION)
        _security(entry, ECHO_ENTRY_NS)
        _sub(entry, ECHO_ENTRY_NS, "url", host.echo_url)
    if host.tors_get_url is not None and host.tors_index_url is not None:
        entry = _entry(apis, TORS_ENTRY_NS, "imobility-tors", TORS_VERSION)
        _security(entry, TORS_ENTRY_NS)
        _sub(entry, TORS_ENTRY_NS, "get-url", host.tors_get_url)
        _sub(entry, TORS_ENTRY_NS, "index-url", host.tors_index_url)
        _sub(entry, TORS_ENTRY_NS, "max-omobility-ids", str(host.max_omobility_ids))
    if host.emrex is not None:
        _emrex_entry(apis, host.emrex)
    covered = _sub(node, MANIFEST_NS, "institutions-covered")
    hei = _sub(covered, REGISTRY_NS, "hei")
    hei.set("id", host.institution.hei_id)
    for kind, value in host.institution.other_ids:
        _sub(hei, REGISTRY_NS, "other-id", value).set("type", kind)
    for name, lang in host.institution.names:
        element = _sub(hei, REGISTRY_NS, "name", name)
        if lang:
            element.set(XML_LANG, lang)
    for section, keys in (
        ("client-credentials-in-use", host.client_keys),
        ("server-credentials-in-use", host.server_keys),
    ):
        if keys:
            parent = _sub(node, MANIFEST_NS, section)
            for key in keys:
                _sub(parent, MANIFEST_NS, "rsa-public-key", public_key_base64(key))
    return document(root)


def _emrex_entry(apis: etree._Element, emrex: EmrexEntry) -> None:
    entry = _entry(apis, DATA_ACCESS_POINT_NS, ENTRY, "1.0.0")
    _sub(entry, DATA_ACCESS_POINT_NS, "url", emrex.url)
    _sub(entry, DATA_ACCESS_POINT_NS, "name", emrex.name)
    _sub(entry, DATA_ACCESS_POINT_NS, "country-code", emrex.country_code)
    for institution in emrex.institutions:
        _sub(entry, DATA_ACCESS_POINT_NS, "institution", institution)
    for certificate in emrex.certificates:
        der = certificate.public_bytes(serialization.Encoding.DER)
        _sub(entry, DATA_ACCESS_POINT_NS, "certificate", base64.b64encode(der).decode("ascii"))


def public_key_base64(key: rsa.RSAPublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


def _entry(apis: etree._Element, ns: str, name: str, version: str) -> etree._Element:
    element = etree.SubElement(apis, f"{{{ns}}}{name}", nsmap={None: ns})  # type: ignore[dict-item]
    element.set("version", version)
    return element


def _security(entry: etree._Element, ns: str) -> None:
    security = _sub(entry, ns, "http-security")
    clients = _sub(security, SEC_NS, "client-auth-methods")
    etree.SubElement(clients, f"{{{CLIAUTH_HTTPSIG}}}httpsig", nsmap={None: CLIAUTH_HTTPSIG})  # type: ignore[dict-item]
    servers = _sub(security, SEC_NS, "server-auth-methods")
    etree.SubElement(servers, f"{{{SRVAUTH_TLSCERT}}}tlscert", nsmap={None: SRVAUTH_TLSCERT})  # type: ignore[dict-item]
    etree.SubElement(servers, f"{{{SRVAUTH_HTTPSIG}}}httpsig", nsmap={None: SRVAUTH_HTTPSIG})  # type: ignore[dict-item]
