"""SP-initiated single logout: a signed LogoutRequest over HTTP-Redirect, and the identity provider's
LogoutResponse checked (its Redirect-binding signature over the query string as received, SHA-2 only,
issuer, destination, and ``InResponseTo`` of a logout we started)."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Mapping
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from emrex.errors import EmrexError
from emrex.web.login.saml import SUCCESS, Outgoing, SamlError, ServiceProvider, send
from emrex.web.login.saml_metadata import REDIRECT, IdpMetadata
from emrex.web.login.saml_xml import SAML, SAMLP, SIGNATURE_METHODS, qname
from emrex.xml import parse_untrusted

LOGOUT_REASON = "urn:oasis:names:tc:SAML:2.0:logout:user"


def logout_request(
    provider: ServiceProvider, name_id: Mapping[str, str], session_index: str
) -> tuple[str, Outgoing] | None:
    """A signed LogoutRequest for the identity provider, or None when it offers no single logout."""
    from saml2.saml import NameID  # pysaml2 is loaded (quietly) by emrex.web.login.saml

    idp, client = provider.current()
    if REDIRECT not in idp.slo or not name_id.get("text"):
        return None
    destination = idp.slo[REDIRECT]
    request_id, request = client.create_logout_request(
        destination,
        idp.entity_id,
        name_id=NameID(**dict(name_id)),
        reason=LOGOUT_REASON,
        session_indexes=[session_index] if session_index else None,
        sign=False,  # the Redirect binding signs the query string instead
    )
    return request_id, send(client, REDIRECT, str(request), destination, "SAMLRequest")


def check_logout_response(
    provider: ServiceProvider, raw_query: str, is_waiting: Callable[[str], bool]
) -> tuple[str, bool]:
    """(request id, logged out everywhere) from the identity provider's LogoutResponse (HTTP-Redirect).

    The query string's signature must be the identity provider's, with SHA-2."""
    idp, _ = provider.current()
    parts = _query_parts(raw_query)
    if "SAMLResponse" not in parts:
        raise SamlError("the identity provider's logout answer is missing (no SAMLResponse)")
    _check_redirect_signature(parts, idp)
    try:
        data = _inflate(unquote_plus(parts["SAMLResponse"]), provider.config.max_response_bytes)
        root = parse_untrusted(data, max_bytes=provider.config.max_response_bytes).getroot()
    except EmrexError as error:
        raise SamlError(f"the identity provider's logout answer is not usable: {error}") from None
    if root.tag != qname(SAMLP, "LogoutResponse"):
        raise SamlError("the message is not a SAML LogoutResponse")
    issuer = root.find(qname(SAML, "Issuer"))
    if issuer is None or (issuer.text or "").strip() != idp.entity_id:
        raise SamlError("the logout answer comes from another identity provider than the configured one")
    if root.get("Destination") != provider.config.slo_url:
        raise SamlError("the logout answer is addressed to another service")
    request_id = root.get("InResponseTo") or ""
    if not is_waiting(request_id):
        raise SamlError("this logout answer does not belong to a logout started here, or was used already")
    code = root.find(f"{qname(SAMLP, 'Status')}/{qname(SAMLP, 'StatusCode')}")
    return request_id, code is not None and code.get("Value") == SUCCESS


def _query_parts(raw_query: str) -> dict[str, str]:
    """Query parameters as they came (still URL-encoded): the Redirect binding signs those bytes."""
    parts: dict[str, str] = {}
    for piece in raw_query.split("&"):
        name, _, value = piece.partition("=")
        if name in parts:
            raise SamlError(f"the parameter {name} is given twice")
        parts[name] = value
    return parts


def _check_redirect_signature(parts: Mapping[str, str], idp: IdpMetadata) -> None:
    algorithm = unquote_plus(parts.get("SigAlg", ""))
    if "Signature" not in parts or not algorithm:
        raise SamlError("the identity provider's logout answer is not signed")
    if algorithm not in SIGNATURE_METHODS:
        raise SamlError(f"signature algorithm {algorithm!r} is refused (use RSA-SHA256)")
    signed = "&".join(
        f"{name}={parts[name]}" for name in ("SAMLResponse", "RelayState", "SigAlg") if name in parts
    ).encode("ascii", "replace")
    try:
        signature = base64.b64decode(unquote_plus(parts["Signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise SamlError("the logout answer's signature is not base64") from None
    digest = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[algorithm[-3:]]
    for pem in idp.signing_certificates:
        key = x509.load_pem_x509_certificate(pem.encode("ascii")).public_key()
        try:
            if isinstance(key, rsa.RSAPublicKey) and "rsa-" in algorithm:
                key.verify(signature, signed, padding.PKCS1v15(), digest)
                return
            if isinstance(key, ec.EllipticCurvePublicKey) and "ecdsa-" in algorithm:
                key.verify(signature, signed, ec.ECDSA(digest))
                return
        except InvalidSignature:
            continue
    raise SamlError("the logout answer's signature is not the identity provider's")


def _inflate(encoded: str, limit: int) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
        inflater = zlib.decompressobj(-15)
        data = inflater.decompress(raw, limit + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise SamlError("the logout answer cannot be unpacked (base64 of DEFLATE)") from None
    if len(data) > limit:
        raise SamlError(f"the logout answer is larger than {limit} bytes")
    return data
