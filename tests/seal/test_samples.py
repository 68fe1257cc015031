"""The EU's sealed EDC samples (made by the EC's issuer and by MyNextID, with DSS) verify with our
verifier; any change to their payload or protected header is caught."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from emrex.seal import SealBroken, SealPolicy, Status, verify_seal
from emrex.seal.jades import b64url_decode, kid_of, thumbprint
from emrex.seal.result import BINDING, CERTIFICATE_VALIDITY, CHAIN, SIGNATURE, TIMESTAMPS, TRUSTED_LIST
from tests.seal.conftest import parts, xvals

SAMPLES = (
    "Sample-CertOfPart-signed.jsonld",
    "Sample-MC-Annex1-signed.jsonld",
    "mynextid-degree-certificate-signed.jsonld",
)
ANCHOR = {  # the CA certificate each sample's chain reaches among its own xVals
    "Sample-CertOfPart-signed.jsonld": "ANF AC Qualified Certificates for eSeal",
    "Sample-MC-Annex1-signed.jsonld": "ANF AC Qualified Certificates for eSeal",
    "mynextid-degree-certificate-signed.jsonld": "Halcom Root Certificate Authority",
}


def _anchor(data: bytes, name: str) -> SealPolicy:
    found = [
        c for c in xvals(json.loads(data)) if c.subject.rfc4514_string().startswith(f"CN={ANCHOR[name]},")
    ]
    assert len(found) == 1
    return SealPolicy(trust=(found[0],))


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_verifies_and_reports_what_it_could_not_check(edc_examples: Path, name: str) -> None:
    data = (edc_examples / name).read_bytes()
    result = verify_seal(data)
    document, header = parts(data)
    assert result.check(SIGNATURE).status is Status.PASSED
    assert result.payload == document["payload"].encode("utf-8")
    assert result.credential["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert result.algorithm == "RS256"
    assert result.signing_time == dt.datetime.strptime(header["sigT"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.UTC
    )
    assert result.check(BINDING).status is Status.PASSED
    # Without an anchor nobody vouches for the certificate: never "passed".
    assert result.check(CHAIN).status is Status.INDETERMINATE
    assert result.verdict is Status.INDETERMINATE
    assert result.check(TRUSTED_LIST).status is Status.NOT_CHECKED
    timestamps = result.check(TIMESTAMPS)
    assert timestamps.status is Status.NOT_CHECKED and not timestamps.decisive
    assert all(name in timestamps.summary for name in ("sigTst", "xVals", "rVals", "arcTst"))
    assert result.level == "B-LTA"
    # Our header helpers compute what the EU's tools wrote.
    assert header["kid"] == kid_of(result.certificate)
    assert header["x5t#S256"] == thumbprint(result.certificate)


@pytest.mark.parametrize("name", SAMPLES)
def test_trusting_the_samples_own_ca_passes_the_chain(edc_examples: Path, name: str) -> None:
    data = (edc_examples / name).read_bytes()
    result = verify_seal(data, _anchor(data, name))
    chain = result.check(CHAIN)
    assert chain.status is Status.PASSED, chain.summary
    assert ANCHOR[name] in chain.summary
    assert result.chain[0] == result.certificate and len(result.chain) >= 2


def test_the_binding_reads_the_etsi_prefix(edc_examples: Path) -> None:
    result = verify_seal((edc_examples / "mynextid-degree-certificate-signed.jsonld").read_bytes())
    assert result.organization_identifier == "NTREE-17207834"
    assert result.credential["issuer"]["eIDASIdentifier"]["notation"] == "17207834"
    assert "NTREE-17207834" in result.check(BINDING).summary


def test_an_expired_seal_certificate_is_indeterminate_now_and_passes_when_it_was_valid(
    edc_examples: Path,
) -> None:
    name = "Sample-CertOfPart-signed.jsonld"
    data = (edc_examples / name).read_bytes()
    anchored = _anchor(data, name)
    now = verify_seal(data, anchored)
    assert now.check(CERTIFICATE_VALIDITY).status is Status.INDETERMINATE
    assert "expired on 2025-05-10" in now.check(CERTIFICATE_VALIDITY).summary
    assert "as of the claimed signing time" in now.check(CHAIN).summary
    then = verify_seal(data, SealPolicy(trust=anchored.trust, at=dt.datetime(2024, 1, 15, tzinfo=dt.UTC)))
    assert then.verdict is Status.PASSED, [
        c for c in then.checks if c.decisive and c.status is not Status.PASSED
    ]


@pytest.mark.parametrize("name", SAMPLES)
def test_a_changed_payload_fails(edc_examples: Path, name: str) -> None:
    document = json.loads((edc_examples / name).read_bytes())
    payload = json.loads(document["payload"])
    payload["validFrom"] = "2020-01-01T00:00:00Z"
    document["payload"] = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    with pytest.raises(SealBroken, match="does not match"):
        verify_seal(json.dumps(document))


@pytest.mark.parametrize("name", SAMPLES)
def test_a_changed_protected_header_fails(edc_examples: Path, name: str) -> None:
    document = json.loads((edc_examples / name).read_bytes())
    member = document["signatures"][0]
    header = json.loads(b64url_decode(member["protected"]))
    header["sigT"] = "2022-01-01T00:00:00Z"
    member["protected"] = _b64url(json.dumps(header, separators=(",", ":")).encode())
    with pytest.raises(SealBroken):
        verify_seal(json.dumps(document))


def test_one_changed_letter_inside_a_string_fails(edc_examples: Path) -> None:
    document = json.loads((edc_examples / SAMPLES[2]).read_bytes())
    text = document["payload"]
    changed = text.replace("Velocert", "Velocerr", 1)
    assert changed != text
    with pytest.raises(SealBroken):
        verify_seal(json.dumps({**document, "payload": changed}))


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
