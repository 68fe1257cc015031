"""The EMC's statistics: figures over a period, the page's charts, the CSV and JSON downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select, update

from emrex.db.months import Period
from emrex.emc.models import ForeignCredential, Transfer
from emrex.emc.stats import collect
from emrex.figures import COLUMNS
from tests.emc.conftest import BASE_URL, Keys, csrf, database_of, login, ok, start

THIS_MONTH = dt.datetime.now(dt.UTC).strftime("%Y-%m")
HOST = BASE_URL.split("//", 1)[1].split("/", 1)[0].split(":", 1)[0]  # the institution id: no SCHAC code
# What the fixture knows of the student and her results; none of it may leave in a download.
PERSONAL = (
    "asa",
    "Åsa",
    "Lindqvist",
    "Dvořáková",
    "1999-03-14",
    "19990314",
    "482913",
    "personalUniqueCode",
    "Sven",
    "staff",
)


def _imported(make_emc: Callable[..., TestClient], keys: Keys) -> tuple[TestClient, TestClient]:
    """One transfer imported (8 courses) and one left waiting in Italy; a student and a staff client."""
    student, staff = make_emc(), make_emc()
    login(student)
    transfer_id = ok(student, keys, start(student))
    page = student.get(f"/transfers/{transfer_id}")
    student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    start(student, "IT", "https://emp.monte.example/emrex")
    login(staff, "staff")
    return student, staff


def test_figures_are_counted_by_month_country_and_outcome(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    _, staff = _imported(make_emc, keys)
    database = database_of(staff)
    with database.session() as s:  # one transfer of last year: outside the period asked for below
        old = s.scalars(select(Transfer).where(Transfer.country_code == "IT")).one()
        old.created_at = dt.datetime(2025, 1, 15, tzinfo=dt.UTC)
    figures = collect(database, Period.parse(None, None))
    assert [(c, o, n) for _, c, o, n in figures.transfers] == [("SE", "imported", 1)]
    assert figures.total_courses == 8 and str(figures.total_credits) == "67.5"
    assert dict(figures.per_month())[THIS_MONTH] == 1
    assert sum(n for _, n in figures.per_month()) == 1
    earlier = collect(database, Period.parse("2025-01", "2025-01"))
    assert earlier.by_country() == [("IT", 1)] and earlier.by_outcome() == [("started", 1)]
    assert earlier.total_courses == 0 and earlier.per_month() == [("2025-01", 1)]


def test_the_page_draws_each_figure_beside_its_table(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    _, staff = _imported(make_emc, keys)
    page = staff.get("/staff/statistics")
    assert page.status_code == 200
    text = page.text
    charts = text.split('<figure class="chart">')[1:]
    assert len(charts) == 4
    for chart in charts:
        svg = etree.fromstring(chart.split("</figure>", 1)[0].encode())
        assert svg.get("role") == "img" and svg.find("{http://www.w3.org/2000/svg}title") is not None
    assert "Transfers by country" in text and "<td>Sweden (SE)</td><td>1</td>" in text
    assert ">Imported</text>" in text and ">67.5</text>" in text  # in the charts
    assert f'<td class="nowrap">{THIS_MONTH}</td><td>67.5</td>' in text  # and in the tables
    assert " style=" not in text


def test_the_page_is_in_swedish_with_country_names_from_cldr(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    _, staff = _imported(make_emc, keys)
    text = staff.get("/staff/statistics", headers={"accept-language": "sv"}).text
    assert "Överföringar per land" in text and "<td>Sverige (SE)</td>" in text and "Italien" in text
    assert "Samma siffror finns i tabellen bredvid diagrammet." in text


def test_a_bad_period_gets_the_form_again_with_a_clear_message(emc: TestClient) -> None:
    login(emc, "staff")
    for query in ("from=2026-13", "from=2026-05&to=2026-04", "from=2000-01&to=2026-01", "to=<b>x</b>"):
        page = emc.get(f"/staff/statistics?{query}")
        assert page.status_code == 400, query
        assert "This period cannot be shown" in page.text and "<b>x" not in page.text
    download = emc.get("/staff/statistics.csv?from=2026-05&to=2026-04")
    assert download.status_code == 400
    assert download.text == "from: 2026-05 is after to: 2026-04\n"
    assert emc.get("/staff/statistics.xml").status_code == 404


def test_students_get_no_statistics(emc: TestClient) -> None:
    login(emc)
    for path in ("/staff/statistics", "/staff/statistics.csv", "/staff/statistics.json"):
        assert emc.get(path).status_code == 403


def test_the_downloads_hold_the_figures_and_no_personal_data(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    _, staff = _imported(make_emc, keys)
    got = staff.get(f"/staff/statistics.csv?from={THIS_MONTH}&to={THIS_MONTH}")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    assert f"emrex-emc-statistics-{HOST}-{THIS_MONTH}-{THIS_MONTH}.csv" in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert tuple(rows[0]) == COLUMNS
    assert {r["institution_id"] for r in rows} == {HOST}
    assert {(r["format"], r["format_version"], r["service"]) for r in rows} == {
        ("emrex-statistics", "1", "emc")
    }
    figures = {(r["figure"], r["country"], r["outcome"], r["value"], r["unit"]) for r in rows}
    assert ("transfers", "SE", "imported", "1", "transfers") in figures
    assert ("transfers", "IT", "started", "1", "transfers") in figures
    assert ("courses_imported", "", "", "8", "courses") in figures
    assert ("credits_imported", "", "", "67.5", "ECTS") in figures

    document = staff.get(f"/staff/statistics.json?from={THIS_MONTH}&to={THIS_MONTH}")
    data = json.loads(document.text)
    assert data["format"] == "emrex-statistics" and data["formatVersion"] == "1"
    assert data["institution"]["id"] == HOST
    assert data["period"] == {"from": THIS_MONTH, "to": THIS_MONTH, "timeZone": "UTC"}
    assert data["generatedAt"].endswith("Z")
    assert {"figure": "credits_imported", "month": THIS_MONTH, "country": None, "client": None,
            "outcome": None, "value": 67.5, "unit": "ECTS"} in data["rows"]  # fmt: skip
    assert len(data["rows"]) == len(rows)

    # Nothing the database knows of the student or her courses is in either download.
    database = database_of(staff)
    with database.session() as s:
        transfer = s.scalars(select(Transfer).where(Transfer.country_code == "SE")).one()
        titles = [c.title for c in s.scalars(select(ForeignCredential))]
        secrets = [transfer.session_id, transfer.student_name, *titles]
    for secret in (*PERSONAL, *secrets):
        assert secret not in got.text and secret not in document.text, secret


def test_names_with_markup_from_a_registry_or_a_document_stay_text(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    _, staff = _imported(make_emc, keys)
    evil = '"><script>alert(1)</script>'
    with database_of(staff).session() as s:  # as a registry's provider name and a document's issuer
        s.execute(update(Transfer).values(emp_name=evil))
        s.execute(update(ForeignCredential).values(issuer=evil))
    page = staff.get("/staff/statistics")
    assert page.status_code == 200 and "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    for kind in ("csv", "json"):
        assert "script" not in staff.get(f"/staff/statistics.{kind}").text
