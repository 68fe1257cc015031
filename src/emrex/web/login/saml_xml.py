"""Checks on SAML XML before and after pysaml2 reads it: the shape of every signature, SHA-2 only, no
repeated ids, and verification of an enveloped signature with the ``xmlsec1`` program.

A SAML signature is enveloped in the element it signs and refers to that element's ``ID`` (SAML core
5.4). Signature wrapping attacks move a genuine signed element elsewhere and put a forged one where
the reader looks; refusing every other shape, and every repeated ``ID``, closes that door before
pysaml2 or xmlsec1 see the document.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable

from lxml import etree

from emrex.errors import EmrexError
from emrex.trust.algorithms import ENVELOPED, EXC_C14N, EXC_C14N_COMMENTS
from emrex.trust.c14n import check_namespace_load
from emrex.xml import DSIG_NS

DS = DSIG_NS  # the short name the SAML modules use
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
XENC = "http://www.w3.org/2001/04/xmlenc#"
CANONICALIZATIONS = frozenset({EXC_C14N, EXC_C14N_COMMENTS})
SIGNATURE_METHODS = frozenset(
    {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    }
)
DIGEST_METHODS = frozenset(
    {
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512",
    }
)
XMLSEC_TIMEOUT = 20
# A login answer has well under a hundred elements; a few hundred entitlements stay below this. pysaml2's
# schema validation takes about 0.15 ms per element (5500 attribute values: 0.8 s).
MAX_ELEMENTS = 2000


class SamlXmlError(EmrexError):
    """A SAML document has a shape or an algorithm we do not accept."""


def qname(namespace: str, name: str) -> str:
    return "{" + namespace + "}" + name


def check_load(root: etree._Element) -> None:
    """Bound the work xmlsec1 and pysaml2 will do: pysaml2's schema validation is slow per element, and
    libxml2's canonicalization grows with the namespace declarations in scope."""
    elements = int(root.xpath("count(//*)"))  # type: ignore[arg-type]
    if elements > MAX_ELEMENTS:
        raise SamlXmlError(f"the document has {elements} elements; a SAML message needs far fewer")
    try:
        check_namespace_load(root)
    except EmrexError as error:
        raise SamlXmlError(str(error)) from None


def check_ids(root: etree._Element) -> None:
    """No ``ID`` value may occur twice: xmlsec1 and pysaml2 could then look at different elements."""
    counts = Counter(e.get("ID") for e in root.iter() if e.get("ID") is not None)
    if any(n > 1 for n in counts.values()):
        raise SamlXmlError("an ID occurs twice in the document (a signature wrapping attempt)")


def check_signatures(root: etree._Element, allowed_parents: Iterable[str]) -> None:
    """Every ``ds:Signature`` must sit directly in an element of ``allowed_parents`` (Clark names),
    sign that element (one Reference to its ID, enveloped, exclusive C14N) and use SHA-2."""
    parents = frozenset(allowed_parents)
    for signature in root.iter(qname(DS, "Signature")):
        parent = signature.getparent()
        if parent is None or parent.tag not in parents:
            where = parent.tag if parent is not None else "nothing"
            raise SamlXmlError(
                f"a signature sits in {_short(where)}, where none belongs (signature wrapping)"
            )
        check_signature_shape(signature, parent)


def check_signature_shape(signature: etree._Element, signed: etree._Element) -> None:
    info = signature.find(qname(DS, "SignedInfo"))
    if info is None:
        raise SamlXmlError("a signature has no SignedInfo")
    references = info.findall(qname(DS, "Reference"))
    element_id = signed.get("ID")
    if len(references) != 1 or not element_id or references[0].get("URI") != "#" + element_id:
        raise SamlXmlError(
            f"a signature in {_short(signed.tag)} must cover exactly that element (one Reference to its ID)"
        )
    if signature.find(qname(DS, "Object")) is not None:
        raise SamlXmlError("a signature carries a ds:Object, which SAML does not allow")
    transforms = [t.get("Algorithm") for t in references[0].iter(qname(DS, "Transform"))]
    if ENVELOPED not in transforms or not set(transforms) <= CANONICALIZATIONS | {ENVELOPED}:
        raise SamlXmlError("a signature uses transforms other than enveloped-signature and exclusive C14N")
    method = info.find(qname(DS, "CanonicalizationMethod"))
    if method is None or method.get("Algorithm") not in CANONICALIZATIONS:
        raise SamlXmlError("a signature does not use exclusive canonicalization")
    check_algorithms(signature)


def check_algorithms(root: etree._Element) -> None:
    """SHA-2 signatures and digests only (SHA-1 is refused, wherever it appears)."""
    for element in root.iter(qname(DS, "SignatureMethod")):
        if element.get("Algorithm") not in SIGNATURE_METHODS:
            raise SamlXmlError(
                f"signature algorithm {str(element.get('Algorithm'))[:80]!r} is refused (use RSA-SHA256)"
            )
    for element in root.iter(qname(DS, "DigestMethod")):
        parent = element.getparent()
        in_reference = parent is not None and parent.tag == qname(DS, "Reference")
        if in_reference and element.get("Algorithm") not in DIGEST_METHODS:
            raise SamlXmlError(
                f"digest algorithm {str(element.get('Algorithm'))[:80]!r} is refused (use SHA-256)"
            )


def verify_enveloped(
    xmlsec: str, document: bytes, certificates: Iterable[str], node: str, node_id: str
) -> bool:
    """True when one of ``certificates`` (PEM) made the signature of the element ``node`` (a qualified
    name such as ``urn:…:metadata:EntityDescriptor``) whose ID is ``node_id``. The key comes from the
    certificate only: key data in the document's KeyInfo is not enabled."""
    with tempfile.TemporaryDirectory(prefix="emrex-saml-") as folder:
        data = os.path.join(folder, "document.xml")
        with open(data, "wb") as handle:
            handle.write(document)
        for index, pem in enumerate(certificates):
            cert = os.path.join(folder, f"cert{index}.pem")
            with open(cert, "w", encoding="ascii") as handle:
                handle.write(pem)
            command = [
                xmlsec,
                "--verify",
                "--enabled-reference-uris",
                "same-doc",
                "--enabled-key-data",
                "raw-x509-cert",
                "--pubkey-cert-pem",
                cert,
                "--id-attr:ID",
                node,
                "--node-id",
                node_id,
                data,
            ]
            try:
                done = subprocess.run(  # noqa: S603 - a fixed program, no shell
                    command, capture_output=True, timeout=XMLSEC_TIMEOUT, check=False
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if done.returncode == 0:
                return True
    return False


def pem(base64_der: str) -> str:
    """A PEM certificate from the base64 text of an ``X509Certificate`` element."""
    body = "".join(base64_der.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _short(tag: object) -> str:
    return str(tag).rpartition("}")[2] or str(tag)
