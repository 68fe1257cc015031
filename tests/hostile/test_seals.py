"""Hostile sealed credentials: refused with one readable line before any expensive work, or accepted
with a result that says plainly what failed. Forged seals are made by hand here (cryptography alone),
as an attacker would, not with our Sealer."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from emrex.cli import main
from emrex.errors import EmrexError, InputTooLarge
from emrex.seal import SealBroken, Sealer, SealPolicy, SealRefused, SealUnreadable, Status, verify_seal
from emrex.seal.jades import kid_of, protected_header
from emrex.seal.result import CHAIN
from emrex.seal.sample import sample_credential
from emrex.trust.ca import Issued, issue, make_ca
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, one_line

ORG_ID = "NTRSE-2021001234"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="module")
def ca() -> Issued:
    return make_ca("Hostile seal CA")


@pytest.fixture(scope="module")
def seal(ca: Issued) -> Issued:
    return issue(ca, "Nordvik seal", organization_identifier=ORG_ID)


@pytest.fixture(scope="module")
def credential() -> dict[str, Any]:
    return sample_credential(3, issuer_identifier=ORG_ID)


def _forge(
    seal: Issued,
    credential: dict[str, Any] | str,
    change: Callable[[dict[str, Any]], None] = lambda header: None,
    *,
    mac_key: bytes | None = None,
) -> bytes:
    """A seal made by hand: our usual header changed by ``change``, signed RS256 (HMAC with ``mac_key``)."""
    header = protected_header("RS256", (seal.certificate,), dt.datetime.now(dt.UTC))
    change(header)
    protected = _b64url(json.dumps(header).encode())
    payload = credential if isinstance(credential, str) else json.dumps(credential, separators=(",", ":"))
    encoded = header.get("b64", True) is not False
    signed_payload = _b64url(payload.encode()) if encoded else payload
    signing_input = f"{protected}.{signed_payload}".encode()
    if mac_key is not None:
        signature = hmac.new(mac_key, signing_input, hashlib.sha256).digest()
    elif header.get("alg") == "none":
        signature = b""
    else:
        signature = seal.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    body = {
        "payload": signed_payload,
        "signatures": [{"protected": protected, "signature": _b64url(signature)}],
    }
    return json.dumps(body).encode()


def _refused(data: bytes | str, kind: type[Exception], words: str, policy: SealPolicy | None = None) -> None:
    with pytest.raises(kind) as caught:
        verify_seal(data, policy or SealPolicy())
    assert isinstance(caught.value, EmrexError)
    one_line(str(caught.value))
    assert words in str(caught.value)
    assert MARKER not in str(caught.value)


def test_alg_none(seal: Issued, credential: dict[str, Any]) -> None:
    _refused(_forge(seal, credential, lambda h: h.update(alg="none")), SealRefused, "alg none")


def test_hs256_keyed_with_the_certificate(seal: Issued, credential: dict[str, Any]) -> None:
    for key in (seal.certificate.public_bytes(Encoding.DER), seal.certificate.public_bytes(Encoding.PEM)):
        forged = _forge(seal, credential, lambda h: h.update(alg="HS256"), mac_key=key)
        _refused(forged, SealRefused, "shared-secret")


def test_an_unknown_critical_header(seal: Issued, credential: dict[str, Any]) -> None:
    def change(header: dict[str, Any]) -> None:
        header["exp"] = 1
        header["crit"] = ["b64", "sigT", "exp"]

    _refused(_forge(seal, credential, change), SealRefused, "'exp' as critical")
    detached = _forge(seal, credential, lambda h: h.update(sigD={"mId": "x"}, crit=["b64", "sigD"]))
    _refused(detached, SealRefused, "'sigD' as critical")


def test_b64_true_against_an_unencoded_payload(seal: Issued, credential: dict[str, Any]) -> None:
    raw = json.dumps(credential, separators=(",", ":"))
    header = protected_header("RS256", (seal.certificate,), dt.datetime.now(dt.UTC))
    header.update(b64=True, crit=["sigT"])
    protected = _b64url(json.dumps(header).encode())
    signature = seal.key.sign(f"{protected}.{raw}".encode(), padding.PKCS1v15(), hashes.SHA256())
    forged = {"payload": raw, "signatures": [{"protected": protected, "signature": _b64url(signature)}]}
    _refused(json.dumps(forged), SealRefused, "base64url-encoded")
    # b64 false that is not marked critical (RFC 7797 demands it) is refused too
    _refused(_forge(seal, credential, lambda h: h.update(crit=["sigT"])), SealRefused, "listed in crit")


def test_a_chain_to_an_untrusted_root_with_the_same_names(ca: Issued, credential: dict[str, Any]) -> None:
    impostor_ca = make_ca("Hostile seal CA")  # the trusted CA's name, another key
    impostor = issue(impostor_ca, "Nordvik seal", organization_identifier=ORG_ID)
    sealed = Sealer(impostor.key, impostor.certificate).seal(credential)
    result = verify_seal(sealed, SealPolicy(trust=(ca.certificate,)))
    assert result.check(CHAIN).status is Status.FAILED
    assert result.verdict is Status.FAILED and not result.accepted


def test_a_seal_over_another_payload(seal: Issued, credential: dict[str, Any]) -> None:
    sealer = Sealer(seal.key, seal.certificate)
    first = json.loads(sealer.seal(credential))
    other = json.loads(sealer.seal(sample_credential(2, issuer_identifier=ORG_ID, seed=9)))
    first["payload"] = other["payload"]
    _refused(json.dumps(first), SealBroken, "does not match")


def test_the_certificate_swapped_under_the_signature(
    ca: Issued, seal: Issued, credential: dict[str, Any]
) -> None:
    other = issue(ca, "Other seal", organization_identifier=ORG_ID)
    other_x5c = protected_header("RS256", (other.certificate,), dt.datetime.now(dt.UTC))["x5c"]
    _refused(
        _forge(seal, credential, lambda h: h.update(x5c=other_x5c)), SealRefused, "x5t#S256 names another"
    )
    other_kid = kid_of(other.certificate)
    _refused(_forge(seal, credential, lambda h: h.update(kid=other_kid)), SealRefused, "kid names another")


def test_oversized_input_is_refused_before_parsing() -> None:
    huge = b'{"payload": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    start = time.perf_counter()
    _refused(huge, InputTooLarge, "more than the limit", SealPolicy(max_bytes=1024 * 1024))
    assert time.perf_counter() - start < 0.5


def test_json_bombs(seal: Issued, credential: dict[str, Any]) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    _refused(deep, SealUnreadable, "nested too deeply")
    _refused(_forge(seal, deep), SealUnreadable, "nested too deeply")
    _refused(
        '{"payload": "{}", "payload": "{}", "signatures": []}', SealUnreadable, "'payload' appears twice"
    )
    doubled_issuer = json.dumps(credential, separators=(",", ":"))[:-1] + ',"issuer":{"id":"urn:x"}}'
    _refused(_forge(seal, doubled_issuer), SealUnreadable, "'issuer' appears twice")
    _refused('{"payload": 1' + "0" * 5000 + "}", SealUnreadable, "not usable JSON")
    _refused('{"payload": NaN}', SealUnreadable, "NaN")
    lone_surrogate = json.loads(_forge(seal, credential))
    lone_surrogate["payload"] = '{"id": "\ud800' + MARKER + '"}'
    _refused(json.dumps(lone_surrogate), SealUnreadable, "not valid Unicode")


def test_smuggled_structure(seal: Issued, credential: dict[str, Any]) -> None:
    good = json.loads(Sealer(seal.key, seal.certificate).seal(credential))
    member = good["signatures"][0]
    _refused(json.dumps({**good, "signatures": [member, member]}), SealRefused, "carries 2 signatures")
    both = {**good, "signatures": [{**member, "header": {"alg": "none"}}]}
    _refused(json.dumps(both), SealRefused, "both protected and unprotected")
    # Unsigned properties are never trusted: garbage there is noted, and the seal still verifies.
    noisy = {**good, "signatures": [{**member, "header": {"etsiU": ["!!", 5, {"xVals": "x"}]}}]}
    result = verify_seal(json.dumps(noisy))
    assert result.check("signature").status is Status.PASSED
    assert any("cannot be read" in warning for warning in result.warnings)


def test_the_cli_says_one_line_and_exits_1_or_2(
    tmp_path: Path, seal: Issued, credential: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    der = seal.certificate.public_bytes(Encoding.DER)
    cases = {
        "none.json": (_forge(seal, credential, lambda h: h.update(alg="none")), 1),
        "hs256.json": (_forge(seal, credential, lambda h: h.update(alg="HS256"), mac_key=der), 1),
        "deep.json": (("[" * 200_000 + "]" * 200_000).encode(), 2),
    }
    for name, (data, code) in cases.items():
        (tmp_path / name).write_bytes(data)
        capsys.readouterr()
        assert main(["edc", "verify", str(tmp_path / name)]) == code, name
        one_line(capsys.readouterr().err)


def _converted(original: bytes) -> dict[str, Any]:
    from emrex.elm import Sealer as ElmSealer
    from emrex.elm import elmo_to_elm
    from emrex.elmo.reader import read_elmo

    sealer = ElmSealer({"en": "Nordvik University"}, "SE", ORG_ID)
    return elmo_to_elm(read_elmo(original).elmo, sealer, original=original).credential


def test_converted_credentials_must_agree_with_an_original_the_registry_signed(
    ca: Issued, seal: Issued, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from emrex.elm.edc import verify_edc
    from emrex.elmo.sample import sample_elmo
    from emrex.elmo.writer import write_elmo
    from emrex.registry import Emp, Registry, emreg_json
    from emrex.seal.result import EMBEDDED_ELMO
    from emrex.trust.keys import certificate_pem
    from emrex.trust.signer import Signer

    emp, stranger = issue(ca, "Listed EMP"), issue(ca, "Unlisted signer")
    listed = Emp("EMP", "NO", "https://emp.example/emrex", ("Fjordby",), (emp.certificate,))
    registry = Registry(emps=(listed,))
    genuine = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(4)))
    credential = _converted(genuine)
    text = json.dumps(credential)
    grades = {json.dumps(g) for g in _grades(credential)}
    assert grades, "the sample has grades"
    for grade in grades:  # every grade becomes the best one
        changed = json.loads(grade)
        changed["noteLiteral"] = {lang: "A" for lang in changed["noteLiteral"]}
        text = text.replace(grade, json.dumps(changed))
    sealer = Sealer(seal.key, seal.certificate)
    forged = sealer.seal(text.encode())
    policy = SealPolicy(trust=(ca.certificate,))
    result = verify_edc(forged, policy, registry=registry)
    assert result.check(EMBEDDED_ELMO).status is Status.FAILED and result.verdict is Status.FAILED
    assert "differs from its original" in result.check(EMBEDDED_ELMO).summary
    (tmp_path / "forged.json").write_bytes(forged)
    (tmp_path / "registry.json").write_bytes(emreg_json(registry))
    (tmp_path / "ca.pem").write_bytes(certificate_pem(ca.certificate))
    args = ["edc", "verify", str(tmp_path / "forged.json"), "--trust", str(tmp_path / "ca.pem")]
    assert main([*args, "--registry", str(tmp_path / "registry.json")]) == 1
    assert "differs from its original" in capsys.readouterr().out

    foreign = Signer(stranger.key, stranger.certificate).sign(write_elmo(sample_elmo(4)))
    result = verify_edc(sealer.seal(json.dumps(_converted(foreign)).encode()), policy, registry=registry)
    assert result.check(EMBEDDED_ELMO).status is Status.FAILED and result.verdict is Status.FAILED
    assert "signature is not accepted" in result.check(EMBEDDED_ELMO).summary


def _grades(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node["grade"]] if isinstance(node.get("grade"), dict) else []
        return found + [g for value in node.values() for g in _grades(value)]
    if isinstance(node, list):
        return [g for value in node for g in _grades(value)]
    return []


exercised(
    "seal-converted-results-changed",
    "seal-converted-foreign-original",
    "seal-alg-none",
    "seal-hs256-certificate-key",
    "seal-unknown-crit",
    "seal-b64-true-unencoded",
    "seal-untrusted-root",
    "seal-other-payload",
    "seal-certificate-swapped",
    "seal-oversized",
    "seal-json-bombs",
    "seal-smuggled-structure",
    "seal-cli-one-line",
)
