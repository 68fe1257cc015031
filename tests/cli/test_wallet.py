"""``emrex wallet issue | verify``: offline, with exit codes 0 / 1 / 2 and one line on failure (the holder's
commands run against live services in tests/wallet/test_holder.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import certificate_pem, private_key_pem
from emrex.wallet import issue_certificate
from emrex.wallet.jose import dumps, new_ec_key


@dataclass(frozen=True)
class Files:
    ca: Path
    key: Path
    cert: Path
    rsa_key: Path
    rsa_cert: Path
    other_ca: Path
    holder: Path
    holder_private: Path
    elm: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Files:
    folder = tmp_path_factory.mktemp("wallet-cli")
    ca = make_ca("Wallet CLI CA")
    key, cert = issue_certificate(ca, "Issuer", dns_names=["issuer.example"])
    emp = issue(ca, "An EMP")
    holder = new_ec_key()
    written = {
        "ca": certificate_pem(ca.certificate),
        "key": key.key.as_pem(private=True),
        "cert": certificate_pem(cert),
        "rsa_key": private_key_pem(emp.key),
        "rsa_cert": certificate_pem(emp.certificate),
        "other_ca": certificate_pem(make_ca("Other CA").certificate),
        "holder": dumps(holder.as_dict(private=False)),
        "holder_private": dumps(holder.as_dict(private=True)),
        "elm": (shared_dir / "samples-elm" / "converter-dc4eu" / "uio-tor.elm.json").read_bytes(),
    }
    for name, data in written.items():
        (folder / name).write_bytes(data)
    return Files(**{name: folder / name for name in written})


def _issue(files: Files, out: Path, *extra: str, key: Path | None = None, cert: Path | None = None) -> int:
    return main(
        [
            "wallet",
            "issue",
            str(files.elm),
            "--key",
            str(key or files.key),
            "--cert",
            str(cert or files.cert),
            "--holder-key",
            str(files.holder),
            "-o",
            str(out),
            *extra,
        ]
    )


def test_issue_then_verify(files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "credential.txt"
    assert _issue(files, out) == 0
    assert out.read_text().count("~") == 2 + 7 + 1 + 1  # courses, learner, display, and the end
    assert main(["wallet", "verify", str(out), "--trust", str(files.ca)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == [
        f"{out}: valid",
        "issuer: https://issuer.example (vouched for by CN=Issuer)",
        "status: no status list",
    ]
    assert (
        "learner: Test Testesen" in printed
        and "courses disclosed: 2" in printed
        and "  Fire Safety" in printed
    )


def test_verify_as_json(files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "credential.txt"
    _issue(files, out, "--issuer", "https://lindholm.example")
    capsys.readouterr()
    assert main(["wallet", "verify", str(out), "--trust", str(files.ca), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["issuer"] == "https://lindholm.example" and summary["vct"] == "urn:eudi:elm:1"
    assert summary["elm"]["credentialSubject"]["familyName"] == {"no": "Testesen"}


def test_an_rsa_issuer_key_from_emrex_keys(files: Files, tmp_path: Path) -> None:
    out = tmp_path / "credential.txt"
    assert _issue(files, out, "--issuer", "https://emp.example", key=files.rsa_key, cert=files.rsa_cert) == 0
    assert main(["wallet", "verify", str(out), "--trust", str(files.ca)]) == 0


def test_refusals_exit_1_with_one_line(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "credential.txt"
    _issue(files, out)
    capsys.readouterr()
    assert main(["wallet", "verify", str(out), "--trust", str(files.other_ca)]) == 1
    error = capsys.readouterr().err
    assert (
        error.count("\n") == 1
        and "refused" in error
        and "does not chain to a configured trust anchor" in error
    )
    assert main(["wallet", "verify", str(out), "--trust", str(files.ca), "--aud", "https://me"]) == 1
    assert "no key-binding JWT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a credential", "no '~'"), (b"a.b.c~", "not base64url"), (b"", "no '~'")],
)
def test_unreadable_input_exits_2(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    assert main(["wallet", "verify", str(path), "--trust", str(files.ca)]) == 2
    assert message in capsys.readouterr().err


def test_usage_problems_exit_2(files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wallet", "verify", str(tmp_path / "missing"), "--trust", str(files.ca)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["wallet", "verify", str(files.elm), "--trust", str(files.holder)]) == 2
    assert "--trust" in capsys.readouterr().err
    assert _issue(files, tmp_path / "x", cert=files.rsa_cert) == 2
    assert "does not belong to the certificate" in capsys.readouterr().err
    elmo = tmp_path / "tor.xml"
    elmo.write_bytes(b"<elmo/>")
    assert (
        main(
            [
                "wallet",
                "issue",
                str(elmo),
                "--key",
                str(files.key),
                "--cert",
                str(files.cert),
                "--holder-key",
                str(files.holder),
            ]
        )
        == 2
    )
    assert "not an ELMO document" in capsys.readouterr().err
    assert _issue(files, tmp_path / "x", "--days", "0") == 2


def test_issue_from_elmo_carries_the_original_as_a_disclosure(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from emrex.elmo.sample import sample_elmo
    from emrex.elmo.writer import write_elmo

    elmo = tmp_path / "elmo.xml"
    elmo.write_bytes(write_elmo(sample_elmo(3)))
    out = tmp_path / "credential.txt"
    sealer = [
        "--sealer-name",
        "Lindholm University",
        "--sealer-country",
        "se",
        "--sealer-id",
        "NTRSE-2021001234",
    ]
    assert (
        main(
            [
                "wallet",
                "issue",
                str(elmo),
                "--key",
                str(files.key),
                "--cert",
                str(files.cert),
                "--holder-key",
                str(files.holder),
                "-o",
                str(out),
                *sealer,
            ]
        )
        == 0
    )
    # 3 courses, the learner's members, the display picture and the original ELMO, each its own disclosure
    disclosures = out.read_text().split("~")[1:-1]
    assert len(disclosures) >= 3 + 1 + 1
    assert main(["wallet", "verify", str(out), "--trust", str(files.ca), "--json"]) == 0
    elm = json.loads(capsys.readouterr().out)["elm"]
    assert elm["evidence"]["embeddedEvidence"]  # the original travels when the holder discloses it


def test_issue_from_elmo_needs_the_issuing_organisation(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from emrex.elmo.sample import sample_elmo
    from emrex.elmo.writer import write_elmo

    elmo = tmp_path / "elmo.xml"
    elmo.write_bytes(write_elmo(sample_elmo(1)))
    assert (
        main(
            [
                "wallet",
                "issue",
                str(elmo),
                "--key",
                str(files.key),
                "--cert",
                str(files.cert),
                "--holder-key",
                str(files.holder),
                "-o",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
    error = capsys.readouterr().err
    assert "needs the issuing organisation" in error and error.count("\n") == 1
