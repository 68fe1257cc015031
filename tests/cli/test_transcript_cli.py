"""``emrex transcript render|attach``: outputs and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.elmo import codec
from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    path = tmp_path / "sample.xml"
    path.write_bytes(write_elmo(sample_elmo(6)))
    return path


def pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n")


def test_render_to_a_file_from_xml_or_the_transport_form(sample_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.pdf"
    assert main(["transcript", "render", str(sample_file), "-o", str(out)]) == 0
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-") and pages(pdf) >= 1
    form = tmp_path / "form.txt"
    form.write_text(codec.encode(sample_file.read_bytes()))
    swedish = tmp_path / "sv.pdf"
    assert main(["transcript", "render", str(form), "--language", "sv", "-o", str(swedish)]) == 0
    assert b"/Lang (sv)" in swedish.read_bytes()


def test_render_refuses_to_write_a_pdf_to_a_terminal(
    sample_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["transcript", "render", str(sample_file)]) == 2
    assert "will not write a PDF to a terminal" in capsys.readouterr().err


def test_unreadable_and_invalid_inputs(
    sample_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "t.pdf")
    assert main(["transcript", "render", str(tmp_path / "missing.xml"), "-o", out]) == 2
    assert "no such file" in capsys.readouterr().err
    other = tmp_path / "other.xml"
    other.write_bytes(b"<html><body/></html>")
    assert main(["transcript", "render", str(other), "-o", out]) == 1
    assert "not an ELMO document" in capsys.readouterr().err
    assert (
        main(["transcript", "render", str(sample_file), "--font", str(tmp_path / "no.ttf"), "-o", out]) == 2
    )
    assert "no such font file" in capsys.readouterr().err
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00 broken")
    assert main(["transcript", "render", str(sample_file), "--font", str(broken), "-o", out]) == 1
    err = capsys.readouterr().err
    assert err.startswith("emrex: cannot use") and err.count("\n") == 1
    assert not Path(out).exists(), "nothing written on failure"


def test_attach_writes_the_document_with_its_transcript(sample_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "with-pdf.xml"
    assert main(["transcript", "attach", str(sample_file), "--language", "sv", "-o", str(out)]) == 0
    elmo = read_elmo(out.read_bytes()).elmo
    found = [a for a in elmo.attachments if a.type is m.AttachmentType.EMREX_TRANSCRIPT]
    assert len(found) == 1
    media_type, pdf = found[0].payload()
    assert media_type == "application/pdf" and pdf.startswith(b"%PDF-")
    assert found[0].titles[0] == m.LangText("EMREX-resultatintyg", "sv")
    assert elmo.reports == read_elmo(sample_file.read_bytes()).elmo.reports


def test_attach_says_a_signed_input_must_be_signed_again(
    sample_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = tmp_path / "signed.xml"
    signature = b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></elmo>'
    signed.write_bytes(sample_file.read_bytes().replace(b"</elmo>", signature))
    assert main(["transcript", "attach", str(signed), "-o", str(tmp_path / "out.xml")]) == 0
    assert "sign the output" in capsys.readouterr().err
    assert b"Signature" not in (tmp_path / "out.xml").read_bytes()


def test_attach_to_a_document_the_writer_cannot_complete(
    interop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = interop_dir / "signed-valid" / "dk-emrex__elmo-tomcat-signed.xml"
    out = tmp_path / "out.xml"
    assert main(["transcript", "attach", str(source), "-o", str(out)]) == 1
    assert "issuer.url is required" in capsys.readouterr().err
    assert not out.exists()


def test_render_as_a_process_through_a_pipe(sample_file: Path) -> None:
    run = [sys.executable, "-c", "import sys; from emrex.cli import main; sys.exit(main())"]
    result = subprocess.run(
        [*run, "transcript", "render", "-"],
        input=sample_file.read_bytes(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"%PDF-") and result.stdout.rstrip().endswith(b"%%EOF")
