"""How far verification goes: chain, validity, hooks for the checks other packages provide, verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from emrex.seal import Check, Sealer, SealPolicy, Status, verify_seal
from emrex.seal.result import (
    CERTIFICATE_VALIDITY,
    CHAIN,
    CONFORMANCE,
    CREDENTIAL_STATUS,
    CREDENTIAL_VALIDITY,
    EMBEDDED_ELMO,
)
from emrex.trust.ca import Issued, issue, make_ca
from tests.seal.conftest import ORG_ID


def test_a_chain_to_another_root_fails(sealed: bytes) -> None:
    stranger = make_ca("Some Other CA")
    result = verify_seal(sealed, SealPolicy(trust=(stranger.certificate,)))
    assert result.check(CHAIN).status is Status.FAILED
    assert "does not lead to a trusted anchor" in result.check(CHAIN).summary
    assert result.verdict is Status.FAILED and not result.accepted


def test_the_chain_runs_from_the_seal_certificate_to_the_anchor(credential: dict[str, Any]) -> None:
    root = make_ca("Root CA")
    seal = issue(root, "Seal", organization_identifier=ORG_ID)
    result = verify_seal(
        Sealer(seal.key, seal.certificate).seal(credential), SealPolicy(trust=(root.certificate,))
    )
    assert result.chain == (seal.certificate, root.certificate)


def test_validity_at_other_times(sealed: bytes, rsa_seal: Issued, ca: Issued) -> None:
    anchors = (ca.certificate,)
    later = rsa_seal.certificate.not_valid_after_utc + dt.timedelta(days=1)
    expired = verify_seal(sealed, SealPolicy(trust=anchors, at=later))
    assert expired.check(CERTIFICATE_VALIDITY).status is Status.INDETERMINATE
    assert expired.verdict is Status.INDETERMINATE
    before = rsa_seal.certificate.not_valid_before_utc - dt.timedelta(days=1)
    early = verify_seal(sealed, SealPolicy(trust=anchors, at=before))
    # sealed after the validation time: the signing time is in the future of that moment
    assert early.check(CERTIFICATE_VALIDITY).status is Status.FAILED
    assert early.verdict is Status.FAILED


def test_the_credential_dates_count(sealer: Sealer, credential: dict[str, Any], ca: Issued) -> None:
    policy = SealPolicy(trust=(ca.certificate,))
    ended = verify_seal(sealer.seal({**credential, "validUntil": "2026-01-01T00:00:00Z"}), policy)
    assert ended.check(CREDENTIAL_VALIDITY).status is Status.FAILED
    assert "expired on 2026-01-01" in ended.check(CREDENTIAL_VALIDITY).summary
    future = verify_seal(sealer.seal({**credential, "validFrom": "2099-01-01"}), policy)
    assert "not valid before 2099-01-01" in future.check(CREDENTIAL_VALIDITY).summary
    garbage = verify_seal(sealer.seal({**credential, "validFrom": "soon"}), policy)
    assert garbage.check(CREDENTIAL_VALIDITY).status is Status.FAILED
    fine = verify_seal(sealer.seal({**credential, "validUntil": "2099-01-01T00:00:00+02:00"}), policy)
    assert fine.verdict is Status.PASSED


def test_a_status_list_is_reported_as_not_checked(
    sealer: Sealer, credential: dict[str, Any], ca: Issued
) -> None:
    status = {"id": "https://issuer.example/status/1#7", "type": "StatusList2021Entry"}
    result = verify_seal(
        sealer.seal({**credential, "credentialStatus": status}), SealPolicy(trust=(ca.certificate,))
    )
    assert result.check(CREDENTIAL_STATUS).status is Status.NOT_CHECKED
    assert result.verdict is Status.PASSED  # reported, never counted


def test_unwired_checks_say_so_and_do_not_count(sealed: bytes, ca: Issued) -> None:
    result = verify_seal(sealed, SealPolicy(trust=(ca.certificate,)))
    assert {c.name for c in result.not_checked} >= {CONFORMANCE, EMBEDDED_ELMO, "trusted list", "revocation"}
    assert "not wired in" in result.check(CONFORMANCE).summary
    assert result.verdict is Status.PASSED


def test_the_hooks_get_the_sealed_bytes_and_their_verdict_counts(sealed: bytes, ca: Issued) -> None:
    seen: list[bytes] = []

    def shapes(credential: Mapping[str, Any], payload: bytes) -> Check:
        seen.append(payload)
        return Check("whatever", Status.FAILED, "violates EDC-generic-full: no credentialSubject.dateOfBirth")

    def elmo(credential: Mapping[str, Any], payload: bytes) -> Check:
        return Check("x", Status.NOT_CHECKED, "not a Converted credential")

    policy = SealPolicy(trust=(ca.certificate,))
    result = verify_seal(sealed, policy, conformance=shapes, embedded_elmo=elmo)
    assert seen == [result.payload]
    assert result.check(CONFORMANCE).status is Status.FAILED and result.check(CONFORMANCE).decisive
    assert result.check(EMBEDDED_ELMO).summary == "not a Converted credential"
    assert result.verdict is Status.FAILED

    def passes(credential: Mapping[str, Any], payload: bytes) -> Check:
        return Check(CONFORMANCE, Status.PASSED, "conforms to EDC-generic-full")

    assert verify_seal(sealed, policy, conformance=passes).verdict is Status.PASSED


def test_the_result_describes_the_sealer(sealed: bytes, rsa_seal: Issued) -> None:
    result = verify_seal(sealed)
    assert result.organization_identifier == ORG_ID
    assert "Nordvik University seal" in result.sealer
    assert result.sealer_issuer == "CN=Seal Test CA"
    assert result.level == "B-B" and result.unsigned_properties == ()
    with pytest.raises(KeyError):
        result.check("no such check")
    assert dataclasses.replace(result, checks=()).verdict is Status.PASSED


def test_a_policy_needs_an_aware_time_and_known_algorithms() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SealPolicy(at=dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="HS256"):
        SealPolicy(algorithms=frozenset({"HS256"}))


def test_unsigned_properties_give_the_claimed_level_and_are_never_checked(sealed: bytes, ca: Issued) -> None:
    import base64
    import json

    def entry(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    document = json.loads(sealed)
    member = document["signatures"][0]
    member["header"] = {"etsiU": [entry({"sigTst": {"tstTokens": [{"val": "MIIB"}]}})]}
    timestamped = verify_seal(json.dumps(document), SealPolicy(trust=(ca.certificate,)))
    assert timestamped.level == "B-T" and timestamped.unsigned_properties == ("sigTst",)
    assert timestamped.check("timestamps").summary == "present, not checked: sigTst (a signature timestamp)"
    assert timestamped.verdict is Status.PASSED  # reported, never counted
    member["header"]["etsiU"].append({"xVals": [{"x509Cert": {"val": "not a certificate"}}]})
    member["header"]["etsiU"].append(entry({"arcTst": {"tstTokens": []}}))
    assert verify_seal(json.dumps(document)).level == "B-LTA"


def test_files_that_cannot_be_read_are_named(tmp_path: Any) -> None:
    from emrex.seal import SealingError
    from emrex.seal.pdf import PdfSealer

    for kind in (Sealer, PdfSealer):
        with pytest.raises(SealingError, match=r"missing\.pem: cannot read"):
            kind.from_files(tmp_path / "missing.pem", tmp_path / "missing.pem")
