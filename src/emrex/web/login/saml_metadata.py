"""SAML metadata: the identity provider's, read from a file or a URL and checked, and our own.

The identity provider's metadata is believed only when signed by the configured certificate (the
federation's metadata signer), with one signature on the root that covers the whole document, SHA-2,
and a ``validUntil`` in the future. A file may be unsigned when no certificate is configured (the
operator put it there); a URL may not, unless ``allow_unsigned_metadata`` is set on a development
network. From the checked document only the chosen identity provider's ``EntityDescriptor`` is kept,
so pysaml2 knows no other entity's keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from lxml import etree

from emrex.errors import EmrexError
from emrex.trust.c14n import NamespaceFlood, check_namespace_load
from emrex.web.login.saml_attributes import FRIENDLY, URI_FORMAT, saml_name
from emrex.web.login.saml_xml import (
    DIGEST_METHODS,
    DS,
    MD,
    SAML,
    SIGNATURE_METHODS,
    SamlXmlError,
    check_ids,
    check_signature_shape,
    pem,
    qname,
    verify_enveloped,
)
from emrex.web.login.settings import ATTRIBUTES, SamlSettings
from emrex.xml import parse_untrusted

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
MDATTR = "urn:oasis:names:tc:SAML:metadata:attribute"
MDUI = "urn:oasis:names:tc:SAML:metadata:ui"
ALG = "urn:oasis:names:tc:SAML:metadata:algsupport"
REMD = "http://refeds.org/metadata"
ENTITY_CATEGORY = "http://macedir.org/entity-category"
SECURITY_CONTACT = "http://refeds.org/metadata/contactType/security"


class MetadataError(EmrexError):
    """The identity provider's metadata cannot be used; the message says why."""


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    entity_xml: str  # the identity provider's EntityDescriptor alone, for pysaml2
    signing_certificates: tuple[str, ...]  # PEM
    sso: dict[str, str]  # binding -> location
    slo: dict[str, str]
    valid_until: dt.datetime | None
    signed: bool


def read_idp_metadata(settings: SamlSettings, *, transport: httpx.BaseTransport | None = None) -> IdpMetadata:
    """Fetch (URL) or read (file) and check the identity provider's metadata."""
    if settings.metadata_is_url:
        data = _fetch(settings, transport)
    else:
        try:
            data = Path(settings.idp_metadata).read_bytes()
        except OSError as error:
            raise MetadataError(f"{settings.idp_metadata}: cannot be read ({error.strerror})") from None
        if len(data) > settings.max_metadata_bytes:
            raise MetadataError(f"the metadata file is larger than {settings.max_metadata_bytes} bytes")
    return check_idp_metadata(data, settings)


def _fetch(settings: SamlSettings, transport: httpx.BaseTransport | None) -> bytes:
    limit = settings.max_metadata_bytes
    try:
        with (
            httpx.Client(timeout=settings.metadata_timeout_seconds, transport=transport) as client,
            client.stream("GET", settings.idp_metadata) as response,
        ):
            if response.status_code != 200:
                raise MetadataError(f"the metadata URL answered HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise MetadataError(
                        f"the metadata is larger than {limit} bytes (login.saml.max_metadata_mb)"
                    )
                chunks.append(chunk)
    except httpx.HTTPError as error:
        raise MetadataError(f"the metadata URL cannot be reached ({error})") from None
    return b"".join(chunks)


def check_idp_metadata(data: bytes, settings: SamlSettings, now: dt.datetime | None = None) -> IdpMetadata:
    now = now or dt.datetime.now(dt.UTC)
    try:
        root = parse_untrusted(data, max_bytes=settings.max_metadata_bytes).getroot()
    except EmrexError as error:
        raise MetadataError(f"the metadata is not usable XML: {error}") from None
    if root.tag not in (qname(MD, "EntityDescriptor"), qname(MD, "EntitiesDescriptor")):
        raise MetadataError("the document is not SAML metadata (no EntityDescriptor or EntitiesDescriptor)")
    signed = _check_signature(root, data, settings)
    _check_valid_until(root, now)
    entity = _choose_idp(root, settings.idp_entity_id)
    _check_valid_until(entity, now)
    descriptor = _idp_descriptor(entity)
    certificates = tuple(_certificates(descriptor))
    if not certificates:
        raise MetadataError("the identity provider's metadata has no signing certificate")
    sso = _endpoints(descriptor, "SingleSignOnService")
    if REDIRECT not in sso and POST not in sso:
        raise MetadataError("the identity provider offers no single sign-on over HTTP-Redirect or HTTP-POST")
    return IdpMetadata(
        entity_id=str(entity.get("entityID")),
        entity_xml=etree.tostring(entity, encoding="unicode"),
        signing_certificates=certificates,
        sso=sso,
        slo=_endpoints(descriptor, "SingleLogoutService"),
        valid_until=_valid_until(root, entity),
        signed=signed,
    )


def _check_signature(root: etree._Element, data: bytes, settings: SamlSettings) -> bool:
    signatures = root.findall(qname(DS, "Signature"))
    if settings.idp_metadata_certificate is None:
        if settings.metadata_is_url and not settings.allow_unsigned_metadata:
            raise MetadataError("metadata from a URL must be signed (configure idp_metadata_certificate)")
        return False
    if len(signatures) != 1:
        raise MetadataError(
            "the metadata is not signed" if not signatures else "the metadata has two signatures"
        )
    first = next(root.iter(qname(DS, "Signature")))
    if first is not signatures[0]:
        raise MetadataError("the metadata's own signature must come before any other signature")
    try:
        check_namespace_load(root)
        check_ids(root)
        check_signature_shape(signatures[0], root)
    except (SamlXmlError, NamespaceFlood) as error:
        raise MetadataError(f"the metadata signature is not acceptable: {error}") from None
    try:
        certificate = settings.idp_metadata_certificate.read_text(encoding="ascii")
        x509.load_pem_x509_certificate(certificate.encode("ascii"))
    except (OSError, ValueError) as error:
        raise MetadataError(f"{settings.idp_metadata_certificate}: not a PEM certificate ({error})") from None
    node = f"{MD}:{etree.QName(root).localname}"
    if not verify_enveloped(settings.xmlsec_binary, data, [certificate], node, str(root.get("ID"))):
        raise MetadataError("the metadata signature is not valid for the configured metadata certificate")
    return True


def _valid_until(*elements: etree._Element) -> dt.datetime | None:
    found = [_parse_time(e.get("validUntil")) for e in elements if e.get("validUntil")]
    return min(found) if found else None


def _check_valid_until(element: etree._Element, now: dt.datetime) -> None:
    text = element.get("validUntil")
    if text and _parse_time(text) <= now:
        raise MetadataError(
            f"the metadata expired at {text} (validUntil); the federation publishes new metadata"
        )


def _parse_time(text: str | None) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise MetadataError(f"the metadata has an unreadable validUntil: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _choose_idp(root: etree._Element, wanted: str) -> etree._Element:
    entities = (
        [root]
        if root.tag == qname(MD, "EntityDescriptor")
        else list(root.iter(qname(MD, "EntityDescriptor")))
    )
    idps = [e for e in entities if _has_idp(e)]
    if wanted:
        for entity in idps:
            if entity.get("entityID") == wanted:
                return entity
        raise MetadataError(f"the metadata has no identity provider {wanted!r} (login.saml.idp_entity_id)")
    if len(idps) != 1:
        raise MetadataError(
            f"the metadata lists {len(idps)} identity providers; "
            "name the one to use in login.saml.idp_entity_id"
        )
    return idps[0]


def _has_idp(entity: etree._Element) -> bool:
    return any(
        PROTOCOL in (d.get("protocolSupportEnumeration") or "").split()
        for d in entity.findall(qname(MD, "IDPSSODescriptor"))
    )


def _idp_descriptor(entity: etree._Element) -> etree._Element:
    for descriptor in entity.findall(qname(MD, "IDPSSODescriptor")):
        if PROTOCOL in (descriptor.get("protocolSupportEnumeration") or "").split():
            return descriptor
    raise MetadataError("the entity is not a SAML 2.0 identity provider")


def _certificates(descriptor: etree._Element) -> Iterable[str]:
    for key in descriptor.findall(qname(MD, "KeyDescriptor")):
        if key.get("use") not in (None, "signing"):
            continue
        for text in key.iter(qname(DS, "X509Certificate")):
            certificate = pem(text.text or "")
            try:
                x509.load_pem_x509_certificate(certificate.encode("ascii"))
            except ValueError:
                raise MetadataError(
                    "the identity provider's metadata has an unreadable certificate"
                ) from None
            yield certificate


def _endpoints(descriptor: etree._Element, name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for service in descriptor.findall(qname(MD, name)):
        binding, location = service.get("Binding"), service.get("Location")
        if binding in (REDIRECT, POST) and location and location.startswith(("https://", "http://")):
            found.setdefault(binding, location)
    return found


def sp_metadata(
    settings: SamlSettings, certificate_pem: str, encryption_pem: str, extra: Iterable[str]
) -> bytes:
    """Our metadata, for the federation and the identity provider: entity id, endpoints, keys, the
    attributes we ask for (``extra`` adds role-rule sources), SHA-2 only, entity categories, contacts."""
    ns = {"md": MD, "ds": DS, "mdattr": MDATTR, "saml": SAML, "mdui": MDUI, "alg": ALG}
    if settings.security_contact:
        ns["remd"] = REMD
    root = etree.Element(qname(MD, "EntityDescriptor"), nsmap=ns)
    root.set("entityID", settings.entity_id)
    extensions = etree.SubElement(root, qname(MD, "Extensions"))
    if settings.entity_categories:
        attributes = etree.SubElement(
            etree.SubElement(extensions, qname(MDATTR, "EntityAttributes")), qname(SAML, "Attribute")
        )
        attributes.set("Name", ENTITY_CATEGORY)
        attributes.set("NameFormat", URI_FORMAT)
        for category in settings.entity_categories:
            etree.SubElement(attributes, qname(SAML, "AttributeValue")).text = category
    for digest in sorted(DIGEST_METHODS):
        etree.SubElement(extensions, qname(ALG, "DigestMethod")).set("Algorithm", digest)
    for method in sorted(m for m in SIGNATURE_METHODS if "rsa" in m):
        etree.SubElement(extensions, qname(ALG, "SigningMethod")).set("Algorithm", method)
    sp = etree.SubElement(root, qname(MD, "SPSSODescriptor"))
    sp.set("protocolSupportEnumeration", PROTOCOL)
    sp.set("AuthnRequestsSigned", "true")
    sp.set("WantAssertionsSigned", "true")
    _ui_info(sp, settings)
    _key(sp, "signing", certificate_pem)
    _key(sp, "encryption", encryption_pem)
    _endpoint(sp, "SingleLogoutService", REDIRECT, settings.slo_url)
    etree.SubElement(sp, qname(MD, "NameIDFormat")).text = settings.name_id_format
    acs = _endpoint(sp, "AssertionConsumerService", POST, settings.acs_url)
    acs.set("index", "0")
    acs.set("isDefault", "true")
    _requested_attributes(sp, settings, extra)
    _organization(root, settings)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _ui_info(sp: etree._Element, settings: SamlSettings) -> None:
    texts = (
        ("DisplayName", settings.organization_name),
        ("InformationURL", settings.information_url),
        ("PrivacyStatementURL", settings.privacy_statement_url),
    )
    if not any(text for _, text in texts):
        return
    ui = etree.SubElement(etree.SubElement(sp, qname(MD, "Extensions")), qname(MDUI, "UIInfo"))
    for tag, text in texts:
        if text:
            element = etree.SubElement(ui, qname(MDUI, tag))
            element.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
            element.text = text


def _key(parent: etree._Element, use: str, certificate_pem: str) -> None:
    body = "".join(line for line in certificate_pem.strip().splitlines() if "-----" not in line)
    key = etree.SubElement(parent, qname(MD, "KeyDescriptor"))
    key.set("use", use)
    data = etree.SubElement(etree.SubElement(key, qname(DS, "KeyInfo")), qname(DS, "X509Data"))
    etree.SubElement(data, qname(DS, "X509Certificate")).text = body


def _endpoint(parent: etree._Element, name: str, binding: str, location: str) -> etree._Element:
    element = etree.SubElement(parent, qname(MD, name))
    element.set("Binding", binding)
    element.set("Location", location)
    return element


def _requested_attributes(sp: etree._Element, settings: SamlSettings, extra: Iterable[str]) -> None:
    required = {settings.attributes[a] for a in settings.required if a in settings.attributes}
    names = [settings.attributes[a] for a in ATTRIBUTES if a in settings.attributes]
    names += [*settings.identifiers.values(), *extra]
    service = etree.SubElement(sp, qname(MD, "AttributeConsumingService"))
    service.set("index", "0")
    label = etree.SubElement(service, qname(MD, "ServiceName"))
    label.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    label.text = settings.organization_name or "EMREX"
    for name in dict.fromkeys(names):
        wire = saml_name(name)
        attribute = etree.SubElement(service, qname(MD, "RequestedAttribute"))
        attribute.set("Name", wire)
        attribute.set(
            "NameFormat",
            URI_FORMAT if wire.startswith("urn:") else "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        )
        attribute.set("FriendlyName", FRIENDLY.get(wire, name))
        attribute.set("isRequired", "true" if name in required else "false")


def _organization(root: etree._Element, settings: SamlSettings) -> None:
    if settings.organization_name and settings.organization_url:
        organization = etree.SubElement(root, qname(MD, "Organization"))
        for tag, text in (
            ("OrganizationName", settings.organization_name),
            ("OrganizationDisplayName", settings.organization_name),
            ("OrganizationURL", settings.organization_url),
        ):
            element = etree.SubElement(organization, qname(MD, tag))
            element.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
            element.text = text
    for kind, address in (
        ("technical", settings.technical_contact),
        ("support", settings.support_contact),
        ("other", settings.security_contact),
    ):
        if address:
            contact = etree.SubElement(root, qname(MD, "ContactPerson"))
            contact.set("contactType", kind)
            if kind == "other":
                contact.set(qname(REMD, "contactType"), SECURITY_CONTACT)
            etree.SubElement(contact, qname(MD, "EmailAddress")).text = "mailto:" + address
