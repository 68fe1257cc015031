"""A sealed Converted credential verified end to end: seal, EDC shapes, the embedded ELMO's data
provider signature against the registry, and the credential's results against its original."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from emrex.elm import Sealer as ElmSealer
from emrex.elm import elmo_to_elm
from emrex.elm.edc import verify_edc
from emrex.elm.shapes import ShapesLibrary
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.errors import EmrexError
from emrex.registry import Emp, Registry
from emrex.seal import Sealer, SealPolicy, Status
from emrex.seal.result import CONFORMANCE, EMBEDDED_ELMO
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.signer import Signer

ORG_ID = "NTRSE-2021001234"


@dataclass(frozen=True)
class Net:
    ca: Issued
    emp: Issued
    registry: Registry
    sealer: Sealer
    signed_elmo: bytes


@pytest.fixture(scope="module")
def net() -> Net:
    ca = make_ca("Test CA")
    emp = issue(ca, "Fjordby EMP")
    seal = issue(ca, "Lindholm seal", organization_identifier=ORG_ID)
    registry = Registry(
        emps=(
            Emp(
                acronym="FJORD",
                country_code="NO",
                url="https://emp.fjordby.example/emrex",
                institutions=("Fjordby University",),
                certificates=(emp.certificate,),
            ),
        )
    )
    signed = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(6)))
    return Net(ca, emp, registry, Sealer(seal.key, seal.certificate), signed)


def converted(net: Net, original: bytes) -> dict[str, object]:
    sealer = ElmSealer({"en": "Lindholm University"}, "SE", ORG_ID)
    return elmo_to_elm(read_elmo(original).elmo, sealer, original=original).credential


def seal(net: Net, credential: dict[str, object]) -> bytes:
    return net.sealer.seal(json.dumps(credential).encode("utf-8"))


def test_a_converted_credential_passes_every_check(net: Net, library: ShapesLibrary) -> None:
    sealed = seal(net, converted(net, net.signed_elmo))
    result = verify_edc(
        sealed, SealPolicy(trust=(net.ca.certificate,)), library=library, registry=net.registry
    )
    assert result.check(CONFORMANCE).status is Status.PASSED
    embedded = result.check(EMBEDDED_ELMO)
    assert embedded.status is Status.PASSED
    assert "signed by Fjordby University (FJORD, NO), as the registry lists it" in embedded.summary
    assert result.verdict is Status.PASSED


def test_without_a_registry_the_original_is_compared_but_its_signature_not_checked(
    net: Net, library: ShapesLibrary
) -> None:
    sealed = seal(net, converted(net, net.signed_elmo))
    result = verify_edc(sealed, SealPolicy(trust=(net.ca.certificate,)), library=library)
    embedded = result.check(EMBEDDED_ELMO)
    assert embedded.status is Status.NOT_CHECKED
    assert "agrees with the credential" in embedded.summary and "not checked" in embedded.summary


def test_an_original_signed_by_a_provider_outside_the_registry_fails(
    net: Net, library: ShapesLibrary
) -> None:
    stranger = issue(net.ca, "Not in the registry")
    other = Signer(stranger.key, stranger.certificate).sign(write_elmo(sample_elmo(6)))
    sealed = seal(net, converted(net, other))
    result = verify_edc(
        sealed, SealPolicy(trust=(net.ca.certificate,)), library=library, registry=net.registry
    )
    assert result.check(EMBEDDED_ELMO).status is Status.FAILED
    assert "signature is not accepted" in result.check(EMBEDDED_ELMO).summary
    assert result.verdict is Status.FAILED


def test_a_grade_changed_beside_a_genuine_original_fails(net: Net, library: ShapesLibrary) -> None:
    changed = _change_first_grade(converted(net, net.signed_elmo))
    sealed = seal(net, changed)  # type: ignore[arg-type]
    result = verify_edc(
        sealed, SealPolicy(trust=(net.ca.certificate,)), library=library, registry=net.registry
    )
    embedded = result.check(EMBEDDED_ELMO)
    assert embedded.status is Status.FAILED
    assert "differs from its original" in embedded.summary
    assert result.verdict is Status.FAILED


def test_without_shapes_conformance_is_said_not_checked(net: Net, tmp_path: object) -> None:
    sealed = seal(net, converted(net, net.signed_elmo))
    result = verify_edc(sealed, SealPolicy(trust=(net.ca.certificate,)), shapes_dir=str(tmp_path))
    assert result.check(CONFORMANCE).status is Status.NOT_CHECKED
    assert "not installed" in result.check(CONFORMANCE).summary


def _change_first_grade(node: object) -> object:
    done = False

    def walk(value: object) -> object:
        nonlocal done
        if isinstance(value, dict):
            grade = value.get("grade")
            if not done and isinstance(grade, dict) and isinstance(grade.get("noteLiteral"), dict):
                done = True
                return {**value, "grade": {**grade, "noteLiteral": {k: "F" for k in grade["noteLiteral"]}}}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    changed = walk(node)
    assert done, "the sample credential has no grade to change"
    return changed


@pytest.mark.parametrize("seed", range(6))
def test_a_genuine_conversion_never_differs_from_its_original(net: Net, seed: int) -> None:
    from emrex.elm.edc import _difference

    original = Signer(net.emp.key, net.emp.certificate).sign(write_elmo(sample_elmo(3 + 7 * seed, seed=seed)))
    assert _difference(converted(net, original), original) is None  # type: ignore[arg-type]


def test_genuine_conversions_of_the_interop_corpus_never_differ(net: Net, interop_dir: Path) -> None:
    from emrex.elm.edc import _difference
    from emrex.elmo import codec

    compared = 0
    for path in [
        p for d in ("signed-valid", "unsigned", "transport") for p in sorted((interop_dir / d).glob("*"))
    ]:
        try:
            original = codec.decode(path.read_bytes())
            credential = converted(net, original)
        except EmrexError:
            continue  # not a readable ELMO: nothing to convert
        assert _difference(credential, original) is None, path.name  # type: ignore[arg-type]
        compared += 1
    assert compared >= 5
