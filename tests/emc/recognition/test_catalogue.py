"""The home course catalogue: checked whole with JSON paths, written at once; the same file twice
changes nothing."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from emrex.cli import main
from emrex.db import Database, upgrade
from emrex.emc.recognition import CatalogueError, import_catalogue, parse_catalogue
from emrex.emc.recognition.models import Course
from tests.emc.recognition.helpers import CATALOGUE


def doc(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(CATALOGUE)
    data.update(changes)
    return data


def problems_of(data: Any) -> list[str]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(raw)
    return caught.value.problems


@pytest.fixture
def database(tmp_path: Path) -> Any:
    db = Database(f"sqlite:///{tmp_path}/emc.db")
    upgrade(db)
    yield db
    db.dispose()


def stored(db: Database) -> dict[str, tuple[str, str, bool]]:
    with db.session(readonly=True) as s:
        return {c.code: (c.titles, c.credits, c.active) for c in s.scalars(select(Course))}


def test_a_valid_catalogue_is_read_into_courses() -> None:
    courses = parse_catalogue(json.dumps(CATALOGUE))
    assert [c.code for c in courses] == ["MA1001", "MA1002", "DA2001", "IT1001", "KO1001"]
    first = courses[0]
    assert first.titles == {"en": "Linear Algebra", "sv": "Linjär algebra"}
    assert (first.credits, first.level, first.url) == (Decimal("7.5"), "G1N", None)
    assert courses[3].credits == Decimal(15)


def test_every_problem_is_named_by_its_json_path() -> None:
    data = doc(format="emrex-catalogue/9", extra=1)
    data["courses"][0]["credits"] = "lots"
    data["courses"][1]["titles"] = {"english": "Real Analysis"}
    data["courses"][2]["code"] = "DA 2001!"
    data["courses"][3]["credits"] = 0
    data["courses"][4]["url"] = "http://example.org/ko1001"
    data["courses"].append({"code": "MA1001", "titles": {"en": "Again"}, "credits": 5})
    data["courses"].append({"code": "X1", "titles": {"en": "Bad\u0000name"}, "credits": 1.25})
    found = problems_of(data)
    for expected in (
        "extra: unknown member",
        'format: must be "emrex-catalogue/1"',
        "courses[0].credits: not a number",
        "courses[1].titles: 'english' is not a language code",
        "courses[2].code: a code of 1 to 40 letters",
        "courses[3].credits: out of range",
        "courses[4].url: must start with https://",
        "courses[5].code: 'MA1001' is already used by courses[0]",
        "courses[6].titles.en: contains control characters",
        "courses[6].credits: has more than one decimal",
    ):
        assert any(p.startswith(expected) for p in found), (expected, found)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"format": "emrex-catalogue/1", "format": "x", "courses": []}', "appears twice"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"courses": [{"credits": NaN}]}', "not valid JSON"),
        (b'{"courses": [{"credits": ' + b"9" * 5000 + b"}]}", "not valid JSON"),
        ('{"courses": "Å"}'.encode("latin-1"), "not valid JSON"),
        (b"[]", "the file is not a JSON object"),
    ],
)
def test_hostile_json_is_refused_with_one_line(raw: bytes, expected: str) -> None:
    found = problems_of(raw)
    assert any(expected in p for p in found), found


def test_import_is_idempotent_and_withdraws_what_the_file_no_longer_lists(database: Database) -> None:
    first = import_catalogue(database, parse_catalogue(json.dumps(CATALOGUE)))
    assert (first.courses, first.created, first.changed, first.withdrawn) == (5, 5, 0, 0)
    before = stored(database)
    again = import_catalogue(database, parse_catalogue(json.dumps(CATALOGUE)))
    assert (again.created, again.changed, again.withdrawn) == (0, 0, 0)
    assert stored(database) == before

    smaller = doc(courses=CATALOGUE["courses"][:4])
    smaller["courses"][0] = {**smaller["courses"][0], "credits": 6}
    third = import_catalogue(database, parse_catalogue(json.dumps(smaller)))
    assert (third.created, third.changed, third.withdrawn) == (0, 1, 1)
    after = stored(database)
    assert after["MA1001"][1] == "6" and after["KO1001"][2] is False
    assert import_catalogue(database, parse_catalogue(json.dumps(CATALOGUE))).changed == 2  # back, active


def test_the_command_checks_imports_and_names_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    good = tmp_path / "catalogue.json"
    good.write_text(json.dumps(CATALOGUE), encoding="utf-8")
    assert main(["emc", "catalogue", "import", str(good), "--check"]) == 0
    assert "5 course(s), valid" in capsys.readouterr().out
    assert main(["emc", "catalogue", "import", str(good), "--database", url]) == 0
    assert "5 new, 0 changed, 0 withdrawn" in capsys.readouterr().out
    assert main(["emc", "catalogue", "import", str(good), "--database", url]) == 0
    assert "0 new, 0 changed, 0 withdrawn" in capsys.readouterr().out

    bad = tmp_path / "bad.json"
    broken = doc()
    broken["courses"][2]["credits"] = -1
    bad.write_text(json.dumps(broken), encoding="utf-8")
    assert main(["emc", "catalogue", "import", str(bad), "--database", url]) == 1
    err = capsys.readouterr().err
    assert "courses[2].credits: out of range" in err and "nothing was imported" in err
    assert "Traceback" not in err
    assert main(["emc", "catalogue", "import", str(tmp_path / "missing.json"), "--database", url]) == 2
    assert main(["emc", "catalogue", "import", str(good)]) == 2  # no database named
    assert "no database given" in capsys.readouterr().err
