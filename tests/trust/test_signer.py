from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import written_elmo
from emrex.errors import XmlError
from emrex.trust import algorithms
from emrex.trust.ca import Issued, issue
from emrex.trust.errors import (
    AlreadySigned,
    CertificateError,
    CertificateExpired,
    CertificateNotYetValid,
    DisallowedAlgorithm,
)
from emrex.trust.keys import certificate_pem
from emrex.trust.signer import Signer, sign
from emrex.trust.verifier import verify
from tests.trust.oracles import xmlsec1_verifies, xmlsec_verifies

DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _signature(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    last = root[-1]
    assert last.tag == DS + "Signature"
    return last


def test_signature_is_the_last_child_with_the_agreed_algorithms(signed: bytes, emp: Issued) -> None:
    assert signed.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    signed.decode("utf-8")
    sig = _signature(signed)
    assert sig.prefix is None  # default namespace, as Java peers write it
    info = sig.find(DS + "SignedInfo")
    assert info is not None
    assert info.find(DS + "CanonicalizationMethod").get("Algorithm") == algorithms.C14N  # type: ignore[union-attr]
    assert info.find(DS + "SignatureMethod").get("Algorithm") == algorithms.RSA_SHA256  # type: ignore[union-attr]
    (reference,) = info.findall(DS + "Reference")
    assert reference.get("URI") == ""
    transforms = [t.get("Algorithm") for t in reference.iterfind(f"{DS}Transforms/{DS}Transform")]
    assert transforms == [algorithms.ENVELOPED]
    assert reference.find(DS + "DigestMethod").get("Algorithm") == algorithms.SHA256  # type: ignore[union-attr]
    embedded = sig.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert embedded and embedded in certificate_pem(emp.certificate).decode().replace("\n", "")
    assert b"sha1" not in signed


def test_our_signature_verifies_with_python_xmlsec(signed: bytes, emp: Issued, other: Issued) -> None:
    assert xmlsec_verifies(signed, emp)
    assert not xmlsec_verifies(signed, other)


def test_our_signature_verifies_with_the_xmlsec1_command(
    signed: bytes, emp: Issued, ca: Issued, tmp_path: Path
) -> None:
    cert = tmp_path / "emp.pem"
    cert.write_bytes(certificate_pem(emp.certificate))
    assert xmlsec1_verifies(signed, cert, tmp_path)
    tampered = signed.replace(b"<givenNames>", b"<givenNames>X", 1)
    assert not xmlsec1_verifies(tampered, cert, tmp_path)
    # The chain form: trust the CA, take the signing certificate from KeyInfo.
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_bytes(certificate_pem(ca.certificate))
    document = tmp_path / "signed.xml"
    document.write_bytes(signed)
    tool = shutil.which("xmlsec1")
    assert tool is not None
    result = subprocess.run(
        [tool, "--verify", "--enabled-key-data", "x509", "--trusted-pem", str(ca_pem), str(document)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()


def test_our_signature_verifies_with_signxml(signed: bytes, emp: Issued) -> None:
    signxml = pytest.importorskip("signxml")
    verifier = signxml.XMLVerifier()
    verifier.excise_empty_xmlns_declarations = True
    result = verifier.verify(
        signed, x509_cert=emp.certificate, expect_config=signxml.SignatureConfiguration()
    )
    assert b"<givenNames>" in result.signed_data


@pytest.mark.parametrize(
    "document",
    [
        # ns0: prefixes and no default namespace, as the WebLogic EMP wrote them
        b'<ns0:elmo xmlns:ns0="urn:elmo"><ns0:learner a="1">Ann</ns0:learner></ns0:elmo>',
        # inherited xml:lang / xml:space on the root, which inclusive C14N carries into SignedInfo
        b'<elmo xmlns="urn:e" xmlns:x="urn:x" xml:lang="sv" xml:space="preserve">'
        b"\n  <x:a>\xc3\xa5</x:a>\n</elmo>",
        # a dsig prefix declared on the root, as the Tomcat EMP did
        b'<elmo xmlns="urn:e" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#"><a/><!-- note --></elmo>',
        # a document in another encoding: the output is UTF-8 and still verifies
        '<?xml version="1.0" encoding="ISO-8859-1"?><elmo><n>Ærø</n></elmo>'.encode("latin-1"),
        # text after the last element and processing instructions around the root
        b'<?pi before?><elmo xmlns="urn:e"><a>1</a>tail text</elmo><?pi after?>',
    ],
    ids=["prefixed", "xml-lang", "dsig-prefix-on-root", "latin-1", "pis-and-tail"],
)
def test_unusual_documents_sign_and_verify_everywhere(document: bytes, signer: Signer, emp: Issued) -> None:
    signed = signer.sign(document)
    signed.decode("utf-8")
    assert verify(signed, emp.certificate).certificate == emp.certificate
    assert xmlsec_verifies(signed, emp)


def test_exclusive_c14n_and_sha512_are_available(emp: Issued, elmo: bytes) -> None:
    signer = Signer(
        emp.key,
        emp.certificate,
        c14n_method=algorithms.EXC_C14N,
        signature_method=algorithms.RSA_SHA512,
        digest_method=algorithms.SHA512,
    )
    signed = signer.sign(elmo)
    result = verify(signed, emp.certificate)
    assert result.algorithms.reference_c14n == algorithms.EXC_C14N
    assert result.algorithms.signature == algorithms.RSA_SHA512
    assert xmlsec_verifies(signed, emp)


@pytest.mark.parametrize(
    ("signature", "digest"),
    [(algorithms.RSA_SHA1, algorithms.SHA256), (algorithms.RSA_SHA256, algorithms.SHA1)],
)
def test_signing_with_sha1_is_refused(emp: Issued, signature: str, digest: str) -> None:
    with pytest.raises(DisallowedAlgorithm, match="SHA-1"):
        Signer(emp.key, emp.certificate, signature_method=signature, digest_method=digest)


def test_an_existing_signature_is_refused_or_replaced_on_request(
    signed: bytes, signer: Signer, other: Issued, emp: Issued
) -> None:
    with pytest.raises(AlreadySigned, match="signed already"):
        signer.sign(signed)
    resigned = Signer(other.key, other.certificate).sign(signed, replace=True)
    assert len(etree.fromstring(resigned).findall(DS + "Signature")) == 1
    assert verify(resigned, other.certificate).certificate == other.certificate
    assert verify(resigned, other.certificate).signed_xml == verify(signed, emp.certificate).signed_xml


def test_key_must_belong_to_the_certificate(emp: Issued, other: Issued) -> None:
    with pytest.raises(CertificateError, match="does not belong"):
        Signer(emp.key, other.certificate)


def test_out_of_date_certificates_do_not_sign(ca: Issued, emp: Issued, elmo: bytes) -> None:
    past = issue(ca, "Old EMP", key=emp.key, days=1, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(CertificateExpired, match="expired on 2020-01-02"):
        Signer(past.key, past.certificate).sign(elmo)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    early = issue(ca, "Future EMP", key=emp.key, days=10, not_before=future)
    with pytest.raises(CertificateNotYetValid):
        Signer(early.key, early.certificate).sign(elmo)


def test_sign_function_takes_pem_bytes(emp: Issued, elmo: bytes) -> None:
    from emrex.trust.keys import private_key_pem

    signed = sign(elmo, private_key_pem(emp.key), certificate_pem(emp.certificate))
    assert verify(signed, emp.certificate).signer == "CN=EMP Nordvik,O=Nordvik University,C=SE"


def test_bad_input_is_a_clear_error(signer: Signer) -> None:
    with pytest.raises(XmlError, match="not well-formed"):
        signer.sign(b"<elmo><learner></elmo>")
    with pytest.raises(XmlError, match="DOCTYPE"):
        signer.sign(b'<!DOCTYPE elmo [<!ENTITY x "y">]><elmo>&x;</elmo>')


def test_signer_from_files_names_the_file_at_fault(emp: Issued, other: Issued, tmp_path: Path) -> None:
    from emrex.trust.keys import private_key_pem

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_bytes(private_key_pem(emp.key))
    cert.write_bytes(certificate_pem(emp.certificate))
    assert Signer.from_files(key, cert).certificate == emp.certificate
    with pytest.raises(CertificateError, match=r"missing\.pem: cannot read"):
        Signer.from_files(tmp_path / "missing.pem", cert)
    with pytest.raises(CertificateError, match=r"key\.pem: no certificate in the PEM data"):
        Signer.from_files(key, key)  # the key file given as the certificate too
    with pytest.raises(CertificateError, match="does not belong"):
        Signer.from_files(key, _write(tmp_path / "other.pem", certificate_pem(other.certificate)))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_documents_c14n_refuses_are_a_clear_error(signer: Signer, emp: Issued) -> None:
    from emrex.trust.errors import CanonicalizationError

    with pytest.raises(CanonicalizationError, match="relative namespace URI"):
        signer.sign(b'<elmo xmlns="relative"><a/></elmo>')
    # Found by the fuzz test: a signed document whose namespace was made relative afterwards.
    signed = signer.sign(b'<elmo xmlns="urn:e"><a/></elmo>').replace(b'xmlns="urn:e"', b'xmlns="urn-e"')
    with pytest.raises(XmlError, match="cannot be canonicalized"):
        verify(signed, emp.certificate)


def test_a_canonical_document_is_signed_without_parsing_it_again(
    signer: Signer, emp: Issued, tmp_path: Path
) -> None:
    written = written_elmo(sample_elmo(courses=30))
    assert written.canonical
    quick, slow = signer.sign_canonical(written.xml), signer.sign(written.xml)
    # The same signature; only empty elements are written <a></a> instead of <a/>.
    value = DS + "SignatureValue"
    assert _signature(quick).findtext(value) == _signature(slow).findtext(value)
    again = etree.tostring(etree.fromstring(quick), encoding="UTF-8", xml_declaration=False)
    assert b'<?xml version="1.0" encoding="UTF-8"?>\n' + again == slow
    assert verify(quick, emp.certificate).signed_xml == verify(slow, emp.certificate).signed_xml
    assert xmlsec_verifies(quick, emp)
    cert = tmp_path / "emp.pem"
    cert.write_bytes(certificate_pem(emp.certificate))
    assert xmlsec1_verifies(quick, cert, tmp_path)
    assert not xmlsec1_verifies(quick.replace(b"<givenNames>", b"<givenNames>X", 1), cert, tmp_path)


def test_what_the_quick_signing_cannot_take_is_signed_as_ever(
    signer: Signer, emp: Issued, elmo: bytes
) -> None:
    exclusive = Signer(emp.key, emp.certificate, c14n_method=algorithms.EXC_C14N)
    assert exclusive.sign_canonical(elmo) == exclusive.sign(elmo)
    without_declaration = b'<elmo xmlns="urn:e" xml:lang="sv"><a>1</a></elmo>'
    assert signer.sign_canonical(without_declaration) == signer.sign(without_declaration)
    with pytest.raises(AlreadySigned):
        signer.sign_canonical(signer.sign(elmo))
