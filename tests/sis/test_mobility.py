"""Incoming mobilities in the SIS import: checked, all or nothing, idempotent; a change is dated."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from emrex.db import Database
from emrex.sis.format import SisImportError, parse_sis_json
from emrex.sis.importer import import_sis
from emrex.sis.tables import SisIncomingMobility, SisPerson
from tests.sis.data import document, dumps

ESI = "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913"
MOBILITY = {
    "omobilityId": "NV-2026-0042",
    "sendingHei": "lindholm.example",
    "receivingHei": "nordvik.example",
    "studentEsi": ESI,
    "start": "2026-01-15",
    "end": "2026-06-15",
    "torApprovedAt": "2026-07-01T11:00:00+02:00",
}


def with_mobilities(*mobilities: dict[str, Any]) -> dict[str, Any]:
    return document() | {"incomingMobilities": [copy.deepcopy(m) for m in mobilities]}


def rows(database: Database) -> list[tuple[Any, ...]]:
    with database.session(readonly=True) as s:
        return [
            (r.omobility_id, r.sending_hei, r.student_esi, r.start_date, r.tor_approved_at, r.updated_at)
            for r in s.scalars(select(SisIncomingMobility).order_by(SisIncomingMobility.omobility_id))
        ]


def test_a_mobility_is_stored_and_importing_again_changes_nothing(database: Database) -> None:
    summary = import_sis(database, parse_sis_json(dumps(with_mobilities(MOBILITY))))
    assert summary.mobilities == 1
    first = rows(database)
    assert first[0][:5] == (
        "NV-2026-0042",
        "lindholm.example",
        ESI,
        dt.date(2026, 1, 15),
        dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC),
    )
    import_sis(database, parse_sis_json(dumps(with_mobilities(MOBILITY))))
    assert rows(database) == first
    # approval withdrawn, then given again later: each change is dated
    import_sis(database, parse_sis_json(dumps(with_mobilities(MOBILITY | {"torApprovedAt": None}))))
    changed = rows(database)
    assert changed[0][4] is None and changed[0][5] >= first[0][5]
    # a file without mobilities leaves the stored ones alone
    import_sis(database, parse_sis_json(dumps(document())))
    assert len(rows(database)) == 1


def test_a_second_file_may_name_a_person_stored_before(database: Database) -> None:
    import_sis(database, parse_sis_json(dumps(document())))
    later = {"format": "emrex-sis/1", "incomingMobilities": [MOBILITY]}
    assert import_sis(database, parse_sis_json(dumps(later))).mobilities == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"omobilityId": "has space"}, "incomingMobilities[0].omobilityId: 1 to 64 printable ASCII"),
        ({"omobilityId": "x" * 65}, "incomingMobilities[0].omobilityId: longer than 64 characters"),
        ({"sendingHei": "Lindholm University"}, "incomingMobilities[0].sendingHei: a SCHAC code"),
        ({"sendingHei": "nordvik.example"}, "is the receiving institution itself"),
        ({"studentEsi": "482913"}, "incomingMobilities[0].studentEsi: an ESI starts with"),
        ({"end": "2025-12-31"}, "incomingMobilities[0].end: is before the start"),
        ({"torApprovedAt": "2026-07-01T09:00:00"}, "torApprovedAt: a date and time with its zone"),
        ({"torApprovedAt": "yesterday"}, "torApprovedAt: a date and time with its zone"),
        ({"approved": True}, "incomingMobilities[0].approved: unknown field"),
        ({"start": None}, "incomingMobilities[0].start: is missing"),
    ],
)
def test_a_bad_mobility_is_named_by_its_path(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(SisImportError) as refused:
        parse_sis_json(dumps(with_mobilities(MOBILITY | change)))
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_the_same_mobility_id_twice_is_refused() -> None:
    with pytest.raises(SisImportError, match="already used by incomingMobilities\\[0\\]"):
        parse_sis_json(dumps(with_mobilities(MOBILITY, MOBILITY)))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"receivingHei": "elsewhere.example"}, "receivingHei: 'elsewhere.example' is neither in the file"),
        ({"studentEsi": ESI + "0"}, "studentEsi: no person in the file or stored has this esi"),
    ],
)
def test_an_unknown_institution_or_student_stores_nothing(
    database: Database, change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(SisImportError) as refused:
        import_sis(database, parse_sis_json(dumps(with_mobilities(MOBILITY | change))))
    assert any(problem in p for p in refused.value.problems)
    with database.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(SisPerson)) == 0  # the whole file rolled back
    assert rows(database) == []


def test_the_documented_example_imports(database: Database) -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "SIS-IMPORT.md").read_text(encoding="utf-8")
    section = text.split("## Incoming mobilities (EWP)", 1)[1]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    assert import_sis(database, parse_sis_json(example)).mobilities == 1
    assert rows(database)[0][:2] == ("FJ-2024-LH-0007", "lindholm.example.se")
