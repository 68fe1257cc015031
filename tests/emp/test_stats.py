"""Statistics records: what they count, and that they hold no personal data; the page and its downloads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from emrex.db.months import Period
from emrex.emp.stats import collect, figures
from emrex.emp.store import EmpEventRow
from emrex.figures import COLUMNS
from tests.emp.helpers import SESSION_ID, login, post, reply, start


def test_a_cancel_records_what_was_offered(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    assert (
        reply(post(emp, f"{flow}/select", emp.get(flow).text, action="cancel"))["returnCode"] == "NCP_CANCEL"
    )
    stats = collect(emp.app.state.emrex_emp.database)  # type: ignore[attr-defined]
    assert stats.outcomes == {"NCP_CANCEL": 1}
    assert (stats.items_offered, stats.credits_offered) == (4, Decimal("19.5"))
    assert (stats.items_sent, stats.credits_sent) == (0, Decimal(0))
    assert stats.institutions == {"nordvik.example": 1, "uoa.example.gr": 1}
    assert stats.median_duration_ms is not None


def test_records_hold_no_personal_data(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item="0:C1", action="preview")
    reply(post(emp, f"{flow}/send", emp.get(f"{flow}/preview").text, action="send", consent="yes"))
    database = emp.app.state.emrex_emp.database  # type: ignore[attr-defined]
    with database.session() as session:
        rows = session.query(EmpEventRow).all()
        text = " ".join(str(value) for row in rows for value in vars(row).values())
    assert len(rows) == 2
    for secret in ("19990314", "Lindqvist", "Åsa", SESSION_ID, "/emrex/return", flow.split("/")[-1]):
        assert secret not in text
    assert "emc.home.example" in text


# --- the statistics page and its downloads ---

THIS_MONTH = datetime.now(UTC).strftime("%Y-%m")
PERSONAL = ("asa", "Åsa", "Lindqvist", "19990314", "2389", "Sven", SESSION_ID, "/emrex/return")


def _sent_and_cancelled(make_emp: Callable[..., TestClient], **settings: Any) -> tuple[TestClient, str]:
    """One session that sent one result, one cancelled; a staff client; the first flow's id."""
    emp, staff = make_emp(**settings), make_emp(**settings)
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item="0:C1", action="preview")
    reply(post(emp, f"{flow}/send", emp.get(f"{flow}/preview").text, action="send", consent="yes"))
    other = start(emp)
    emp.get(other)
    reply(post(emp, f"{other}/select", emp.get(other).text, action="cancel"))
    login(staff, start(staff), "staff")
    return staff, flow.rsplit("/", 1)[-1]


def test_figures_by_month_client_and_outcome(make_emp: Callable[..., TestClient]) -> None:
    staff, _ = _sent_and_cancelled(make_emp)
    found = figures(staff.app.state.emrex_emp.database, Period.parse(None, None))  # type: ignore[attr-defined]
    assert dict((m, (s, f)) for m, s, f in found.per_month())[THIS_MONTH] == (2, 2)
    assert found.by_outcome() == [("NCP_CANCEL", 1), ("NCP_OK", 1)]
    [client] = found.by_client()
    assert (client.client, client.started, client.finished, client.sent) == ("emc.home.example", 2, 2, 1)
    assert client.items_sent == 1 and found.items_sent == 1
    assert found.credits_sent == client.credits_sent > 0
    assert found.institutions == {"nordvik.example": 2, "uoa.example.gr": 1}


def test_the_page_draws_each_figure_beside_its_table(make_emp: Callable[..., TestClient]) -> None:
    staff, _ = _sent_and_cancelled(make_emp)
    page = staff.get("/admin/stats")
    assert page.status_code == 200
    charts = page.text.split('<figure class="chart">')[1:]
    assert len(charts) == 4
    for chart in charts:
        svg = etree.fromstring(chart.split("</figure>", 1)[0].encode())
        assert svg.get("role") == "img"
    assert ">emc.home.example</text>" in page.text and ">Results sent</text>" in page.text
    assert "<td>emc.home.example</td><td>2</td><td>1</td><td>1</td>" in page.text
    swedish = staff.get("/admin/stats", headers={"accept-language": "sv"}).text
    assert "Påbörjade sessioner per klient" in swedish and ">Skickade resultat</text>" in swedish


def test_a_bad_period_is_refused_with_a_clear_message(make_emp: Callable[..., TestClient]) -> None:
    staff, _ = _sent_and_cancelled(make_emp)
    page = staff.get("/admin/stats?from=2026-02&to=2029-03")
    assert page.status_code == 400 and "This period cannot be shown" in page.text
    refused = staff.get("/admin/stats.json?from=x")
    assert refused.status_code == 400 and refused.text == "from: expected a month like 2026-03, got 'x'\n"
    assert staff.get("/admin/stats.pdf").status_code == 404


def test_downloads_are_for_staff_only(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp()
    flow = start(emp)
    login(emp, flow)
    for path in ("/admin/stats.csv", "/admin/stats.json"):
        assert emp.get(path).status_code == 403
        assert make_emp().get(path).status_code in (303, 401)


def test_the_downloads_hold_the_figures_and_no_personal_data(make_emp: Callable[..., TestClient]) -> None:
    staff, flow_id = _sent_and_cancelled(make_emp, institutions=["nordvik.example"])
    got = staff.get(f"/admin/stats.csv?from={THIS_MONTH}&to={THIS_MONTH}")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert tuple(rows[0]) == COLUMNS
    assert {(r["service"], r["institution_id"], r["period_from"]) for r in rows} == {
        ("emp", "nordvik.example", THIS_MONTH)
    }
    found = {(r["figure"], r["client"], r["outcome"], r["value"], r["unit"]) for r in rows}
    assert ("sessions_started", "emc.home.example", "", "2", "sessions") in found
    assert ("sessions_finished", "emc.home.example", "NCP_OK", "1", "sessions") in found
    assert ("sessions_finished", "emc.home.example", "NCP_CANCEL", "1", "sessions") in found
    assert ("results_sent", "emc.home.example", "NCP_OK", "1", "results") in found
    assert any(f[0] == "credits_sent" and f[3] != "0" for f in found)
    document = staff.get(f"/admin/stats.json?from={THIS_MONTH}&to={THIS_MONTH}").text
    data = json.loads(document)
    assert data["service"] == "emp"
    assert data["institution"] == {"id": "nordvik.example", "name": "Nordvik EMP"}
    assert len(data["rows"]) == len(rows)
    for secret in (*PERSONAL, flow_id):
        assert secret not in got.text and secret not in document, secret


def test_every_message_of_the_statistics_page_has_a_swedish_translation() -> None:
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    package = Path(__file__).parents[2] / "src" / "emrex"
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {m[2] for m in extract_from_dir(package / "emp" / "templates", [("**.html", "jinja2")], options)}
    found |= {
        m[2]
        for m in extract_from_dir(package / "emp", [("stats*.py", "python")], keywords={"_": None})
        if isinstance(m[2], str)
    }
    translated: set[str] = set()
    for folder in (package / "emp", package / "web", package / "web" / "login"):
        with (folder / "locale" / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            translated |= {m.id for m in read_po(handle, locale="sv") if m.id and m.string}
    assert "Sessions started by client" in found
    missing = sorted(text for text in found if isinstance(text, str) and text not in translated)
    assert missing == []
