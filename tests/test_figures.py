"""The statistics export format: columns, fixed fields on every CSV row, JSON numbers, inert cells."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from emrex.db.months import Period
from emrex.figures import COLUMNS, Export, Row, institution_id, to_csv, to_json

PERIOD = Period.parse("2026-01", "2026-03")
AT = datetime(2026, 4, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


def _export(*rows: Row) -> Export:
    return Export("emp", "nordvik.example", "Nordvik University", PERIOD, rows, AT)


def test_every_csv_row_says_where_and_when_it_comes_from() -> None:
    text = to_csv(
        _export(
            Row("sessions_started", "2026-01", 4, "sessions", client="emc.home.example"),
            Row("credits_sent", "2026-02", Decimal("37.50"), "credits", client="e.example", outcome="NCP_OK"),
        )
    )
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[1] == {
        "format": "emrex-statistics",
        "format_version": "1",
        "service": "emp",
        "institution_id": "nordvik.example",
        "period_from": "2026-01",
        "period_to": "2026-03",
        "generated_at": "2026-04-01T06:30:15Z",
        "figure": "credits_sent",
        "month": "2026-02",
        "country": "",
        "client": "e.example",
        "outcome": "NCP_OK",
        "value": "37.5",
        "unit": "credits",
    }


def test_json_has_one_header_and_numbers_as_numbers() -> None:
    data = json.loads(
        to_json(_export(Row("transfers", "2026-03", 2, "transfers", country="GR", outcome="imported"),
                        Row("credits_imported", "2026-03", Decimal("30.00"), "ECTS"),
                        Row("credits_imported", "2026-02", Decimal("7.5"), "ECTS")))
    )  # fmt: skip
    assert data["format"] == "emrex-statistics" and data["formatVersion"] == "1"
    assert data["institution"] == {"id": "nordvik.example", "name": "Nordvik University"}
    assert data["period"] == {"from": "2026-01", "to": "2026-03", "timeZone": "UTC"}
    assert data["generatedAt"] == "2026-04-01T06:30:15Z"
    first, whole, half = data["rows"]
    assert first == {"figure": "transfers", "month": "2026-03", "country": "GR", "client": None,
                     "outcome": "imported", "value": 2, "unit": "transfers"}  # fmt: skip
    assert whole["value"] == 30 and isinstance(whole["value"], int) and half["value"] == 7.5


def test_no_data_is_a_header_and_no_rows() -> None:
    assert to_csv(_export()) == ",".join(COLUMNS) + "\r\n"
    assert json.loads(to_json(_export()))["rows"] == []


def test_a_text_cell_is_never_a_spreadsheet_formula() -> None:
    text = to_csv(_export(Row("sessions_started", "2026-01", 1, "sessions", client="=HYPERLINK(\"x\")")))
    [row] = csv.DictReader(io.StringIO(text))
    assert row["client"] == "'=HYPERLINK(\"x\")"


def test_the_institution_is_its_schac_code_else_its_host() -> None:
    assert institution_id(["Nordvik.Example", "b.example"], "https://emp.b.example") == "nordvik.example"
    assert institution_id([], "https://EMC.Lindholm.example:8443/") == "emc.lindholm.example"
    assert institution_id([" "], "https://emc.example.org") == "emc.example.org"
    assert AT.astimezone(UTC).hour == 6
