"""Hostile input to the statistics: the EMC's period parameters, names with markup, chart labels."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import update

from emrex.emc.models import ForeignCredential, Transfer
from emrex.web.charts import Bar, bar_chart
from tests.emc.conftest import (
    Keys,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
)
from tests.emc.test_stats import _imported
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, one_line, watch_logs

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash", "watch_logs"]
EVIL = f'"><script>alert("{MARKER}")</script>'
exercised(
    "emc-staff-statistics-period-hostile", "emc-staff-statistics-hostile-names", "lib-chart-hostile-labels"
)
PERIODS = (
    {"from": EVIL},
    {"to": EVIL},
    {"from": "2" * 60_000},
    {"from": "2026-13"},
    {"from": "１２３４-05"},
    {"from": "2026-05", "to": "2026-04"},
    {"from": "2000-01", "to": "2099-12"},
)


def check_period_refusals(client: TestClient, page: str, text: str) -> None:
    """Every hostile period: a 400 page with the form and the message, or a one-line 400 download."""
    for params in PERIODS:
        response = client.get(page, params=params)
        if response.status_code in (414, 431):  # refused by the server before the page (very long)
            continue
        assert response.status_code == 400, params
        assert text in response.text and "<script>" not in response.text
        assert "2" * 21 not in response.text  # what was asked for is shown cut to 20 characters
        no_traceback(response.text)
        for kind in ("csv", "json"):
            download = client.get(f"{page}.{kind}", params=params)
            assert download.status_code == 400 and download.headers["content-type"].startswith("text/plain")
            one_line(download.text)
            assert MARKER not in download.text


def test_hostile_periods_are_refused_clearly_and_store_nothing(
    make_emc: Callable[..., TestClient], watch_logs: pytest.LogCaptureFixture
) -> None:
    staff = make_emc()
    login(staff, "staff")
    with nothing_stored(database_of(staff)):
        check_period_refusals(staff, "/staff/statistics", "This period cannot be shown")
    logs_clean(watch_logs)


def test_names_with_markup_are_shown_as_text_and_never_exported(
    make_emc: Callable[..., TestClient], keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, staff = _imported(make_emc, keys)
    with database_of(staff).session() as s:  # as a registry and a signed document could name them
        s.execute(update(Transfer).values(emp_name=EVIL))
        s.execute(update(ForeignCredential).values(issuer=EVIL))
    page = staff.get("/staff/statistics")
    assert page.status_code == 200 and "<script>" not in page.text
    assert page.text.count("&lt;script&gt;") == 3  # the provider (imported, waiting), the institution
    for chart in page.text.split('<figure class="chart">')[1:]:
        svg = etree.fromstring(chart.split("</figure>", 1)[0].encode())
        assert not [e for e in svg.iter() if isinstance(e.tag, str) and "script" in e.tag]
    for kind in ("csv", "json"):
        assert MARKER not in staff.get(f"/staff/statistics.{kind}").text
    logs_clean(watch_logs)


@pytest.mark.parametrize("label", [EVIL, "]]></text><script>x</script>", "a\x00b\x1bc\ud800d", "=1+1"])
def test_hostile_chart_labels_are_text_only(label: str) -> None:
    text = bar_chart(
        [Bar(label, 1), Bar("x", 2)], chart_id='a" onload="x', title=label, desc=label, empty_text=label
    )
    svg = etree.fromstring(text.encode("utf-8"))
    names = {etree.QName(e).localname for e in svg.iter() if isinstance(e.tag, str)}
    assert names <= {"svg", "title", "desc", "g", "text", "rect", "line"}
    assert all(not name.startswith("on") for e in svg.iter() for name in e.attrib)
    assert svg.get("aria-labelledby") == "a--onload--x-title"
