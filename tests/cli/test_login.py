"""``emrex login``: demo password hashes and the configuration check."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.web.login.demo import verify_password


def test_hash_password_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass\n"))
    assert main(["login", "hash-password", "--stdin"]) == 0
    stored = capsys.readouterr().out.strip()
    assert verify_password("s3cret pass", stored) and not verify_password("s3cret", stored)


def test_empty_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["login", "hash-password", "--stdin"]) == 1
    assert "empty password" in capsys.readouterr().err


def run_piped(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    code = "import sys; from emrex.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, "login", "hash-password"],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_hash_password_reads_a_piped_password_without_asking() -> None:
    done = run_piped(b"s3cret pass\n")
    assert done.returncode == 0, done.stderr
    assert verify_password("s3cret pass", done.stdout.decode().strip())
    assert b"Password:" not in done.stdout + done.stderr


@pytest.mark.parametrize(("stdin", "words"), [(b"", b"no password"), (b"\n", b"empty password")])
def test_hash_password_without_a_piped_password_says_so(stdin: bytes, words: bytes) -> None:
    done = run_piped(stdin)
    assert done.returncode in (1, 2) and words in done.stderr, done.stderr
    assert b"internal error" not in done.stderr and done.stderr.count(b"\n") == 1


def test_an_end_of_input_at_the_prompt_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def end_of_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", end_of_input)
    assert main(["login", "hash-password"]) == 2
    assert "no password" in capsys.readouterr().err


def test_check_accepts_a_good_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "emc.toml"
    config.write_text(
        '[emc.login]\nmethod = "headers"\n[emc.login.headers]\ntrusted_proxies = ["127.0.0.1"]\n',
        encoding="utf-8",
    )
    assert main(["login", "check", str(config), "--table", "emc.login"]) == 0
    assert "method headers, production" in capsys.readouterr().out


def test_check_names_the_bad_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "emc.toml"
    config.write_text('[login]\nmethod = "demo"\n[login.demo]\naccounts = []\n', encoding="utf-8")
    assert main(["login", "check", str(config)]) == 1
    assert "login.method: demo accounts are refused when login.production is true" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"), [("[login\n", "not a TOML file"), ("[other]\n", "no [login] table")]
)
def test_check_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["login", "check", str(config)]) == 1
    assert message in capsys.readouterr().err


def test_check_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["login", "check", "/nonexistent/emc.toml"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_saml_keys_make_a_long_lived_self_signed_rsa_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    out = tmp_path / "saml"
    assert main(["login", "saml-keys", "--out", str(out), "--cn", "emp.uni.example"]) == 0
    assert "fingerprint: SHA-256" in capsys.readouterr().out
    certificate = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    assert certificate.subject == certificate.issuer
    assert (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days >= 3649
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 3072
    assert (out / "key.pem").stat().st_mode & 0o077 == 0
    assert main(["login", "saml-keys", "--out", str(out), "--cn", "emp.uni.example"]) == 2  # no overwrite
    assert "exists" in capsys.readouterr().err


def test_saml_metadata_and_check_from_a_configuration_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "saml"
    assert main(["login", "saml-keys", "--out", str(keys), "--cn", "emp.uni.example"]) == 0
    idp = tmp_path / "idp.xml"
    idp.write_text("<EntityDescriptor/>", encoding="utf-8")
    config = tmp_path / "emp.toml"
    config.write_text(
        '[login]\nmethod = "saml"\n[login.saml]\n'
        'entity_id = "https://emp.uni.example/login/saml/metadata"\n'
        f'key_file = "{keys / "key.pem"}"\ncertificate_file = "{keys / "cert.pem"}"\n'
        f'idp_metadata = "{idp}"\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["login", "saml-metadata", str(config), "--base-url", "https://emp.uni.example"]) == 0
    metadata = capsys.readouterr().out
    assert 'entityID="https://emp.uni.example/login/saml/metadata"' in metadata
    assert 'Location="https://emp.uni.example/login/saml/acs"' in metadata and "sha1" not in metadata
    assert main(["login", "saml-metadata", str(config)]) == 1
    assert "login.saml.base_url: missing" in capsys.readouterr().err
    assert main(["login", "check", str(config)]) == 1  # no base_url: the check names it as well
    assert "login.saml.base_url: missing" in capsys.readouterr().err
