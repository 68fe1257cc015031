"""Verifying the enveloped XML signature of an ELMO document against pinned certificates.

Only one shape is accepted: a single ``ds:Signature`` child of the root whose ``SignedInfo`` has one
``Reference`` with ``URI=""``, the enveloped-signature transform and at most one C14N transform. The
key comes from the certificates the caller trusts (the EMP's registry entry), never from ``KeyInfo``.
The result carries the canonical bytes that were digested; callers read those, never the input.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from emrex.trust import algorithms
from emrex.trust.algorithms import EXC_C14N_NS, Algorithms, short_name
from emrex.trust.c14n import canonical_document, canonical_element, detach
from emrex.trust.certs import fingerprint, require_valid, subject_text
from emrex.trust.errors import (
    DigestMismatch,
    DisallowedAlgorithm,
    MalformedSignature,
    NoSignature,
    SignatureError,
    SignatureValueMismatch,
    UntrustedSigner,
)
from emrex.trust.policy import DEFAULT_POLICY, VerifyPolicy
from emrex.xml import DEFAULT_MAX_XML_BYTES, DEFAULT_MAX_XML_ELEMENTS, DSIG_NS, localname, parse_untrusted

_DS = "{" + DSIG_NS + "}"
# KeyInfo only names the signer when no trusted key matched; each certificate tried costs a parse and
# an RSA check, and a signer sends its own certificate, perhaps with its chain.
MAX_KEY_INFO_CERTIFICATES = 4


@dataclass(frozen=True)
class Verified:
    """What was signed, who signed it (the trusted certificate that matched) and how."""

    signed_xml: bytes  # the canonical document without its signature and comments: exactly what was digested
    certificate: x509.Certificate
    algorithms: Algorithms
    warnings: tuple[str, ...] = field(default=())

    @cached_property
    def signed_tree(self) -> etree._ElementTree:
        """The signed document as a tree (parsed from ``signed_xml`` on first use)."""
        # Already parsed within the caller's limits before it was canonicalized.
        data = self.signed_xml
        return parse_untrusted(
            data,
            max_bytes=max(DEFAULT_MAX_XML_BYTES, len(data)),
            max_elements=max(DEFAULT_MAX_XML_ELEMENTS, data.count(b"<")),
        )

    @property
    def signer(self) -> str:
        return subject_text(self.certificate)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


@dataclass(frozen=True)
class _Parts:
    signature: etree._Element
    signed_info: etree._Element
    c14n: str
    c14n_prefixes: tuple[str, ...]
    signature_method: str
    reference_c14n: str
    reference_prefixes: tuple[str, ...]
    digest_method: str
    digest_value: bytes
    signature_value: bytes
    key_info_certificates: tuple[bytes, ...]


def verify(
    document: bytes,
    trusted_certificates: x509.Certificate | Iterable[x509.Certificate],
    policy: VerifyPolicy = DEFAULT_POLICY,
) -> Verified:
    """Check the signature of ``document`` (XML bytes) against any one of ``trusted_certificates``."""
    trusted = (
        (trusted_certificates,)
        if isinstance(trusted_certificates, x509.Certificate)
        else tuple(trusted_certificates)
    )
    if not trusted:
        raise UntrustedSigner("no trusted certificate was given to check the signature against")
    tree = parse_untrusted(document, max_bytes=policy.max_bytes, max_elements=policy.max_elements)
    root = tree.getroot()
    parts = _read(_the_signature(root))
    warnings = _check_algorithms(parts, policy)

    # The signature over SignedInfo first: a few elements, checked against the pinned keys in well
    # under a millisecond. Only a document one of them signed is canonicalized and digested whole.
    signed_info_c14n = canonical_element(parts.signed_info, parts.c14n, parts.c14n_prefixes)
    certificate = _matching_certificate(trusted, parts, signed_info_c14n)
    if certificate is None:
        raise _mismatch(parts, signed_info_c14n, len(trusted))
    require_valid(certificate, policy.moment())
    warnings += _key_warnings(certificate, parts, policy)

    nested = len(root.findall(f".//{_DS}Signature")) - 1
    detach(parts.signature)
    signed_xml = canonical_document(tree, parts.reference_c14n, parts.reference_prefixes)
    digest = hashes.Hash(algorithms.hash_for(parts.digest_method))
    digest.update(signed_xml)
    if not hmac.compare_digest(digest.finalize(), parts.digest_value):
        raise DigestMismatch(
            "the document was changed after it was signed "
            f"({short_name(parts.digest_method)} digest mismatch)"
        )
    if nested > 0:
        warnings.append(
            f"the signed content holds {nested} more signature(s) inside it; they were not checked"
        )
    used = Algorithms(
        c14n=parts.c14n,
        signature=parts.signature_method,
        digest=parts.digest_method,
        reference_c14n=parts.reference_c14n,
    )
    return Verified(signed_xml=signed_xml, certificate=certificate, algorithms=used, warnings=tuple(warnings))


def _the_signature(root: etree._Element) -> etree._Element:
    found = [child for child in root if child.tag == _DS + "Signature"]
    if not found:
        deeper = root.find(f".//{_DS}Signature")
        parent = deeper.getparent() if deeper is not None else None
        where = f" (there is one inside <{localname(parent)}>)" if parent is not None else ""
        raise NoSignature(f"the document is not signed: <{localname(root)}> has no Signature child{where}")
    if len(found) > 1:
        raise MalformedSignature(
            f"<{localname(root)}> has {len(found)} Signature children; exactly one is allowed"
        )
    return found[0]


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _expect(element: etree._Element | None, name: str, where: str) -> etree._Element:
    if element is None or element.tag != _DS + name:
        found = f"<{localname(element)}>" if element is not None else "nothing"
        raise MalformedSignature(f"expected <{name}> in <{where}>, found {found}")
    return element


def _read(signature: etree._Element) -> _Parts:
    children = _elements(signature)
    signed_info = _expect(children[0] if children else None, "SignedInfo", "Signature")
    signature_value = _expect(children[1] if len(children) > 1 else None, "SignatureValue", "Signature")
    key_info_certs: tuple[bytes, ...] = ()
    for index, extra in enumerate(children[2:]):
        if extra.tag == _DS + "KeyInfo" and index == 0:
            found = extra.iterfind(f"{_DS}X509Data/{_DS}X509Certificate")
            key_info_certs = tuple(
                (cert.text or "").encode("ascii", "replace")
                for cert, _ in zip(found, range(MAX_KEY_INFO_CERTIFICATES), strict=False)
            )
        elif extra.tag == _DS + "Object":
            raise MalformedSignature(
                "the signature carries <Object> elements, which ELMO signatures must not"
            )
        else:
            raise MalformedSignature(f"unexpected <{localname(extra)}> in <Signature> after <SignatureValue>")

    info = _elements(signed_info)
    c14n_method = _expect(info[0] if info else None, "CanonicalizationMethod", "SignedInfo")
    signature_method = _expect(info[1] if len(info) > 1 else None, "SignatureMethod", "SignedInfo")
    references = info[2:]
    if len(references) != 1 or any(ref.tag != _DS + "Reference" for ref in references):
        raise MalformedSignature(
            f"SignedInfo must hold exactly one <Reference>, it holds {len(references)} other element(s)"
        )
    if _elements(signature_method):
        raise MalformedSignature("<SignatureMethod> must be empty (no HMACOutputLength or parameters)")
    reference = references[0]
    if reference.get("URI") != "":
        raise MalformedSignature(
            f'the Reference must cover the whole document (URI=""), not URI={reference.get("URI")!r}'
        )
    ref_children = _elements(reference)
    if len(ref_children) != 3:
        raise MalformedSignature("the Reference must hold <Transforms>, <DigestMethod> and <DigestValue>")
    transforms = _expect(ref_children[0], "Transforms", "Reference")
    digest_method = _expect(ref_children[1], "DigestMethod", "Reference")
    digest_value = _expect(ref_children[2], "DigestValue", "Reference")
    if _elements(digest_method):
        raise MalformedSignature("<DigestMethod> must be empty")
    reference_c14n, reference_prefixes = _read_transforms(transforms)
    c14n = _algorithm(c14n_method)
    return _Parts(
        signature=signature,
        signed_info=signed_info,
        c14n=c14n,
        c14n_prefixes=_prefix_list(c14n_method),
        signature_method=_algorithm(signature_method),
        reference_c14n=reference_c14n,
        reference_prefixes=reference_prefixes,
        digest_method=_algorithm(digest_method),
        digest_value=_base64(digest_value, "DigestValue"),
        signature_value=_base64(signature_value, "SignatureValue"),
        key_info_certificates=key_info_certs,
    )


def _read_transforms(transforms: etree._Element) -> tuple[str, tuple[str, ...]]:
    steps = _elements(transforms)
    if not steps or any(step.tag != _DS + "Transform" for step in steps):
        raise MalformedSignature(
            "<Transforms> must hold <Transform> elements, starting with enveloped-signature"
        )
    if _algorithm(steps[0]) != algorithms.ENVELOPED:
        raise MalformedSignature(
            f"the first transform must be enveloped-signature, not {short_name(_algorithm(steps[0]))}"
        )
    if _elements(steps[0]):
        raise MalformedSignature("the enveloped-signature transform takes no parameters")
    if any(_algorithm(step) == algorithms.ENVELOPED for step in steps[1:]):
        raise MalformedSignature("the enveloped-signature transform appears more than once")
    if len(steps) > 2:
        raise MalformedSignature(
            f"{len(steps)} transforms; only enveloped-signature and one canonicalization are allowed"
        )
    if len(steps) == 1:
        return algorithms.C14N, ()
    method = _algorithm(steps[1])
    if method not in algorithms.C14N_METHODS:
        raise DisallowedAlgorithm(
            f"the transform {short_name(method)} is not allowed (only enveloped-signature and C14N 1.0)"
        )
    return method, _prefix_list(steps[1])


def _algorithm(element: etree._Element) -> str:
    value = element.get("Algorithm")
    if not value:
        raise MalformedSignature(f"<{localname(element)}> has no Algorithm attribute")
    return value.strip()


def _prefix_list(element: etree._Element) -> tuple[str, ...]:
    children = _elements(element)
    if not children:
        return ()
    if len(children) > 1 or children[0].tag != "{" + EXC_C14N_NS + "}InclusiveNamespaces":
        raise MalformedSignature(f"unexpected <{localname(children[-1])}> in <{localname(element)}>")
    if not algorithms.is_exclusive(_algorithm(element)):
        raise MalformedSignature("InclusiveNamespaces belongs to exclusive canonicalization only")
    return tuple((children[0].get("PrefixList") or "").split())


def _base64(element: etree._Element, name: str) -> bytes:
    text = "".join((element.text or "").split())
    if _elements(element) or not text:
        raise MalformedSignature(f"<{name}> must hold base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedSignature(f"<{name}> is not valid base64") from None


def _check_algorithms(parts: _Parts, policy: VerifyPolicy) -> list[str]:
    checks = (
        ("canonicalization", parts.c14n, policy.c14n_methods, algorithms.C14N_METHODS),
        ("canonicalization", parts.reference_c14n, policy.c14n_methods, algorithms.C14N_METHODS),
        ("signature method", parts.signature_method, policy.signature_methods, algorithms.SIGNATURE_METHODS),
        ("digest method", parts.digest_method, policy.digest_methods, algorithms.DIGEST_METHODS),
    )
    for family, uri, allowed, known in checks:
        if uri not in known:
            raise DisallowedAlgorithm(f"the {family} {uri} is not supported")
        if uri not in allowed:
            accepted = ", ".join(sorted(short_name(a) for a in allowed)) or "none"
            raise DisallowedAlgorithm(
                f"the {family} {short_name(uri)} is not accepted by the policy (accepted: {accepted})"
            )
    weak = [
        short_name(uri)
        for uri in (parts.signature_method, parts.digest_method)
        if uri in algorithms.SHA1_METHODS
    ]
    if not weak:
        return []
    if policy.sha1 == "reject":
        raise DisallowedAlgorithm(f"the signature uses SHA-1 ({', '.join(weak)}), which the policy rejects")
    return [f"the signature uses SHA-1 ({', '.join(weak)}), which is weak; the EMP should move to SHA-256"]


def _signature_matches(key: object, parts: _Parts, signed_info_c14n: bytes) -> bool:
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(
            parts.signature_value,
            signed_info_c14n,
            padding.PKCS1v15(),
            algorithms.hash_for(parts.signature_method),
        )
    except InvalidSignature:
        return False
    return True


def _matching_certificate(
    trusted: tuple[x509.Certificate, ...], parts: _Parts, signed_info_c14n: bytes
) -> x509.Certificate | None:
    for certificate in trusted:
        if _signature_matches(certificate.public_key(), parts, signed_info_c14n):
            return certificate
    return None


def _key_info_certificate(data: bytes) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(base64.b64decode(b"".join(data.split()), validate=True))
    except (binascii.Error, ValueError):
        return None


def _mismatch(parts: _Parts, signed_info_c14n: bytes, count: int) -> SignatureError:
    """Why no trusted certificate matched: a known but untrusted signer, or a wrong/altered value."""
    for data in parts.key_info_certificates:
        embedded = _key_info_certificate(data)
        if embedded is not None and _signature_matches(embedded.public_key(), parts, signed_info_c14n):
            return UntrustedSigner(
                f"the document was signed by {subject_text(embedded)} (SHA-256 {fingerprint(embedded)}), "
                "which is not a trusted certificate"
            )
    return SignatureValueMismatch(
        f"the signature value matches none of the {count} trusted certificate(s): "
        "signed by another key, or the signature was altered"
    )


def _key_warnings(certificate: x509.Certificate, parts: _Parts, policy: VerifyPolicy) -> list[str]:
    warnings: list[str] = []
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < policy.min_rsa_bits:
            raise DisallowedAlgorithm(
                f"the signing key has {key.key_size} bits, fewer than the policy's {policy.min_rsa_bits}"
            )
        if key.key_size < 2048:
            warnings.append(f"the signing key has only {key.key_size} bits; 2048 or more is expected")
    embedded = [_key_info_certificate(data) for data in parts.key_info_certificates]
    if embedded and certificate not in embedded:
        warnings.append(
            "the certificate in KeyInfo is not the trusted certificate that verified the signature"
        )
    return warnings
