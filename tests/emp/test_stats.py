"""Statistics records: what they count, and that they hold no personal data."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from emrex.emp.stats import collect
from emrex.emp.store import EmpEventRow
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
