"""``emrex elmo validate|show|normalize|example``: outputs and exit codes, in process and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.elmo import codec
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.schema import validate_xsd
from emrex.elmo.writer import write_elmo


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    path = tmp_path / "sample.xml"
    path.write_bytes(write_elmo(sample_elmo(4)))
    return path


def test_validate_a_valid_document(sample_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["elmo", "validate", str(sample_file)]) == 0
    assert (
        capsys.readouterr().out.strip()
        == f"{sample_file}: valid (0 warnings; checked structure and ELMO rules)"
    )


def test_validate_with_the_official_xsd(
    sample_file: Path, schema_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["elmo", "validate", str(sample_file), "--schema-dir", str(schema_dir)]) == 0
    assert "checked structure, ELMO rules and XSD" in capsys.readouterr().out


def test_validate_reports_each_problem_with_its_line(
    schema_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = schema_dir / "v1.7.0" / "example.xml"
    assert main(["elmo", "validate", str(example)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{example}:45: error: report[1].los[1] carries ECTS")
    assert sum(": warning: " in line for line in out) == 4
    assert out[-1] == f"{example}: invalid (1 error, 4 warnings; checked structure and ELMO rules)"


def test_validate_xsd_errors_count_and_schema_dir_from_environment(
    interop_dir: Path, schema_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMREX_ELMO_SCHEMA_DIR", str(schema_dir))
    path = interop_dir / "unsigned" / "dk-emrex__common-java_Example-elmo-Denmark.xml"
    assert main(["elmo", "validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    xsd = [line for line in out if ": error: XSD 1.7.0: " in line]
    assert len(xsd) == 37 and all(
        line.startswith(f"{path}:") and line.split(":")[1].isdigit() for line in xsd
    )
    assert f"{path}:14: error: report[1].issuer.url is required" in out
    assert not any("lacks the required <url>" in line for line in out)  # reported once, as the error


def test_strict_counts_warnings(interop_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = interop_dir / "unsigned" / "fi-ncp__my_elmo.xml"
    assert main(["elmo", "validate", str(path)]) == 0
    assert "valid (2 warnings" in capsys.readouterr().out
    assert main(["elmo", "validate", "--strict", str(path)]) == 1
    assert "invalid (2 errors, 0 warnings" in capsys.readouterr().out


def test_validate_reads_the_transport_form(interop_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["elmo", "validate", str(interop_dir / "transport" / "dk-emrex__wl.txt")]) == 1
    assert "report[1].issuer.url is required" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "message", "code"),
    [
        ("malformed/fi-emrex__Example-elmo-sweden-1.0.xml", "line 1: not well-formed XML", 2),
        ("legacy/fi-ncp__Example-elmo-Finland.xml", "pre-1.0 ELMO", 1),
        ("transport/dk-emrex__elmo-wl-signed-zipped-base64.txt", "not well-formed XML", 2),
    ],
)
def test_unusable_documents_exit_with_one_line(
    interop_dir: Path, capsys: pytest.CaptureFixture[str], name: str, message: str, code: int
) -> None:
    # not XML at all: unreadable (2); XML that is not ELMO we accept: invalid (1)
    assert main(["elmo", "validate", str(interop_dir / name)]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_unreadable_input_and_bad_usage_exit_2(
    tmp_path: Path, sample_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["elmo", "validate", str(tmp_path / "missing.xml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["elmo", "validate", str(sample_file), "--schema-dir", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "garbage.txt").write_bytes(b"\x00\x01 not base64 at all \xff")
    assert main(["elmo", "validate", str(tmp_path / "garbage.txt")]) == 2
    assert "not base64" in capsys.readouterr().err
    assert main(["elmo", "example", "--courses", "0"]) == 2


def test_show_summary(interop_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["elmo", "show", str(interop_dir / "transport" / "dk-emrex__wl.txt")]) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0] == "Learner: Jens Hansen, born 1980-12-09, citizenship DK"
    assert "  Course  Kaffens Historie  grade 10  10 ECTS" in out
    assert "  Total: 45 ECTS passed" in out
    assert any(line.startswith("  EMREX transcript: ") and "application/pdf" in line for line in out)
    assert "unknown credit level '-'" in captured.err


def test_show_tree_of_the_sample(sample_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["elmo", "show", str(sample_file)]) == 0
    out = capsys.readouterr().out
    assert "Learner: Åsa Žofie Lindqvist-Dvořáková, born 1999-03-14, citizenship SE" in out
    assert (
        "\n  Degree Programme  Master of Science in Engineering Physics  in-progress\n    Module  Module 1\n"
        in out
    )
    assert "      Course  Linear Algebra  grade " in out
    assert "Report 2: University of Collina (IT)" in out


def test_show_json(sample_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["elmo", "show", "--json", str(sample_file)]) == 0
    data = json.loads(capsys.readouterr().out)
    elmo = data["elmo"]
    assert elmo["learner"]["birth_date"] == "1999-03-14"
    assert elmo["learner"]["gender"] == 2
    course = elmo["reports"][0]["learning_opportunity_specifications"][0]["has_part"][0]["has_part"][0]
    assert course["type"] == "Course"
    assert isinstance(course["specifies"]["credits"][0]["value"], str)
    assert elmo["generated_date"] == "2026-06-30T12:00:00+02:00"


def test_show_strips_terminal_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_elmo(sample_elmo(1)).replace(b"Linear Algebra", "Linear\u009b31mAlgebra".encode())
    (tmp_path / "evil.xml").write_bytes(data)
    assert main(["elmo", "show", str(tmp_path / "evil.xml")]) == 0
    out = capsys.readouterr().out
    assert "\u009b" not in out and "Linear 31mAlgebra" in out


def test_normalize_writes_canonical_valid_17(
    interop_dir: Path, schema_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = interop_dir / "signed-invalid" / "fi-emrex__kaisa.xml"
    out = tmp_path / "kaisa.xml"
    assert main(["elmo", "normalize", str(source), "-o", str(out)]) == 0
    assert "signature is left out" in capsys.readouterr().err
    data = out.read_bytes()
    assert data.startswith(b"<?xml") and b"\n  <learner>" in data
    assert validate_xsd(data, schema_dir, version="1.7.0").errors == []
    assert read_elmo(data).elmo.learner == read_elmo(source.read_bytes()).elmo.learner


def test_normalize_refuses_documents_lacking_required_fields(
    interop_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    source = interop_dir / "unsigned" / "dk-emrex__common-java_Example-elmo-Denmark.xml"
    assert main(["elmo", "normalize", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"emrex: {source}: report[1].issuer.url is required" in err
    assert (
        "cannot be written as ELMO 1.7 (1 problem, see above; --set PATH=VALUE supplies a missing value)"
        in err
    )
    # the way out is named: the missing value can be supplied
    assert "--set report[1].issuer.url=VALUE" in err
    assert not out.exists()


def test_normalize_with_supplied_values_writes_a_danish_document(
    interop_dir: Path, schema_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dk.xml"
    source = interop_dir / "unsigned" / "dk-emrex__common-java_Example-elmo-Denmark.xml"
    argv = [
        "elmo",
        "normalize",
        str(source),
        "-o",
        str(out),
        "--set",
        "report[1].issuer.url=https://www.ku.dk",
    ]
    assert main([*argv, "--set", "report[1].issuer.title=Københavns Universitet"]) == 0
    document = read_elmo(out.read_bytes()).elmo
    assert document.reports[0].issuer.url == "https://www.ku.dk"
    assert document.reports[0].issuer.title("en") == "Københavns Universitet"
    assert validate_xsd(out.read_bytes(), schema_dir, version="1.7.0").errors == []
    assert "supplied report[1].issuer.url" in capsys.readouterr().err  # said, not silent
    assert main(["elmo", "normalize", str(source), "--set", "report[2].issuer.url=https://x.example"]) == 2
    assert "the document has 1 report(s)" in capsys.readouterr().err
    assert main(["elmo", "normalize", str(source), "--set", "nonsense"]) == 2


def test_example_and_transport_round_trip(
    tmp_path: Path, schema_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml, form, back = tmp_path / "e.xml", tmp_path / "e.txt", tmp_path / "back.xml"
    assert main(["elmo", "example", "--courses", "5", "--seed", "2", "-o", str(xml)]) == 0
    assert validate_xsd(xml.read_bytes(), schema_dir, version="1.7.0").errors == []
    assert main(["elmo", "encode", str(xml), "-o", str(form)]) == 0
    assert codec.decode(form.read_bytes()).strip() == xml.read_bytes().strip()
    assert main(["elmo", "decode", str(form), "-o", str(back)]) == 0
    assert back.read_bytes().strip() == xml.read_bytes().strip()
    assert read_elmo(xml.read_bytes()).elmo == sample_elmo(5, seed=2)


def test_as_a_process_through_a_pipe(schema_dir: Path) -> None:
    run = [sys.executable, "-c", "import sys; from emrex.cli import main; sys.exit(main())"]
    example = subprocess.run(
        [*run, "elmo", "example", "--courses", "3"], capture_output=True, check=True, timeout=60
    )
    result = subprocess.run(
        [*run, "elmo", "validate", "-", "--schema-dir", str(schema_dir)],
        input=codec.encode(example.stdout).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == "-: valid (0 warnings; checked structure, ELMO rules and XSD)"
    bad = subprocess.run(
        [*run, "elmo", "show", "-"], input=b"<nope", capture_output=True, timeout=60, check=False
    )
    assert (
        bad.returncode == 2 and b"Traceback" not in bad.stderr and bad.stderr.startswith(b"emrex: -: line 1:")
    )
