from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.registry import Emp, Registry, emreg_json
from emrex.trust.ca import issue, make_ca
from emrex.trust.certs import load_certificate
from emrex.trust.keys import save_ca, save_issued
from emrex.trust.verifier import verify


@dataclass(frozen=True)
class Files:
    key: Path
    cert: Path
    other_key: Path
    other_cert: Path
    elmo: Path
    registry: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    folder = tmp_path_factory.mktemp("trust-cli")
    ca = make_ca("CLI test CA")
    emp = issue(ca, "EMP CLI")
    other = issue(ca, "EMP Other")
    save_ca(folder / "ca", ca)
    mine = save_issued(folder / "emp", emp)
    theirs = save_issued(folder / "other", other)
    elmo = folder / "elmo.xml"
    sample = sample_elmo(courses=4)
    elmo.write_bytes(write_elmo(dataclasses.replace(sample, reports=sample.reports[:1])))  # Nordvik's own
    (folder / "two-institutions.xml").write_bytes(write_elmo(sample))  # and a report of Collina (IT)
    registry = folder / "emp-list.json"
    registry.write_bytes(
        emreg_json(
            Registry(
                emps=(
                    Emp(
                        "NORDVIK",
                        "SE",
                        "https://emp.nordvik.example/emrex",
                        ("Nordvik University",),
                        certificates=(emp.certificate,),
                    ),
                    Emp("ELSE", "FI", "https://emp.else.example/emrex", certificates=(other.certificate,)),
                )
            )
        )
    )
    return Files(mine.key, mine.public, theirs.key, theirs.public, elmo, registry)


@pytest.fixture(scope="module")
def signed(files: Files, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("signed") / "signed.xml"
    assert (
        main(["sign", str(files.elmo), "--key", str(files.key), "--cert", str(files.cert), "-o", str(out)])
        == 0
    )
    return out


def test_sign_then_verify_with_the_certificate(
    signed: Path, files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify(signed.read_bytes(), load_certificate(files.cert.read_bytes()))
    assert main(["verify", str(signed), "--cert", str(files.cert)]) == 0
    out = capsys.readouterr().out
    assert "signature valid" in out
    assert "signed by:    CN=EMP CLI" in out
    assert "fingerprint:  SHA-256 " in out
    assert "rsa-sha256" in out
    assert "warning" not in out


def test_transport_form_out_and_in(files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "elmo.b64"
    args = [
        "sign",
        str(files.elmo),
        "--key",
        str(files.key),
        "--cert",
        str(files.cert),
        "--transport",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    assert out.read_bytes().startswith(b"H4sI")
    assert main(["verify", str(out), "--cert", str(files.other_cert), "--cert", str(files.cert)]) == 0
    assert "signature valid" in capsys.readouterr().out


def test_verify_writes_only_the_signed_content(signed: Path, files: Files, tmp_path: Path) -> None:
    content = tmp_path / "content.xml"
    assert main(["verify", str(signed), "--cert", str(files.cert), "-o", str(content)]) == 0
    assert b"Signature" not in content.read_bytes()
    assert b"<learner>" in content.read_bytes()


def test_signing_twice_is_refused_unless_replace(
    signed: Path, files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["sign", str(signed), "--key", str(files.other_key), "--cert", str(files.other_cert)]
    assert main(base) == 1
    assert "signed already" in capsys.readouterr().err
    assert main([*base, "--replace"]) == 0
    assert b"<Signature" in capsys.readouterr().out.encode()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("wrong-pair", "does not belong to the certificate"),
        ("missing-key", "no such file"),
        ("cert-is-key", "no certificate in the PEM data (found: PRIVATE KEY)"),
        ("not-xml", "not well-formed"),
    ],
)
def test_sign_usage_errors_exit_2(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, says: str
) -> None:
    key, cert, document = files.key, files.cert, files.elmo
    if change == "wrong-pair":
        cert = files.other_cert
    elif change == "missing-key":
        key = tmp_path / "nope.pem"
    elif change == "cert-is-key":
        cert = files.key
    else:
        document = tmp_path / "broken.xml"
        document.write_bytes(b"<elmo><learner></elmo>")
    assert main(["sign", str(document), "--key", str(key), "--cert", str(cert)]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_tampered_or_untrusted_exit_1(
    signed: Path, files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(signed.read_bytes().replace(b"<familyName>", b"<familyName>X", 1))
    assert main(["verify", str(tampered), "--cert", str(files.cert)]) == 1
    assert "signature not accepted: the document was changed" in capsys.readouterr().err
    assert main(["verify", str(signed), "--cert", str(files.other_cert)]) == 1
    assert "CN=EMP CLI" in capsys.readouterr().err
    assert main(["verify", str(files.elmo), "--cert", str(files.cert)]) == 1
    assert "not signed" in capsys.readouterr().err


def test_verify_against_a_registry_entry(
    signed: Path, files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(signed), "--registry", str(files.registry), "--emp", "nordvik"]) == 0
    out = capsys.readouterr().out
    assert "signature valid for NORDVIK (https://emp.nordvik.example/emrex)" in out
    assert "issuers:      listed for NORDVIK in the registry" in out
    url = "https://emp.else.example/emrex"
    assert main(["verify", str(signed), "--registry", str(files.registry), "--emp", url]) == 1
    assert "not a trusted certificate" in capsys.readouterr().err
    assert main(["verify", str(signed), "--registry", str(files.registry), "--emp", "NOBODY"]) == 2
    assert "NOBODY" in capsys.readouterr().err
    assert (
        main(["verify", str(signed), "--registry", str(files.registry.with_name("x.json")), "--emp", "N"])
        == 2
    )


def test_verify_against_a_registry_compares_the_issuers_as_the_emc_does(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "signed.xml"
    document = files.elmo.with_name("two-institutions.xml")
    sign = ["sign", str(document), "--key", str(files.key), "--cert", str(files.cert), "-o", str(out)]
    assert main(sign) == 0
    assert main(["verify", str(out), "--registry", str(files.registry), "--emp", "NORDVIK"]) == 1
    captured = capsys.readouterr()
    assert "signature valid for NORDVIK" in captured.out
    assert "issuers:      not all listed for NORDVIK in the registry" in captured.out
    (line,) = captured.err.strip().splitlines()
    assert "'University of Collina' (schac unicollina.example, erasmus I COLLINA01) is in IT" in line
    assert main(["verify", str(out), "--cert", str(files.cert)]) == 0  # a certificate alone names no EMP


@pytest.mark.parametrize(
    "args",
    [
        ["--cert", "CERT", "--emp", "NORDVIK"],
        ["--registry", "REGISTRY"],
        ["--cert", "CERT", "--at", "yesterday"],
    ],
)
def test_verify_usage_errors_exit_2(
    signed: Path, files: Files, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    real = [str(files.cert) if a == "CERT" else str(files.registry) if a == "REGISTRY" else a for a in args]
    assert main(["verify", str(signed), *real]) == 2
    assert capsys.readouterr().err.startswith("emrex: ")


def test_verify_needs_a_trust_source(signed: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", str(signed)])
    assert exit_info.value.code == 2


def test_validity_time_and_sha1_policy(
    signed: Path, files: Files, interop_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).date().isoformat()
    assert main(["verify", str(signed), "--cert", str(files.cert), "--at", later]) == 1
    assert "expired on" in capsys.readouterr().err
    wl = interop_dir / "transport" / "dk-emrex__wl.txt"
    dk = interop_dir / "certs" / "dk-emrex__dk-emrex-test.cer"
    assert main(["verify", str(wl), "--cert", str(dk)]) == 0
    assert "warning: the signature uses SHA-1" in capsys.readouterr().out
    assert main(["verify", str(wl), "--cert", str(dk), "--sha1", "reject"]) == 1
    assert "policy rejects" in capsys.readouterr().err


def test_unreadable_documents_exit_2(
    files: Files, interop_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = interop_dir / "transport" / "dk-emrex__elmo-wl-signed-zipped-base64.txt"
    assert main(["verify", str(broken), "--cert", str(files.cert)]) == 2
    assert "not well-formed" in capsys.readouterr().err
    malformed = interop_dir / "malformed" / "fi-emrex__Example-elmo-sweden-1.0.xml"
    assert main(["verify", str(malformed), "--cert", str(files.cert)]) == 2


def test_an_encrypted_key_needs_its_password_file(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives import serialization

    from emrex.trust.certs import load_private_key

    locked = tmp_path / "locked.pem"
    locked.write_bytes(
        load_private_key(files.key.read_bytes()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        )
    )
    base = [
        "sign",
        str(files.elmo),
        "--key",
        str(locked),
        "--cert",
        str(files.cert),
        "-o",
        str(tmp_path / "s"),
    ]
    assert main(base) == 2
    assert "encrypted" in capsys.readouterr().err
    password = tmp_path / "password"
    password.write_bytes(b"correct horse\n")
    assert main([*base, "--key-password-file", str(password)]) == 0
