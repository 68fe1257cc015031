"""``emrex elm convert|validate|shapes fetch``: outputs and exit codes (0 ok, 1 refused, 2 unreadable)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.elmo import codec
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from tests.elm.fixtures import serve

SEALER = [
    "--sealer-name",
    "Nordvik Credential Office",
    "--sealer-country",
    "SE",
    "--sealer-id",
    "NTRSE-2021002114",
]


@pytest.fixture
def elmo_file(tmp_path: Path) -> Path:
    path = tmp_path / "sample.txt"
    path.write_bytes(codec.encode(write_elmo(sample_elmo(5))).encode())  # the transport form
    return path


def test_convert_there_and_back(elmo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elm = tmp_path / "sample.elm.json"
    assert main(["elm", "convert", str(elmo_file), "-o", str(elm), *SEALER]) == 0
    assert "ELMO converted to ELM" in capsys.readouterr().err
    assert json.loads(elm.read_bytes())["issuer"]["eIDASIdentifier"]["notation"] == "NTRSE-2021002114"
    back = tmp_path / "back.xml"
    assert main(["elm", "convert", str(elm), "-o", str(back)]) == 0
    assert back.read_bytes() == codec.decode(elmo_file.read_bytes())
    assert "the embedded original, unchanged" in capsys.readouterr().err


def test_convert_to_elm_needs_the_sealer(elmo_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["elm", "convert", str(elmo_file)]) == 2
    assert "--sealer-name, --sealer-country and --sealer-id" in capsys.readouterr().err


def test_convert_refused_and_unreadable(
    samples_elm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["elm", "convert", str(samples_elm / "edc-examples/mynextid-degree-certificate-signed.jsonld")])
        == 1
    )
    assert "cannot convert: the learner's given names and family name are required" in capsys.readouterr().err
    bomb = tmp_path / "bomb.json"
    bomb.write_text('{"credentialSubject": 1, "credentialSubject": 2}')
    assert main(["elm", "convert", str(bomb)]) == 2
    assert "given twice" in capsys.readouterr().err
    assert main(["elm", "convert", str(tmp_path / "missing.json")]) == 2


def test_validate_exit_codes(
    shapes_dir: Path, samples_elm: Path, elmo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elm = tmp_path / "sample.elm.json"
    assert main(["elm", "convert", str(elmo_file), "-o", str(elm), *SEALER]) == 0
    capsys.readouterr()
    assert main(["elm", "validate", str(elm), "--shapes-dir", str(shapes_dir)]) == 0
    assert "conforms to the EDC shapes (EDC-converted.ttl" in capsys.readouterr().out
    dc4eu = samples_elm / "converter-dc4eu/uio-tor.elm.json"
    assert main(["elm", "validate", str(dc4eu), "--shapes-dir", str(shapes_dir)]) == 1
    out = capsys.readouterr().out
    assert (
        "error: Organisation urn:epass:org:77c756a4-671a-469d-bcb1-8751693faab2: "
        "legal name (rov:legalName) is missing"
        in out
    )
    assert main(["elm", "validate", str(elm), "--shapes-dir", str(tmp_path)]) == 2
    assert "emrex elm shapes fetch" in capsys.readouterr().err
    assert main(["elm", "validate", str(elmo_file), "--shapes-dir", str(shapes_dir)]) == 2


def test_shapes_fetch_command(samples_elm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(samples_elm) as base:
        assert main(["elm", "shapes", "fetch", "--dir", str(tmp_path / "s"), "--base-url", base]) == 0
    assert "EDC shapes (6 profiles) installed in" in capsys.readouterr().out
    assert main(["elm", "shapes", "fetch", "--dir", str(tmp_path / "t"), "--base-url", "ftp://x"]) == 2


def test_as_a_process_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"@context": ["https://evil.example/x"], "credentialSubject": {}, "type": "VerifiableCredential"}'
    )
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from emrex.cli import main; sys.exit(main())",
            "elm",
            "validate",
            str(bad),
            "--shapes-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr and run.stderr.count("\n") == 1
