from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.db import Database
from emrex.emp.sources import PersonQuery
from emrex.sis.source import SqlSource
from tests.sis.data import document, dumps


def write(tmp_path: Path, data: bytes, name: str = "sis.json") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def fetch_family_name(url: str) -> str:
    db = Database(url)
    try:
        return SqlSource(db).fetch(PersonQuery({"nationalIdentifier": "19990314-2389"})).learner.family_name
    finally:
        db.dispose()


def test_import_creates_the_schema_loads_the_file_and_can_be_repeated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/emp.db"
    path = write(tmp_path, dumps(document()))
    assert main(["emp", "import", path, "--database", url]) == 0
    out = capsys.readouterr().out
    assert "2 institution(s)" in out and "1 person(s) (1 new)" in out and "9 result(s)" in out
    assert fetch_family_name(url) == "Παπαδοπούλου"

    assert main(["emp", "import", path, "--database", url]) == 0
    assert "(0 new)" in capsys.readouterr().out


def test_the_database_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/env.db"
    monkeypatch.setenv("EMREX_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(dumps(document()))))
    assert main(["emp", "import", "-"]) == 0
    assert fetch_family_name(url) == "Παπαδοπούλου"


def test_invalid_data_exits_1_listing_every_problem_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/emp.db"
    doc = document()
    doc["persons"][0]["results"][0]["parts"][0]["parts"][0]["credits"]["value"] = "lots"
    doc["persons"][0]["birthDate"] = "1999-02-30"
    path = write(tmp_path, json.dumps(doc).encode())
    assert main(["emp", "import", path, "--database", url]) == 1
    err = capsys.readouterr().err
    assert f"{path}: persons[0].results[0].parts[0].parts[0].credits.value: not a number" in err
    assert "persons[0].birthDate: not a date" in err
    assert "2 problem(s); nothing was imported" in err
    assert "Traceback" not in err
    assert not (tmp_path / "emp.db").exists()


def test_conflicts_found_while_writing_exit_1_and_roll_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/emp.db"
    doc = document()
    doc["persons"][0]["results"][1]["gradingScheme"] = "NOPE"
    assert main(["emp", "import", write(tmp_path, dumps(doc)), "--database", url]) == 1
    assert "gradingScheme: 'NOPE' is not a grading scheme of uoa.example.gr" in capsys.readouterr().err
    with pytest.raises(Exception, match="no student record"):
        fetch_family_name(url)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["emp", "import", "/nonexistent/sis.json", "--database", "sqlite://"], "no such file"),
        (["emp", "import", "{tmp}", "--database", "sqlite://"], "is a directory"),
        (["emp", "import", "{file}", "--database", "mysql://db/x"], "unsupported database"),
        (["emp", "import", "{file}", "--database", "sqlite:////nonexistent/dir/x.db"], "database sqlite:"),
    ],
)
def test_unreadable_files_and_unusable_databases_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    file = write(tmp_path, dumps(document()))
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{file}", file) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_without_a_database_it_says_how_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("EMREX_DATABASE_URL", raising=False)
    assert main(["emp", "import", write(tmp_path, b"{}")]) == 2
    assert "EMREX_DATABASE_URL" in capsys.readouterr().err


def test_emp_alone_prints_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emp"]) == 2
    assert "import" in capsys.readouterr().err
