from __future__ import annotations

import base64
import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from emrex.cli import main
from emrex.trust.ca import issue
from emrex.trust.certs import load_certificate, load_private_key
from emrex.trust.keys import certificate_pem, load_ca


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    # With umask 0 a file created with default permissions would be world-readable.
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys") / "ca"
    assert main(["keys", "ca", "--out", str(folder), "--cn", "Test Network CA", "--bits", "2048"]) == 0
    return folder


def test_ca_files_and_permissions(ca_dir: Path) -> None:
    assert _mode(ca_dir / "ca-key.pem") == 0o600
    assert _mode(ca_dir / "ca-cert.pem") == 0o644
    cert = load_certificate((ca_dir / "ca-cert.pem").read_bytes())
    assert cert.subject.rfc4514_string() == "CN=Test Network CA"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 3650


def test_new_key_with_certificate_from_the_ca(
    ca_dir: Path, tmp_path: Path, permissive_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "emp"
    args = [
        "keys",
        "new",
        "--cn",
        "emp.nordvik.example",
        "--ca",
        str(ca_dir),
        "--out",
        str(out),
        "--days",
        "30",
    ]
    assert main([*args, "--bits", "3072", "--org", "Nordvik University", "--country", "se"]) == 0
    assert _mode(out / "key.pem") == 0o600
    key = load_private_key((out / "key.pem").read_bytes())
    cert = load_certificate((out / "cert.pem").read_bytes())
    assert key.key_size == 3072
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    assert cert.subject.rfc4514_string() == "CN=emp.nordvik.example,O=Nordvik University,C=SE"
    ca_cert = load_ca(ca_dir).certificate
    cert.verify_directly_issued_by(ca_cert)
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 30
    assert "fingerprint: SHA-256" in capsys.readouterr().out


def test_existing_files_are_not_overwritten_without_force(
    ca_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "emp"
    args = ["keys", "new", "--cn", "EMP", "--ca", str(ca_dir), "--out", str(out)]
    assert main(args) == 0
    before = (out / "key.pem").read_bytes()
    assert main(args) == 2
    assert "exists already" in capsys.readouterr().err
    assert (out / "key.pem").read_bytes() == before
    # A key file someone loosened stays owner-only when replaced: it is created anew, not truncated.
    (out / "key.pem").chmod(0o644)
    assert main([*args, "--force"]) == 0
    assert (out / "key.pem").read_bytes() != before
    assert _mode(out / "key.pem") == 0o600


def test_a_cert_file_in_the_way_leaves_no_key_behind(ca_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "emp"
    out.mkdir()
    (out / "cert.pem").write_text("someone else's")
    assert main(["keys", "new", "--cn", "EMP", "--ca", str(ca_dir), "--out", str(out)]) == 2
    assert not (out / "key.pem").exists()


def test_new_without_ca_writes_a_csr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "real"
    assert main(["keys", "new", "--cn", "emp.example.org", "--out", str(out), "--country", "NO"]) == 0
    csr = x509.load_pem_x509_csr((out / "csr.pem").read_bytes())
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == "CN=emp.example.org,C=NO"
    assert _mode(out / "key.pem") == 0o600
    assert not (out / "cert.pem").exists()
    assert main(["keys", "new", "--cn", "x", "--out", str(tmp_path / "y"), "--days", "9"]) == 2
    assert "--days needs --ca" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--ca", "/nonexistent/ca"], "no such file"),
        (["--country", "Sweden"], "two-letter code"),
        (["--cn", "x" * 65], "at most 64"),
    ],
)
def test_new_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    base = ["keys", "new", "--out", str(tmp_path / "o")]
    if "--cn" not in args:
        base += ["--cn", "EMP"]
    assert main([*base, *args]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "o" / "key.pem").exists()


def test_show_describes_a_certificate_and_warns(ca_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "show", str(ca_dir / "ca-cert.pem")]) == 0
    out = capsys.readouterr().out
    assert "subject:      CN=Test Network CA" in out
    assert "issuer:       CN=Test Network CA" in out
    assert "key:          RSA 2048 bits" in out
    assert "fingerprint:  SHA-256 " in out
    assert "warning: self-signed" in out
    assert "expire" not in out


def test_show_warns_about_expiry(ca_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = load_ca(ca_dir)
    soon = issue(ca, "Soon", days=20)
    old = issue(ca, "Old", key=soon.key, days=5, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    for name, issued in (("soon.pem", soon), ("old.pem", old)):
        (tmp_path / name).write_bytes(certificate_pem(issued.certificate))
    assert main(["keys", "show", str(tmp_path / "soon.pem")]) == 0
    out = capsys.readouterr().out
    assert "warning: expires in 19 days" in out or "warning: expires in 20 days" in out
    assert "self-signed" not in out
    assert main(["keys", "show", str(tmp_path / "old.pem")]) == 0
    assert "warning: expired 5 days ago" in capsys.readouterr().out


def test_show_reads_der_lenient_pem_bundles_keys_and_csrs(
    ca_dir: Path, interop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cert = load_certificate((ca_dir / "ca-cert.pem").read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    (tmp_path / "ca.der").write_bytes(der)
    squashed = b"-----BEGIN CERTIFICATE-----" + base64.b64encode(der) + b"-----END CERTIFICATE-----"
    (tmp_path / "squashed.pem").write_bytes(squashed)
    bundle = (ca_dir / "ca-cert.pem").read_bytes() + (
        interop_dir / "certs" / "emp-mockup__no-cert.crt"
    ).read_bytes()
    (tmp_path / "bundle.pem").write_bytes(bundle)
    for name in ("ca.der", "squashed.pem"):
        assert main(["keys", "show", str(tmp_path / name)]) == 0
        assert "CN=Test Network CA" in capsys.readouterr().out
    assert main(["keys", "show", str(tmp_path / "bundle.pem")]) == 0
    out = capsys.readouterr().out
    assert out.count("subject:") == 2
    assert "warning: a 1024-bit key is too weak" in out
    assert main(["keys", "show", str(ca_dir / "ca-key.pem")]) == 0
    assert "RSA private key, 2048 bits" in capsys.readouterr().out


def test_show_garbage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.pem").write_bytes(b"hello, world")
    assert main(["keys", "show", str(tmp_path / "junk.pem")]) == 2
    assert "neither PEM, DER nor base64" in capsys.readouterr().err
    assert main(["keys", "show", str(tmp_path / "missing.pem")]) == 2


def test_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["keys", "ca", "--out", str(blocker), "--bits", "2048"]) == 2
    assert "cannot create the folder" in capsys.readouterr().err


def test_new_ec_key_with_an_organisation_identifier(
    ca_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from emrex.trust.certs import load_certificate
    from emrex.trust.orgid import organization_identifier_of

    out = tmp_path / "seal"
    args = ["keys", "new", "--ca", str(ca_dir), "--cn", "Seal", "--ec", "--org-id", "NTRSE-2021001234"]
    assert main([*args, "--out", str(out)]) == 0
    certificate = load_certificate((out / "cert.pem").read_bytes())
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    assert organization_identifier_of(certificate) == "NTRSE-2021001234"
    capsys.readouterr()
    assert main(["keys", "show", str(out / "key.pem")]) == 0
    assert "EC private key, curve secp256r1" in capsys.readouterr().out
    assert (
        main(["keys", "new", "--ca", str(ca_dir), "--cn", "X", "--org-id", "2021001234", "--out", str(out)])
        == 2
    )
    assert "not an ETSI organisation identifier" in capsys.readouterr().err
