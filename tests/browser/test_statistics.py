"""Staff statistics of both services as a person sees them: charts beside tables, at desktop and phone
width, in English and Swedish, and the CSV download without personal data."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.browser.conftest import Pages
from tests.browser.steps import (
    back_at_emc,
    emc_log_in,
    emc_log_out,
    emc_url,
    emp_home,
    emp_log_in,
    log_in,
    start_transfer,
)
from tests.demo.helpers import Demo

WIDTHS = (1100, 320)
PERSONAL = ("chloe", "Chloé", "Lindqvist", "17040112345", "2001-04-17", "Wave Mechanics")


def _charts_fit(page: Any, width: int, count: int) -> None:
    charts = page.locator("main svg[role=img]")
    assert charts.count() == count
    for index in range(count):
        chart = charts.nth(index)
        assert chart.get_attribute("aria-labelledby"), "every chart is named by its title"
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
    # the page's own column fits: nothing of the statistics scrolls sideways
    assert page.evaluate("document.querySelector('main').scrollWidth") <= width


def _download(page: Any, name: str) -> str:
    with page.expect_download() as download:
        page.get_by_role("link", name=name, exact=True).click()
    return download.value.path().read_text(encoding="utf-8")


def test_staff_see_statistics_as_charts_and_tables_on_both_services(pages: Pages, demo: Demo) -> None:
    page = pages.page
    emc_log_in(pages, demo, "chloe")  # one whole transfer, so that every chart has a bar
    start_transfer(pages, demo, "NO")
    emp_log_in(pages, "chloe")
    page.check("input[value='0:KYST4100']")
    page.click("button[value=preview]")
    page.check("input[name=consent]")
    page.click("button[value=send]")
    back_at_emc(page, demo)
    page.get_by_role("button", name="Import these results").click()
    page.wait_for_load_state()
    emc_log_out(pages, demo)

    emc_log_in(pages, demo, "staff")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(emc_url(demo) + "staff/statistics")
        pages.check(f"emc-statistics-{width}")
        _charts_fit(page, width, 4)
    main = page.inner_text("main")
    assert "Transfers by country" in main and "Norway (NO)" in main
    assert page.locator("main svg[role=img] title", has_text="Transfers by outcome").count() == 1
    exported = _download(page, "CSV")
    rows = list(csv.DictReader(io.StringIO(exported)))
    imported = [r for r in rows if r["figure"] == "transfers" and r["outcome"] == "imported"]
    assert "NO" in [r["country"] for r in imported]
    assert not [secret for secret in PERSONAL if secret in exported]
    page.goto(emc_url(demo) + "language?lang=sv&next=/staff/statistics")
    pages.check("emc-statistics-sv-320")
    assert "Överföringar per land" in page.inner_text("main") and "Norge (NO)" in page.inner_text("main")
    page.goto(emc_url(demo) + "staff/statistics?from=2026-13")
    assert "Den här perioden kan inte visas" in page.inner_text("main")

    home = emp_home(demo, "FJORDNET")
    page.goto(home + "logout")  # the student is still logged in there
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state()
    page.goto(home + "login?next=/admin/stats")
    log_in(page, "staff")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(home + "admin/stats")
        pages.check(f"emp-statistics-{width}")
        _charts_fit(page, width, 4)
    assert "localhost" in page.inner_text("main")  # the demo's client, by its host
    exported = _download(page, "JSON")
    assert '"formatVersion": "1"' in exported and '"sessions_finished"' in exported
    assert not [secret for secret in PERSONAL if secret in exported]
