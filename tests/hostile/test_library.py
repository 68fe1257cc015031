"""Hostile input to the library: the reader, the transport codec and the verifier raise one EmrexError
subclass with one readable line, read nothing from outside, and log no personal data."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from collections.abc import Callable

import pytest

from emrex.elmo.codec import CodecLimits, decode
from emrex.elmo.errors import ElmoError
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.errors import EmrexError, InputTooLarge, TransportError, XmlError
from emrex.trust import (
    CertificateExpired,
    CertificateNotYetValid,
    DisallowedAlgorithm,
    SignatureValueMismatch,
    Signer,
    UntrustedSigner,
    VerifyPolicy,
    verify,
)
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.errors import NamespaceFlood
from emrex.xml import parse_untrusted
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, one_line, watch_logs

__all__ = ["watch_logs"]
NS = "https://github.com/emrex-eu/elmo-schemas/tree/v1"


def _elmo(inner: str, prolog: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<elmo xmlns="{NS}">{inner}</elmo>'.encode()


def _learner(given: str) -> str:
    return f"<learner><givenNames>{given}</givenNames><familyName>{MARKER}</familyName></learner>"


READER: dict[str, tuple[bytes, type[Exception], str]] = {
    "lib-reader-parameter-entity": (
        _elmo("", '<!DOCTYPE elmo [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'),
        ElmoError,
        "DOCTYPE",
    ),
    "lib-reader-control-character-reference": (_elmo(_learner("a&#1;b")), ElmoError, "not well-formed"),
    "lib-reader-huge-text-node": (_elmo(_learner("a" * 17_000_000)), InputTooLarge, "larger than the limit"),
    "lib-reader-wrong-declared-encoding": (
        _elmo(_learner("Åsa")).replace(b'encoding="UTF-8"', b'encoding="UTF-16"'),
        ElmoError,
        "not well-formed",
    ),
    "lib-reader-over-size-limit": (_elmo(_learner("a" * 2000)), EmrexError, "larger than"),
}
CODEC: dict[str, tuple[Callable[[], str | bytes], type[Exception], str]] = {
    "lib-codec-base64-over-limit": (lambda: "A" * 5000, InputTooLarge, "more than the limit"),
    "lib-codec-ratio-bomb": (
        lambda: base64.b64encode(gzip.compress(b" " * 400_000, compresslevel=9)),
        InputTooLarge,
        "gzip bomb",
    ),
    "lib-codec-non-ascii": (lambda: "H4sI\u00e5\u00e4\u00f6" + MARKER, TransportError, "not base64"),
    "lib-codec-truncated": (
        lambda: base64.b64encode(gzip.compress(_elmo(_learner("x") * 50))[:-30]),
        TransportError,
        "",
    ),
}
exercised(
    *READER, *CODEC, "lib-reader-xinclude-ignored", "lib-verify-sha1-rejected", "lib-verify-namespace-flood"
)
exercised(
    "lib-verify-certificate-expired", "lib-verify-certificate-not-yet-valid", "lib-verify-keyinfo-not-trusted"
)


@pytest.mark.parametrize("case_id", sorted(READER))
def test_hostile_documents_for_the_reader(watch_logs: pytest.LogCaptureFixture, case_id: str) -> None:
    data, kind, words = READER[case_id]
    with pytest.raises(kind) as caught:
        read_elmo(data, max_bytes=1000) if case_id == "lib-reader-over-size-limit" else read_elmo(data)
    one_line(str(caught.value))
    assert words in str(caught.value)
    assert MARKER not in str(caught.value)
    logs_clean(watch_logs)


exercised("lib-reader-text-node-over-libxml2-limit")


def test_a_text_node_over_libxml2s_own_limit_is_read_whole(watch_logs: pytest.LogCaptureFixture) -> None:
    elmo = read_elmo(_elmo(_learner("a" * 11_000_000))).elmo
    assert elmo.learner.given_names == "a" * 11_000_000
    logs_clean(watch_logs)


XML: dict[str, tuple[bytes, type[Exception], str]] = {
    "lib-xml-element-flood": (b"<a>" + b"<b/>" * 2_400_000 + b"</a>", InputTooLarge, "2400002 tags"),
    "lib-xml-element-count-exact": (
        b"<a>" + b"<b/>" * 300_000 + b"</a>",
        InputTooLarge,
        "300001 elements is over the limit of 200000",
    ),
    "lib-xml-deep-nesting-beyond-libxml2": (
        b"<a>\n" * 3000 + b"</a>" * 3000,
        XmlError,
        "line 2049: the document is nested deeper than 256 levels",  # where libxml2 stopped
    ),
}
exercised(*XML)


@pytest.mark.parametrize("case_id", sorted(XML))
def test_hostile_xml_is_refused_by_our_own_bounds(watch_logs: pytest.LogCaptureFixture, case_id: str) -> None:
    data, kind, words = XML[case_id]
    with pytest.raises(kind) as caught:
        parse_untrusted(data, max_bytes=len(data))
    one_line(str(caught.value))
    assert words in str(caught.value)
    assert "XML_PARSE_HUGE" not in str(caught.value)
    logs_clean(watch_logs)


def test_xinclude_is_not_followed(watch_logs: pytest.LogCaptureFixture) -> None:
    data = _elmo(
        '<learner xmlns:xi="http://www.w3.org/2001/XInclude"><givenNames>'
        '<xi:include href="file:///etc/passwd" parse="text"/></givenNames></learner>'
    )
    elmo = read_elmo(data).elmo
    assert "root:" not in repr(elmo) and elmo.learner.given_names == ""
    logs_clean(watch_logs)


@pytest.mark.parametrize("case_id", sorted(CODEC))
def test_hostile_transport_values_for_the_codec(watch_logs: pytest.LogCaptureFixture, case_id: str) -> None:
    build, kind, words = CODEC[case_id]
    with pytest.raises(kind) as caught:
        decode(build(), CodecLimits(max_encoded_bytes=4096, max_decoded_bytes=1024 * 1024))
    one_line(str(caught.value))
    assert words in str(caught.value)
    assert MARKER not in str(caught.value)
    logs_clean(watch_logs)


@pytest.fixture(scope="module")
def ca() -> Issued:
    return make_ca("Library hostile CA")


@pytest.fixture(scope="module")
def emp(ca: Issued) -> Issued:
    return issue(ca, "EMP Library")


def test_sha1_is_refused_by_a_rejecting_policy(emp: Issued) -> None:
    oracles = pytest.importorskip("tests.trust.oracles")
    from emrex.trust import algorithms

    document = oracles.xmlsec_sign(
        write_elmo(sample_elmo(2)), emp, signature=algorithms.RSA_SHA1, digest=algorithms.SHA1
    )
    assert verify(document, emp.certificate).warnings  # allowed by default, with a warning
    with pytest.raises(DisallowedAlgorithm) as caught:
        verify(document, emp.certificate, VerifyPolicy(sha1="reject"))
    one_line(str(caught.value))


@pytest.mark.parametrize(
    ("case_id", "moment", "kind"),
    [
        ("lib-verify-certificate-expired", dt.timedelta(days=400), CertificateExpired),
        ("lib-verify-certificate-not-yet-valid", dt.timedelta(days=-1), CertificateNotYetValid),
    ],
)
def test_certificates_outside_their_validity(
    emp: Issued, case_id: str, moment: dt.timedelta, kind: type[Exception]
) -> None:
    document = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(2)))
    with pytest.raises(kind) as caught:
        verify(document, emp.certificate, VerifyPolicy(at=dt.datetime.now(dt.UTC) + moment))
    one_line(str(caught.value))


def test_a_certificate_in_keyinfo_is_never_trusted(ca: Issued, emp: Issued) -> None:
    attacker = issue(ca, "EMP Library")  # same name, same CA, another key: only the pinned one counts
    document = Signer(attacker.key, attacker.certificate).sign(write_elmo(sample_elmo(2)))
    assert b"X509Certificate" in document  # the document carries its own certificate in KeyInfo
    with pytest.raises(UntrustedSigner) as caught:
        verify(document, emp.certificate)
    one_line(str(caught.value))


def test_a_flood_of_namespace_declarations_is_refused_before_canonicalization(emp: Issued) -> None:
    document = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(2)))
    text = document.decode()
    start = text.index("<elmo ") + len("<elmo ")
    declared = " ".join(f'xmlns:n{i}="urn:x:{i}"' for i in range(3000))
    flooded = (
        text[:start]
        + declared
        + " "
        + text[start:].replace("<report", "<extension>" + "<a/>" * 30_000 + "</extension><report", 1)
    )
    with pytest.raises(NamespaceFlood) as caught:  # before: minutes of C14N, then DigestMismatch
        verify(flooded.encode(), emp.certificate)
    one_line(str(caught.value))
    # A document with a dozen namespaces in scope everywhere still verifies.
    dozen = " ".join(f'xmlns:n{i}="urn:x:{i}"' for i in range(12))
    many = Signer(emp.key, emp.certificate).sign(
        write_elmo(sample_elmo(2)).replace(b"<elmo ", f"<elmo {dozen} ".encode(), 1)
    )
    assert verify(many, emp.certificate).signed_xml


exercised("lib-verify-namespace-flood-signed-info")


def test_a_namespace_flood_aimed_at_the_signed_info_is_refused_too(emp: Issued) -> None:
    # No big body: 20 000 declarations in scope of the few SignedInfo elements (14 s of C14N before).
    text = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(1))).decode()
    start = text.index("<elmo ") + len("<elmo ")
    declared = " ".join(f'xmlns:n{i}="urn:x:{i}"' for i in range(20_000))
    with pytest.raises(NamespaceFlood) as caught:
        verify((text[:start] + declared + " " + text[start:]).encode(), emp.certificate)
    one_line(str(caught.value))


exercised("lib-verify-dummy-signature-big-body", "lib-verify-keyinfo-certificate-flood")


def test_a_dummy_signature_over_a_big_body_is_refused_without_canonicalizing_it(
    emp: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("the whole document was canonicalized")

    monkeypatch.setattr("emrex.trust.verifier.canonical_document", never)
    text = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(1))).decode()
    value = text.index("<SignatureValue>") + len("<SignatureValue>")
    dummy = text[:value] + "AAAA" + text[value + 4 :]
    body = dummy.replace("<report", "<extension>" + "<a/>" * 100_000 + "</extension><report", 1)
    with pytest.raises(SignatureValueMismatch) as caught:
        verify(body.encode(), emp.certificate)
    one_line(str(caught.value))


def test_a_flood_of_keyinfo_certificates_costs_no_more_than_four(ca: Issued, emp: Issued) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    other = issue(ca, "Someone else")
    stranger = base64.b64encode(other.certificate.public_bytes(Encoding.DER)).decode()
    text = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(1))).decode()
    flood = f"<X509Certificate>{stranger}</X509Certificate>" * 5000
    flooded = text.replace("<X509Data>", "<X509Data>" + flood, 1)
    assert flooded != text
    real, calls = x509.load_der_x509_certificate, []

    def counting(data: bytes) -> x509.Certificate:
        calls.append(1)
        return real(data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("emrex.trust.verifier.x509.load_der_x509_certificate", counting)
        with pytest.raises(SignatureValueMismatch) as caught:
            verify(flooded.encode(), other.certificate)
    one_line(str(caught.value))
    assert len(calls) == 4
