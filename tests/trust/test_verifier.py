from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from emrex.elmo import codec
from emrex.errors import XmlError
from emrex.trust import algorithms
from emrex.trust.ca import Issued, issue
from emrex.trust.certs import load_certificate
from emrex.trust.errors import (
    CertificateExpired,
    CertificateNotYetValid,
    DigestMismatch,
    DisallowedAlgorithm,
    NoSignature,
    SignatureValueMismatch,
    UntrustedSigner,
)
from emrex.trust.policy import VerifyPolicy
from emrex.trust.signer import Signer
from emrex.trust.verifier import verify
from tests.trust.oracles import xmlsec_sign, xmlsec_sign_template

DS = "{http://www.w3.org/2000/09/xmldsig#}"
ELMO = "{https://github.com/emrex-eu/elmo-schemas/tree/v1}"


def test_result_is_the_signed_document_without_its_signature(signed: bytes, emp: Issued) -> None:
    result = verify(signed, emp.certificate)
    assert result.certificate == emp.certificate
    assert result.warnings == ()
    assert result.algorithms == algorithms.Algorithms(
        algorithms.C14N, algorithms.RSA_SHA256, algorithms.SHA256, algorithms.C14N
    )
    assert b"Signature" not in result.signed_xml
    root = result.signed_tree.getroot()
    assert root.tag == ELMO + "elmo"
    assert root.findtext(f"{ELMO}learner/{ELMO}givenNames") == "Åsa Žofie"
    assert result.fingerprint.count(":") == 31


def test_any_of_several_trusted_certificates_may_match(signed: bytes, emp: Issued, other: Issued) -> None:
    assert verify(signed, [other.certificate, emp.certificate]).certificate == emp.certificate


def test_signer_not_trusted_is_named(signed: bytes, other: Issued) -> None:
    with pytest.raises(UntrustedSigner, match=r"signed by CN=EMP Nordvik.*not a trusted certificate"):
        verify(signed, other.certificate)
    with pytest.raises(UntrustedSigner, match="no trusted certificate"):
        verify(signed, [])


def _edit(document: bytes, change: str) -> bytes:
    root = etree.fromstring(document)
    sig = root[-1]
    if change == "drop-keyinfo":
        sig.remove(sig.find(DS + "KeyInfo"))
    elif change == "signature-value":
        value = sig.find(DS + "SignatureValue")
        value.text = ("B" if value.text[0] == "A" else "A") + value.text[1:]  # type: ignore[index,union-attr]
    return etree.tostring(root)


def test_wrong_key_without_keyinfo_or_altered_value_is_a_value_mismatch(
    signed: bytes, emp: Issued, other: Issued
) -> None:
    with pytest.raises(SignatureValueMismatch, match="none of the 1 trusted"):
        verify(_edit(signed, "drop-keyinfo"), other.certificate)
    with pytest.raises(SignatureValueMismatch):
        verify(_edit(signed, "signature-value"), emp.certificate)
    assert verify(_edit(signed, "drop-keyinfo"), emp.certificate).certificate == emp.certificate


def test_keyinfo_is_never_the_trust_anchor_and_a_different_one_is_reported(
    elmo: bytes, emp: Issued, other: Issued
) -> None:
    # Signed by emp but carrying other's certificate in KeyInfo: verifies against emp, with a warning.
    signed = Signer(emp.key, emp.certificate).sign(elmo)
    root = etree.fromstring(signed)
    cert_el = root.find(f"{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert cert_el is not None
    cert_el.text = Signer(other.key, other.certificate)._certificate_b64
    swapped = etree.tostring(root)
    result = verify(swapped, emp.certificate)
    assert any("KeyInfo" in w for w in result.warnings)
    with pytest.raises(SignatureValueMismatch):
        verify(swapped, other.certificate)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<givenNames>\xc3\x85sa", b"<givenNames>Asa"),  # text
        (b'type="nationalIdentifier"', b'type="esi"'),  # attribute value
        (b"<familyName>", b'<familyName extra="1">'),  # added attribute
        (b"<citizenship>SE</citizenship>", b""),  # removed element
        (b"</citizenship>", b"</citizenship><gender>1</gender>"),  # added element
        (b"<resultLabel>", b"<resultLabel> "),  # whitespace inside signed text
        (b"<generatedDate>", b"\n<generatedDate>"),  # whitespace between elements is signed too
    ],
    ids=["text", "attribute", "new-attribute", "removed-element", "added-element", "space-in-text", "space"],
)
def test_any_change_to_signed_content_fails_the_digest(
    signed: bytes, emp: Issued, old: bytes, new: bytes
) -> None:
    assert old in signed
    with pytest.raises(DigestMismatch, match="changed after it was signed"):
        verify(signed.replace(old, new, 1), emp.certificate)


def test_recomputing_the_digest_after_a_change_fails_the_signature_value(signed: bytes, emp: Issued) -> None:
    from base64 import b64encode

    from emrex.trust.c14n import canonical_document, detach

    tampered = signed.replace(b"<givenNames>\xc3\x85sa", b"<givenNames>Eve", 1)
    tree = etree.fromstring(tampered).getroottree()
    sig = tree.getroot()[-1]
    digest_el = sig.find(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue")
    copy = etree.fromstring(tampered).getroottree()
    detach(copy.getroot()[-1])
    import hashlib

    assert digest_el is not None
    digest_el.text = b64encode(hashlib.sha256(canonical_document(copy, algorithms.C14N)).digest()).decode()
    with pytest.raises(SignatureValueMismatch):
        verify(etree.tostring(tree), emp.certificate)


@pytest.mark.parametrize(
    ("c14n", "signature", "digest", "reference_c14n", "prefix"),
    [
        (algorithms.C14N, algorithms.RSA_SHA256, algorithms.SHA256, None, None),
        (algorithms.C14N, algorithms.RSA_SHA1, algorithms.SHA256, None, None),  # the Danish mix
        (algorithms.C14N, algorithms.RSA_SHA1, algorithms.SHA1, None, None),  # fi-ncp, Norway
        (algorithms.EXC_C14N, algorithms.RSA_SHA1, algorithms.SHA1, algorithms.EXC_C14N, None),  # Croatia
        (algorithms.C14N_COMMENTS, algorithms.RSA_SHA512, algorithms.SHA512, algorithms.C14N_COMMENTS, "ds"),
        (algorithms.EXC_C14N_COMMENTS, algorithms.RSA_SHA256, algorithms.SHA512, algorithms.EXC_C14N, "ds"),
    ],
)
def test_signatures_made_by_libxmlsec_verify(
    elmo: bytes,
    emp: Issued,
    c14n: str,
    signature: str,
    digest: str,
    reference_c14n: str | None,
    prefix: str | None,
) -> None:
    # A comment in the document: signed with URI="" it is never part of the digest.
    document = elmo.replace(b"<learner>", b"<learner><!-- hi -->", 1)
    signed = xmlsec_sign(
        document,
        emp,
        c14n=c14n,
        signature=signature,
        digest=digest,
        reference_c14n=reference_c14n,
        prefix=prefix,
    )
    result = verify(signed, emp.certificate)
    assert result.algorithms.signature == signature
    assert result.algorithms.digest == digest
    uses_sha1 = algorithms.SHA1 in (signature, digest) or algorithms.RSA_SHA1 in (signature, digest)
    assert any("SHA-1" in w for w in result.warnings) == uses_sha1
    if uses_sha1:
        with pytest.raises(DisallowedAlgorithm, match=r"SHA-1.*policy rejects"):
            verify(signed, emp.certificate, VerifyPolicy(sha1="reject"))


@pytest.mark.parametrize("first", [False, True], ids=["last", "first"])
def test_text_after_the_signature_stays_part_of_the_signed_document(
    elmo: bytes, emp: Issued, first: bool
) -> None:
    signed = xmlsec_sign(elmo, emp, first=first, tail="\n  ")
    result = verify(signed, emp.certificate)
    assert b"\n  " in result.signed_xml
    # Removing that text afterwards is a change like any other.
    without = etree.fromstring(signed)
    without.find(DS + "Signature").tail = None  # type: ignore[union-attr]
    with pytest.raises(DigestMismatch):
        verify(etree.tostring(without), emp.certificate)


_TEMPLATE = (
    b'<elmo xmlns="urn:e" xmlns:top="urn:top" xml:lang="en"><a>1</a>'
    b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:sig="urn:sig">'
    b'<ds:SignedInfo xmlns:si="urn:si"><ds:CanonicalizationMethod Algorithm="C14N"/>'
    b'<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    b'<ds:Reference URI="" xmlns:foo="urn:foo"><ds:Transforms>'
    b'<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>'
    b'<ds:DigestMethod xmlns="urn:other" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    b"<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature></elmo>"
)


@pytest.mark.parametrize("c14n", [algorithms.C14N, algorithms.EXC_C14N, algorithms.C14N_COMMENTS])
def test_namespace_declarations_in_and_around_signed_info(emp: Issued, c14n: str) -> None:
    # Unused prefixes on ancestors and descendants, and a default namespace redeclared inside SignedInfo:
    # inclusive C14N renders them, exclusive C14N drops them; both as libxmlsec1 does.
    signed = xmlsec_sign_template(_TEMPLATE.replace(b'"C14N"', f'"{c14n}"'.encode()), emp)
    assert verify(signed, emp.certificate).algorithms.c14n == c14n


def test_policy_limits_each_algorithm_family(elmo: bytes, emp: Issued) -> None:
    exclusive = xmlsec_sign(elmo, emp, c14n=algorithms.EXC_C14N)
    inclusive_only = VerifyPolicy(c14n_methods=frozenset({algorithms.C14N}))
    with pytest.raises(DisallowedAlgorithm, match="exc-c14n is not accepted"):
        verify(exclusive, emp.certificate, inclusive_only)
    sha512_only = VerifyPolicy(digest_methods=frozenset({algorithms.SHA512}))
    with pytest.raises(DisallowedAlgorithm, match="digest method sha256"):
        verify(xmlsec_sign(elmo, emp), emp.certificate, sha512_only)
    with pytest.raises(ValueError, match="sha1 must be"):
        VerifyPolicy(sha1="warn")
    with pytest.raises(ValueError, match="time zone"):
        VerifyPolicy(at=dt.datetime(2030, 1, 1))


def test_certificate_validity_is_checked_at_the_configured_time(signed: bytes, emp: Issued) -> None:
    after = emp.certificate.not_valid_after_utc + dt.timedelta(seconds=1)
    with pytest.raises(CertificateExpired, match="expired on"):
        verify(signed, emp.certificate, VerifyPolicy(at=after))
    before = emp.certificate.not_valid_before_utc - dt.timedelta(seconds=1)
    with pytest.raises(CertificateNotYetValid, match="not valid before"):
        verify(signed, emp.certificate, VerifyPolicy(at=before))
    assert verify(signed, emp.certificate, VerifyPolicy(at=after - dt.timedelta(days=1)))


def test_small_keys_warn_or_fail_by_policy(ca: Issued, elmo: bytes) -> None:
    small_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point
    small = issue(ca, "Small EMP", key=small_key)
    signed = xmlsec_sign(elmo, small)
    assert any("1024 bits" in w for w in verify(signed, small.certificate).warnings)
    with pytest.raises(DisallowedAlgorithm, match="fewer than"):
        verify(signed, small.certificate, VerifyPolicy(min_rsa_bits=2048))


def test_unsigned_and_unparsable_documents(elmo: bytes, emp: Issued) -> None:
    with pytest.raises(NoSignature, match="not signed"):
        verify(elmo, emp.certificate)
    with pytest.raises(XmlError):
        verify(b"<elmo>", emp.certificate)


# --- documents from other implementations (README of the interop corpus) ---


@pytest.fixture(scope="module")
def dk_cert(interop_dir: Path) -> x509.Certificate:
    return load_certificate((interop_dir / "certs" / "dk-emrex__dk-emrex-test.cer").read_bytes())


@pytest.mark.parametrize(
    "name",
    [
        "signed-valid/dk-emrex__elmo-tomcat-signed.xml",
        "transport/dk-emrex__elmo-tomcat-signed-zipped-base64.txt",
        "transport/dk-emrex__wl.txt",
    ],
)
def test_interop_documents_that_verify(interop_dir: Path, dk_cert: x509.Certificate, name: str) -> None:
    document = codec.decode((interop_dir / name).read_bytes())
    result = verify(document, dk_cert)
    assert "Niels Kildeskov" in result.signer
    assert any("SHA-1" in w for w in result.warnings)
    learner = result.signed_tree.getroot().find(f"{ELMO}learner")
    assert learner is not None and learner.findtext(f"{ELMO}familyName") == "Hansen"
    with pytest.raises(DisallowedAlgorithm):
        verify(document, dk_cert, VerifyPolicy(sha1="reject"))


@pytest.mark.parametrize(
    ("name", "cert", "kind"),
    [
        # A genuine signature over a body the WebLogic serializer changed: the value matches, the digest not.
        ("signed-invalid/dk-emrex__elmo-wl-signed.xml", "dk-emrex__dk-emrex-test.cer", DigestMismatch),
        # A placeholder signature (xmlsec1 reports its digest first): the value matches no key, which
        # is checked before the document is digested.
        ("signed-invalid/fi-emrex__kaisa.xml", "emp-mockup__no-cert.crt", SignatureValueMismatch),
    ],
)
def test_interop_documents_with_broken_signatures(
    interop_dir: Path, name: str, cert: str, kind: type[Exception]
) -> None:
    trusted = load_certificate((interop_dir / "certs" / cert).read_bytes())
    with pytest.raises(kind):
        verify((interop_dir / name).read_bytes(), trusted)


def test_interop_negative_and_unsigned_documents(interop_dir: Path, dk_cert: x509.Certificate) -> None:
    with pytest.raises(XmlError, match="line 1"):
        data = (interop_dir / "transport" / "dk-emrex__elmo-wl-signed-zipped-base64.txt").read_bytes()
        verify(codec.decode(data), dk_cert)
    for name in ("signed-valid/dk-emrex__elmo-tomcat-unsigned.xml", "unsigned/fi-ncp__my_elmo.xml"):
        with pytest.raises(NoSignature):
            verify((interop_dir / name).read_bytes(), dk_cert)


def test_the_tomcat_document_is_signed_over_the_unsigned_one(
    interop_dir: Path, dk_cert: x509.Certificate
) -> None:
    folder = interop_dir / "signed-valid"
    signed = verify((folder / "dk-emrex__elmo-tomcat-signed.xml").read_bytes(), dk_cert)
    unsigned = etree.fromstring((folder / "dk-emrex__elmo-tomcat-unsigned.xml").read_bytes())
    assert signed.signed_xml == etree.tostring(unsigned.getroottree(), method="c14n")


_EXC_DEFAULT = (
    b'<elmo xmlns="urn:e" xmlns:top="urn:top"><a>1</a><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">'
    b'<SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">'
    b'<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="#default top"/>'
    b'</CanonicalizationMethod><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    b'<Reference URI=""><Transforms>'
    b'<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    b'<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">'
    b'<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="#default"/>'
    b'</Transform></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    b"<DigestValue/></Reference></SignedInfo><SignatureValue/></Signature></elmo>"
)


def test_exclusive_c14n_with_the_default_token_verifies_or_is_refused_never_guessed(emp: Issued) -> None:
    signed = xmlsec_sign_template(_EXC_DEFAULT, emp)
    assert verify(signed, emp.certificate).algorithms.c14n == algorithms.EXC_C14N
    # With a ds: prefix, '#default' would bring the ELMO namespace into SignedInfo; lxml cannot do that.
    with pytest.raises(DisallowedAlgorithm, match="'#default'"):
        verify(xmlsec_sign_template(_prefixed(_EXC_DEFAULT), emp), emp.certificate)


def _prefixed(template: bytes) -> bytes:
    root = etree.fromstring(template)
    signature = etree.fromstring(etree.tostring(root[-1]))
    ds = etree.Element(f"{DS}Signature", nsmap={"ds": DS[1:-1]})
    for child in signature:
        ds.append(child)
    text = etree.tostring(ds)
    root.remove(root[-1])
    return etree.tostring(root).replace(b"</elmo>", text + b"</elmo>")


def _padded(document: bytes, filler: bytes) -> bytes:
    """The document with ``filler`` added to its body: SignedInfo and SignatureValue stay genuine."""
    return document.replace(b"<report", b"<extension>" + filler + b"</extension><report", 1)


def test_a_wrong_signature_value_is_refused_before_the_document_is_canonicalized(
    signed: bytes, emp: Issued, other: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("the whole document was canonicalized")

    monkeypatch.setattr("emrex.trust.verifier.canonical_document", never)
    flood = _padded(signed, b"<a/>" * 50_000)  # what a dummy signature over a big body looks like
    with pytest.raises(UntrustedSigner):  # signed by emp, which is not trusted here
        verify(flood, other.certificate)
    altered = _edit(flood, "signature-value")
    with pytest.raises(SignatureValueMismatch):
        verify(altered, emp.certificate)


def test_a_genuine_signed_info_over_a_padded_body_is_a_digest_mismatch(signed: bytes, emp: Issued) -> None:
    # The worst an attacker can post: SignedInfo and its value taken from a real document (their own
    # download), so the signature value matches and the body must be canonicalized and digested.
    with pytest.raises(DigestMismatch):
        verify(_padded(signed, b"<a/>" * 50_000), emp.certificate)


def test_only_the_first_few_keyinfo_certificates_are_tried(signed: bytes, emp: Issued, other: Issued) -> None:
    # Each certificate in KeyInfo costs a parse and an RSA check when no trusted one matches.
    root = etree.fromstring(signed)
    data = root.find(f"{DS}Signature/{DS}KeyInfo/{DS}X509Data")
    assert data is not None
    from cryptography.hazmat.primitives.serialization import Encoding

    stranger = base64.b64encode(other.certificate.public_bytes(Encoding.DER)).decode()
    for _ in range(5000):  # certificates that do not match, before the signer's own
        etree.SubElement(data, f"{DS}X509Certificate").text = stranger
        data.insert(0, data[-1])
    flooded = etree.tostring(root)
    calls = 0
    real = x509.load_der_x509_certificate

    def counting(data: bytes) -> x509.Certificate:
        nonlocal calls
        calls += 1
        return real(data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("emrex.trust.verifier.x509.load_der_x509_certificate", counting)
        with pytest.raises(SignatureValueMismatch):  # the genuine one is now beyond the first few
            verify(flooded, other.certificate)
    assert calls <= 4
