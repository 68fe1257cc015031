"""What the ELMO commands make of their input: exact round trips, files that are no ELMO, UTF-16,
malformed XML (the same exit code from every command), and what ``show`` says of a signature."""

from __future__ import annotations

from pathlib import Path

import pytest

from emrex.cli import main
from emrex.elmo import codec
from emrex.elmo.sample import sample_elmo, tiny_pdf
from emrex.elmo.writer import write_elmo
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import save_issued
from emrex.trust.signer import Signer

UNVERIFIED = "signature present, not verified (use `emrex verify`)"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Signer]:
    folder = tmp_path_factory.mktemp("keys")
    issued = issue(make_ca("input CA"), "EMP input")
    files = save_issued(folder, issued)
    return files.key, files.public, Signer(issued.key, issued.certificate)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_does_not_call_a_forged_signature_signed(
    tmp_path: Path, keys: tuple[Path, Path, Signer], capsys: pytest.CaptureFixture[str]
) -> None:
    signed = keys[2].sign(write_elmo(sample_elmo(2)))
    forged = signed.replace(b"Linear Algebra", b"Linear Algebra (honours)")
    broken = signed.replace(b"<SignatureValue>", b"<SignatureValue>AAAA")
    for name, data in (("signed", signed), ("forged", forged), ("broken", broken)):
        (tmp_path / f"{name}.xml").write_bytes(data)
        code, out, _ = run(capsys, "elmo", "show", str(tmp_path / f"{name}.xml"))
        assert code == 0
        generated = next(line for line in out.splitlines() if line.startswith("Generated"))
        assert generated.endswith(UNVERIFIED), generated
        assert ", signed" not in out
    (tmp_path / "plain.xml").write_bytes(write_elmo(sample_elmo(2)))
    assert "not signed" in run(capsys, "elmo", "show", str(tmp_path / "plain.xml"))[1]


@pytest.mark.parametrize("pretty", [True, False])
def test_encode_then_decode_gives_back_every_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pretty: bool
) -> None:
    original = write_elmo(sample_elmo(3), pretty=pretty) + b"\n"  # as editors save files
    (tmp_path / "in.xml").write_bytes(original)
    assert run(capsys, "elmo", "encode", str(tmp_path / "in.xml"), "-o", str(tmp_path / "form.txt"))[0] == 0
    assert codec.decode((tmp_path / "form.txt").read_bytes()) == original
    assert run(capsys, "elmo", "decode", str(tmp_path / "form.txt"), "-o", str(tmp_path / "out.xml"))[0] == 0
    assert (tmp_path / "out.xml").read_bytes() == original
    # XML given to decode passes through unchanged too
    assert run(capsys, "elmo", "decode", str(tmp_path / "in.xml"), "-o", str(tmp_path / "same.xml"))[0] == 0
    assert (tmp_path / "same.xml").read_bytes() == original


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (tiny_pdf("a transcript"), "a PDF file"),
        (b"PK\x03\x04" + b"\x00" * 40, "a ZIP archive"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "a PNG image"),
        (b'{"learner": "x"}', "JSON"),
    ],
)
def test_a_file_that_is_no_elmo_is_named_for_what_it_is(
    tmp_path: Path,
    keys: tuple[Path, Path, Signer],
    capsys: pytest.CaptureFixture[str],
    data: bytes,
    kind: str,
) -> None:
    path = tmp_path / "file"
    path.write_bytes(data)
    for argv in (
        ["elmo", "show", str(path)],
        ["elmo", "validate", str(path)],
        ["verify", "--cert", str(keys[1]), str(path)],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2, (argv, err)
        assert kind in err and "not an ELMO document" in err and "base64" not in err, err
        assert err.count("\n") == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_xml_is_read_raw_as_in_its_transport_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    text = write_elmo(sample_elmo(2)).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    raw = text.encode(encoding)  # "utf-16" writes a byte order mark, the others do not
    (tmp_path / "raw.xml").write_bytes(raw)
    (tmp_path / "form.txt").write_text(codec.encode(raw))
    shown = [run(capsys, "elmo", "show", str(tmp_path / name)) for name in ("form.txt", "raw.xml")]
    assert shown[0][0] == 0 and shown[1] == shown[0], shown[1][2]
    assert "Learner: Åsa Žofie Lindqvist-Dvořáková" in shown[1][1]


MALFORMED = (
    b'<?xml version="1.0"?>\n<elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1"><learner></elmo>'
)


def test_malformed_xml_exits_2_from_every_command(
    tmp_path: Path, keys: tuple[Path, Path, Signer], capsys: pytest.CaptureFixture[str]
) -> None:
    key, cert, _ = keys
    for name, data in (("raw.xml", MALFORMED), ("form.txt", codec.encode(MALFORMED).encode())):
        path = str(tmp_path / name)
        (tmp_path / name).write_bytes(data)
        for argv in (
            ["elmo", "show", path],
            ["elmo", "validate", path],
            ["elmo", "normalize", path],
            ["verify", "--cert", str(cert), path],
            ["sign", "--key", str(key), "--cert", str(cert), path],
        ):
            code, _, err = run(capsys, *argv)
            assert code == 2, (argv, code, err)
            assert "not well-formed XML" in err and err.count("\n") == 1, err


def test_a_doctype_is_refused_alike_by_every_command(
    tmp_path: Path, keys: tuple[Path, Path, Signer], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "doctype.xml"
    body = write_elmo(sample_elmo(1)).split(b"?>", 1)[1]
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE elmo []>' + body)
    codes = {
        run(capsys, *argv)[0]
        for argv in (
            ["elmo", "show", str(path)],
            ["elmo", "validate", str(path)],
            ["verify", "--cert", str(keys[1]), str(path)],
        )
    }
    assert codes == {1}


def test_gzip_of_a_pdf_says_what_is_inside(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pdf.txt"
    path.write_text(codec.encode(tiny_pdf("x")))  # base64 of gzip, as an answer would carry it
    code, _, err = run(capsys, "elmo", "show", str(path))
    assert code == 2 and "a PDF file" in err, err
