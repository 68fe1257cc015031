"""``emrex edc seal`` and ``emrex edc verify``: the keys `emrex keys` makes, the plain-words report,
and the exit codes (0 accepted, 1 refused, 2 unreadable or usage)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.registry import Emp, Registry, emreg_json
from emrex.seal import verify_seal
from emrex.seal.sample import sample_credential
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import certificate_pem
from emrex.trust.signer import Signer

ORG_ID = "NTRSE-2021001234"


@dataclass(frozen=True)
class Files:
    folder: Path
    ca: Path
    credential: Path
    sealed: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("edc-cli")
    assert main(["keys", "ca", "--out", str(folder / "ca"), "--bits", "2048"]) == 0
    for name, extra in (("ec", ["--ec"]), ("rsa", [])):
        args = ["keys", "new", "--ca", str(folder / "ca"), "--cn", f"Nordvik {name} seal", "--org-id", ORG_ID]
        assert main([*args, "--out", str(folder / name), *extra]) == 0
    credential = folder / "credential.json"
    credential.write_text(
        json.dumps(sample_credential(4, issuer_identifier=ORG_ID), indent=2), encoding="utf-8"
    )
    sealed = folder / "sealed.json"
    args = ["edc", "seal", str(credential), "--key", str(folder / "ec" / "key.pem")]
    assert main([*args, "--cert", str(folder / "ec" / "cert.pem"), "-o", str(sealed)]) == 0
    return Files(folder, folder / "ca" / "ca-cert.pem", credential, sealed)


def test_seal_then_verify_with_the_ca_as_anchor(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    out_file = files.folder / "payload.json"
    assert main(["edc", "verify", str(files.sealed), "--trust", str(files.ca), "-o", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{files.sealed}: accepted\n")
    assert "sealed by:    CN=Nordvik ec seal,2.5.4.97=NTRSE-2021001234" in out
    for line in ("intact:", "chain:", "issuer binding:", "certificate validity:", "credential validity:"):
        assert f"  {line}" in out
    assert "not checked:\n    trusted list: the EU trusted lists cannot be reached offline" in out
    assert "ES256, JAdES B-B" in out
    assert json.loads(out_file.read_bytes()) == json.loads(files.credential.read_bytes())


def test_without_an_anchor_it_is_not_accepted(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edc", "verify", str(files.sealed)]) == 1
    out = capsys.readouterr().out
    assert "not accepted" in out and "chain:                indeterminate: no trust anchor" in out


def test_rsa_with_pss(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = files.folder / "pss.json"
    key, cert = files.folder / "rsa" / "key.pem", files.folder / "rsa" / "cert.pem"
    args = ["edc", "seal", str(files.credential), "--key", str(key), "--cert", str(cert), "--alg", "PS256"]
    assert main([*args, "-o", str(out_file)]) == 0
    assert verify_seal(out_file.read_bytes()).algorithm == "PS256"


def test_a_changed_credential_is_not_intact(files: Files, capsys: pytest.CaptureFixture[str]) -> None:
    changed = files.folder / "changed.json"
    changed.write_bytes(files.sealed.read_bytes().replace(b"Nordvik University", b"Nordvik Universitet", 1))
    assert main(["edc", "verify", str(changed), "--trust", str(files.ca)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"emrex: {changed}: not intact: the seal does not match")
    assert err.count("\n") == 1


def test_a_credential_of_another_issuer_is_not_sealed(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    other = files.folder / "other.json"
    other.write_text(json.dumps(sample_credential(1, issuer_identifier="NTRFI-999")), encoding="utf-8")
    key, cert = files.folder / "ec" / "key.pem", files.folder / "ec" / "cert.pem"
    assert main(["edc", "seal", str(other), "--key", str(key), "--cert", str(cert)]) == 1
    assert "cannot seal the credential" in capsys.readouterr().err


def test_unreadable_input_and_usage_exit_2(
    files: Files, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe not json")
    assert main(["edc", "verify", str(garbage)]) == 2
    assert main(["edc", "verify", str(files.credential)]) == 2
    assert "the credential is not sealed" in capsys.readouterr().err
    assert main(["edc", "verify", str(files.sealed), "--trust", str(garbage)]) == 2
    assert main(["edc", "verify", str(files.sealed), "--at", "tomorrow"]) == 2
    assert main(["edc", "seal", str(files.credential), "--key", str(files.ca), "--cert", str(files.ca)]) == 2
    assert (
        main(
            [
                "edc",
                "seal",
                str(garbage),
                "--key",
                str(files.folder / "ec" / "key.pem"),
                "--cert",
                str(files.folder / "ec" / "cert.pem"),
            ]
        )
        == 2
    )
    assert main(["edc"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_the_eu_samples_verify_with_their_own_ca(
    edc_sample: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.seal.conftest import xvals

    anchors = [
        c for c in xvals(json.loads(edc_sample.read_bytes())) if "Halcom Root" in c.subject.rfc4514_string()
    ]
    anchor = tmp_path / "halcom.pem"
    anchor.write_bytes(certificate_pem(anchors[0]))
    assert main(["edc", "verify", str(edc_sample), "--trust", str(anchor), "--at", "2026-06-01"]) == 0
    out = capsys.readouterr().out
    assert "issuer binding:       passed: the seal's organisation identifier NTREE-17207834" in out
    assert "timestamps: present, not checked: sigTst" in out


def test_a_plain_credential_has_no_embedded_elmo_and_an_unusable_registry_is_refused(
    files: Files, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ca = make_ca("Registry CA")
    emp = issue(ca, "EMP")
    registry = tmp_path / "registry.json"
    registry.write_bytes(
        emreg_json(
            Registry(
                emps=(
                    Emp(
                        url="https://emp.example/emrex",
                        country_code="SE",
                        acronym="EMP",
                        certificates=(emp.certificate,),
                    ),
                )
            )
        )
    )
    assert (
        main(["edc", "verify", str(files.sealed), "--trust", str(files.ca), "--registry", str(registry)]) == 0
    )
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "embedded ELMO: no original ELMO is embedded (not Converted)" in captured.out
    assert main(["edc", "verify", str(files.sealed), "--registry", str(tmp_path / "none.json")]) == 2


def test_a_converted_credential_end_to_end(
    files: Files, capsys: pytest.CaptureFixture[str], tmp_path: Path, shapes_dir: Path
) -> None:
    """ELMO signed by a registry EMP -> ELM (Converted) -> sealed -> verified with shapes and registry."""
    ca = make_ca("Registry CA")
    emp = issue(ca, "Fjordby EMP")
    elmo = tmp_path / "elmo.xml"
    elmo.write_bytes(Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(5))))
    registry = tmp_path / "registry.json"
    listed = Emp(
        url="https://emp.fjordby.example/emrex",
        country_code="NO",
        acronym="FJORD",
        institutions=("Fjordby University",),
        certificates=(emp.certificate,),
    )
    registry.write_bytes(emreg_json(Registry(emps=(listed,))))
    credential, sealed = tmp_path / "elm.json", tmp_path / "sealed.json"
    sealer = ["--sealer-name", "Nordvik University", "--sealer-country", "SE", "--sealer-id", ORG_ID]
    assert main(["elm", "convert", str(elmo), *sealer, "-o", str(credential)]) == 0
    key, cert = files.folder / "rsa" / "key.pem", files.folder / "rsa" / "cert.pem"
    assert (
        main(["edc", "seal", str(credential), "--key", str(key), "--cert", str(cert), "-o", str(sealed)]) == 0
    )
    capsys.readouterr()
    args = ["edc", "verify", str(sealed), "--trust", str(files.ca), "--shapes-dir", str(shapes_dir)]
    assert main([*args, "--registry", str(registry)]) == 0
    out = capsys.readouterr().out
    assert "conformance:          passed: conforms to the EDC shapes" in out
    assert (
        "embedded ELMO:        passed: the original ELMO is signed by Fjordby University (FJORD, NO)" in out
    )
    other = issue(ca, "Another EMP").certificate  # the registry now lists another key for FJORD
    registry.write_bytes(emreg_json(Registry(emps=(dataclasses.replace(listed, certificates=(other,)),))))
    assert main([*args, "--registry", str(registry)]) == 1
    assert (
        "embedded ELMO:        failed: the original ELMO's signature is not accepted"
        in capsys.readouterr().out
    )


@pytest.fixture
def edc_sample(shared_dir: Path) -> Path:
    return shared_dir / "samples-elm" / "edc-examples" / "mynextid-degree-certificate-signed.jsonld"
