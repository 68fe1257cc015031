"""Signing ELMO documents: enveloped XML-DSig over the whole document, RSA-SHA256, never SHA-1."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from emrex.trust import algorithms
from emrex.trust.c14n import canonical_document, canonical_element, detach
from emrex.trust.certs import (
    load_certificate,
    load_private_key,
    require_valid,
    subject_text,
)
from emrex.trust.errors import AlreadySigned, CertificateError, DisallowedAlgorithm
from emrex.xml import DSIG_NS, localname, parse_untrusted

_DS = "{" + DSIG_NS + "}"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_DSIG_NS = DSIG_NS.encode()
# A start tag in canonical form: attribute values in double quotes, which may hold '>'.
_START_TAG = re.compile(rb'<[^>"]*(?:"[^"]*"[^>"]*)*>')


class Signer:
    """Holds a loaded key and its certificate; load once, sign many documents (key loading is slow)."""

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        *,
        signature_method: str = algorithms.RSA_SHA256,
        digest_method: str = algorithms.SHA256,
        c14n_method: str = algorithms.C14N,
    ) -> None:
        if signature_method in algorithms.SHA1_METHODS or digest_method in algorithms.SHA1_METHODS:
            raise DisallowedAlgorithm("signing with SHA-1 is not allowed; use SHA-256 or SHA-512")
        if (
            signature_method not in algorithms.SIGNATURE_METHODS
            or digest_method not in algorithms.DIGEST_METHODS
        ):
            raise DisallowedAlgorithm(f"unsupported signing algorithms {signature_method}, {digest_method}")
        if c14n_method not in (algorithms.C14N, algorithms.EXC_C14N):
            raise DisallowedAlgorithm(f"sign with inclusive or exclusive C14N 1.0, not {c14n_method}")
        if not isinstance(key, rsa.RSAPrivateKey):
            raise CertificateError("ELMO signatures need an RSA private key")
        if key.public_key().public_numbers() != _rsa_numbers(certificate):
            raise CertificateError(
                f"the private key does not belong to the certificate {subject_text(certificate)}"
            )
        self.key = key
        self.certificate = certificate
        self.signature_method = signature_method
        self.digest_method = digest_method
        self.c14n_method = c14n_method
        self._certificate_b64 = base64.b64encode(
            certificate.public_bytes(serialization.Encoding.DER)
        ).decode()

    @classmethod
    def from_pem(cls, key_data: bytes, certificate_data: bytes, password: bytes | None = None) -> Signer:
        return cls(load_private_key(key_data, password), load_certificate(certificate_data))

    @classmethod
    def from_files(
        cls, key_path: str | Path, certificate_path: str | Path, password: bytes | None = None
    ) -> Signer:
        """Load the key and certificate files; errors name the file (CertificateError)."""
        key_data, cert_data = _read(key_path), _read(certificate_path)
        try:
            key = load_private_key(key_data, password)
        except CertificateError as exc:
            raise CertificateError(f"{key_path}: {exc}") from None
        try:
            return cls(key, load_certificate(cert_data))
        except CertificateError as exc:
            raise CertificateError(f"{certificate_path}: {exc}") from None

    def sign(self, xml: bytes, *, replace: bool = False, at: dt.datetime | None = None) -> bytes:
        """``xml`` with a ``ds:Signature`` as the last child of its root, as UTF-8 bytes.

        An existing signature on the root is refused, or removed first when ``replace`` is set. The
        certificate must be valid at ``at`` (default now): a document nobody can verify is refused here.
        """
        require_valid(self.certificate, at or dt.datetime.now(dt.UTC))
        tree = parse_untrusted(xml)
        root = tree.getroot()
        existing = [child for child in root if child.tag == _DS + "Signature"]
        if existing and not replace:
            raise AlreadySigned(f"<{localname(root)}> is signed already; pass replace to sign it anew")
        for old in existing:
            detach(old)

        self._append_signature(root, canonical_document(tree, self.c14n_method))
        return _DECLARATION + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)

    def sign_canonical(self, xml: bytes, *, at: dt.datetime | None = None) -> bytes:
        """``sign`` for a document whose bytes after the XML declaration, but for a final newline, are its
        inclusive C14N 1.0 form (``writer.written_elmo`` says when): the digest is taken of them as they
        are and the signature is written in before the root's end tag, without parsing the document.

        The signed document is ``sign``'s but for empty elements, left as ``<a></a>`` where ``sign``
        writes ``<a/>``: the same canonical form, so the same digest and signature value. Signers with
        another canonicalization, and documents signed already, go through ``sign``.
        """
        body = xml[len(_DECLARATION) :]
        if (
            self.c14n_method != algorithms.C14N
            or not xml.startswith(_DECLARATION)
            or _DSIG_NS in body  # signed already, perhaps
        ):
            return self.sign(xml, at=at)
        require_valid(self.certificate, at or dt.datetime.now(dt.UTC))
        if body.endswith(b"\n"):
            body = body[:-1]
        end = body.rindex(b"</")
        start = _START_TAG.match(body)
        if start is None:
            return self.sign(xml, at=at)  # not canonical: let the parser say what is wrong
        # The root alone (its start and end tags), for the namespaces and xml:* attributes in scope of
        # the signature.
        shell = parse_untrusted(start.group() + body[end:]).getroot()
        signature = self._append_signature(shell, body)
        written = etree.tostring(signature, encoding="UTF-8", xml_declaration=False, with_tail=False)
        return b"".join((_DECLARATION, body[:end], written, body[end:]))

    def _append_signature(self, root: etree._Element, canonical: bytes) -> etree._Element:
        """Appends to ``root`` the signature of the document whose canonical form is ``canonical``."""
        digest = hashes.Hash(algorithms.hash_for(self.digest_method))
        digest.update(canonical)
        signature = etree.SubElement(root, _DS + "Signature", nsmap={None: DSIG_NS})  # type: ignore[dict-item]
        signed_info = _sub(signature, "SignedInfo")
        _sub(signed_info, "CanonicalizationMethod").set("Algorithm", self.c14n_method)
        _sub(signed_info, "SignatureMethod").set("Algorithm", self.signature_method)
        reference = _sub(signed_info, "Reference")
        reference.set("URI", "")
        transforms = _sub(reference, "Transforms")
        _sub(transforms, "Transform").set("Algorithm", algorithms.ENVELOPED)
        if self.c14n_method != algorithms.C14N:
            _sub(transforms, "Transform").set("Algorithm", self.c14n_method)
        _sub(reference, "DigestMethod").set("Algorithm", self.digest_method)
        _sub(reference, "DigestValue").text = base64.b64encode(digest.finalize()).decode()

        value = self.key.sign(
            canonical_element(signed_info, self.c14n_method),
            padding.PKCS1v15(),
            algorithms.hash_for(self.signature_method),
        )
        _sub(signature, "SignatureValue").text = base64.b64encode(value).decode()
        _sub(_sub(_sub(signature, "KeyInfo"), "X509Data"), "X509Certificate").text = self._certificate_b64
        return signature


def sign(
    xml: bytes,
    key: rsa.RSAPrivateKey | bytes,
    certificate: x509.Certificate | bytes,
    *,
    replace: bool = False,
) -> bytes:
    """Sign ``xml`` once; to sign many documents, keep a ``Signer``."""
    loaded_key = load_private_key(key) if isinstance(key, bytes) else key
    loaded_cert = load_certificate(certificate) if isinstance(certificate, bytes) else certificate
    return Signer(loaded_key, loaded_cert).sign(xml, replace=replace)


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CertificateError(f"{path}: cannot read ({exc.strerror})") from None


def _sub(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, _DS + name)


def _rsa_numbers(certificate: x509.Certificate) -> rsa.RSAPublicNumbers | None:
    key = certificate.public_key()
    return key.public_numbers() if isinstance(key, rsa.RSAPublicKey) else None
