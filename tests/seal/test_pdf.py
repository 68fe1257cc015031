"""PAdES seals of the PDF transcript, checked by our verifier and by poppler's pdfsig as an oracle."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from emrex.cli import main
from emrex.elmo.sample import sample_elmo
from emrex.errors import InputTooLarge
from emrex.seal import PdfNotSealed, PdfSealError, SealingError, Status
from emrex.seal.pdf import PdfSealer, verify_pdf_seal
from emrex.transcript import render_transcript
from emrex.trust.ca import Issued, make_ca
from emrex.trust.keys import certificate_pem, private_key_pem


@pytest.fixture(scope="module")
def transcript() -> bytes:
    return render_transcript(sample_elmo(courses=6))


@pytest.fixture(scope="module")
def sealed_pdf(rsa_seal: Issued, transcript: bytes) -> bytes:
    return PdfSealer(rsa_seal.key, rsa_seal.certificate).seal(transcript)


def _pdfsig(path: Path) -> str:
    tool = shutil.which("pdfsig")
    if tool is None:
        pytest.skip("pdfsig (Debian poppler-utils) is not installed: the independent PDF check is skipped")
    return subprocess.run([tool, "-nocert", str(path)], capture_output=True, text=True, timeout=60).stdout


def test_a_sealed_transcript_verifies_here_and_in_pdfsig(
    sealed_pdf: bytes, transcript: bytes, ca: Issued, tmp_path: Path
) -> None:
    assert sealed_pdf.startswith(transcript)  # an incremental update: the transcript's bytes are kept
    result = verify_pdf_seal(sealed_pdf, trust=[ca.certificate])
    assert result.verdict is Status.PASSED and result.intact
    assert "Nordvik University seal" in result.sealer
    assert result.signing_time is not None
    assert abs(result.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_pdf)
    report = _pdfsig(path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Signature Type: ETSI.CAdES.detached" in report  # PAdES
    assert "Total document signed" in report
    assert "Nordvik University seal" in report


def test_an_ec_key_seals_too(
    ec_seal: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
    transcript: bytes,
    ca: Issued,
    tmp_path: Path,
) -> None:
    sealed = PdfSealer(*ec_seal).seal(transcript)
    assert verify_pdf_seal(sealed, trust=[ca.certificate]).accepted
    path = tmp_path / "ec.pdf"
    path.write_bytes(sealed)
    assert "Signature is Valid." in _pdfsig(path)


def test_a_changed_byte_is_caught_here_and_in_pdfsig(sealed_pdf: bytes, ca: Issued, tmp_path: Path) -> None:
    changed = bytearray(sealed_pdf)
    position = sealed_pdf.index(b"/Producer") if b"/Producer" in sealed_pdf else 1000
    changed[position + 2] ^= 0x01
    result = verify_pdf_seal(bytes(changed), trust=[ca.certificate])
    assert result.check("signature").status is Status.FAILED and not result.intact
    assert result.verdict is Status.FAILED
    path = tmp_path / "changed.pdf"
    path.write_bytes(bytes(changed))
    assert "Signature Validation: Digest Mismatch." in _pdfsig(path)


def test_content_added_after_sealing_is_caught(sealed_pdf: bytes, ca: Issued, tmp_path: Path) -> None:
    result = verify_pdf_seal(sealed_pdf + b"\n%%added\n", trust=[ca.certificate])
    assert result.check("coverage").status is Status.FAILED and result.verdict is Status.FAILED
    path = tmp_path / "added.pdf"
    path.write_bytes(sealed_pdf + b"\n%%added\n")
    assert "Total document signed" not in _pdfsig(path)


def test_chain_results(sealed_pdf: bytes) -> None:
    assert verify_pdf_seal(sealed_pdf).check("chain").status is Status.INDETERMINATE
    stranger = verify_pdf_seal(sealed_pdf, trust=[make_ca("Stranger").certificate])
    assert stranger.check("chain").status is Status.FAILED and stranger.verdict is Status.FAILED


def test_refusals(
    transcript: bytes, rsa_seal: Issued, ec_seal: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> None:
    with pytest.raises(PdfNotSealed):
        verify_pdf_seal(transcript)
    with pytest.raises(PdfSealError, match="not a PDF"):
        verify_pdf_seal(b"<html>hello</html>")
    with pytest.raises(PdfSealError, match="cannot"):
        verify_pdf_seal(b"%PDF-1.7\n garbage")
    with pytest.raises(InputTooLarge):
        verify_pdf_seal(b"%PDF-" + b"0" * (33 * 1024 * 1024))
    with pytest.raises(SealingError, match="does not belong"):
        PdfSealer(ec_seal[0], rsa_seal.certificate)
    with pytest.raises(PdfSealError, match="cannot be sealed"):
        PdfSealer(rsa_seal.key, rsa_seal.certificate).seal(b"%PDF-1.7\n not really")


def test_the_transcript_commands(
    transcript: bytes, rsa_seal: Issued, ca: Issued, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, data in (
        ("t.pdf", transcript),
        ("key.pem", private_key_pem(rsa_seal.key)),
        ("cert.pem", certificate_pem(rsa_seal.certificate)),
        ("ca.pem", certificate_pem(ca.certificate)),
    ):
        (tmp_path / name).write_bytes(data)
    key, cert = str(tmp_path / "key.pem"), str(tmp_path / "cert.pem")
    out = tmp_path / "sealed.pdf"
    assert (
        main(["transcript", "seal", str(tmp_path / "t.pdf"), "--key", key, "--cert", cert, "-o", str(out)])
        == 0
    )
    capsys.readouterr()
    assert main(["transcript", "verify", str(out), "--trust", str(tmp_path / "ca.pem")]) == 0
    report = capsys.readouterr().out
    assert report.startswith(f"{out}: accepted\n") and "coverage:             passed" in report
    assert main(["transcript", "verify", str(out)]) == 1
    assert main(["transcript", "verify", str(tmp_path / "t.pdf")]) == 1  # not sealed
    assert main(["transcript", "verify", key]) == 2
    assert main(["transcript", "seal", key, "--key", key, "--cert", cert, "-o", str(out)]) == 2
    assert "not a PDF" in capsys.readouterr().err
