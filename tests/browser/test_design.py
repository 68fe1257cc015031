"""The design at desktop and phone width, in English and Swedish: every key page of both services fits a
320 px window without sideways scrolling and passes axe-core at every level (``Pages.check``), the step
guide shows where the student is, and the demo shows two looks (Lindholm's EMC, the EMPs' own)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Pages, artifacts_of, browser_pages
from tests.browser.steps import back_at_emc, emc_url, emp_home, log_in
from tests.demo.helpers import Demo

LOCALES = {"en": "en-GB", "sv": "sv-SE"}
CURRENT_STEP = "ol.guide [aria-current=step]"


@pytest.fixture(params=[("desktop", "en"), ("desktop", "sv"), ("phone", "en"), ("phone", "sv")], ids=str)
def tour(browser: Any, axe_source: str, demo: Demo, request: pytest.FixtureRequest) -> Iterator[Pages]:
    size, language = request.param
    viewport = PHONE if size == "phone" else DESKTOP
    with browser_pages(browser, axe_source, artifacts_of(request), viewport, LOCALES[language]) as pages:
        yield pages


def _step(page: Any) -> int:
    """The position (1–4) of the step the guide marks as the current one."""
    return int(page.eval_on_selector(CURRENT_STEP, "li => [...li.parentElement.children].indexOf(li) + 1"))


def _header_colour(page: Any) -> str:
    return str(page.eval_on_selector("header.site-header", "h => getComputedStyle(h).backgroundColor"))


def test_key_pages_fit_a_phone_and_pass_axe(tour: Pages, demo: Demo) -> None:
    pages, page = tour, tour.page
    emc = emc_url(demo)
    page.goto(emc)
    pages.check("emc-home")
    lindholm = _header_colour(page)
    assert page.locator("header .brand img.brand-logo").count() == 1  # Lindholm's logo, served by the EMC
    assert "Lindholm University" in page.inner_text("header .brand")
    page.goto(emc + "verify")
    pages.check("emc-verify")
    page.goto(emc + "login?next=/")
    pages.check("emc-login")
    log_in(page, "chloe")
    pages.check("emc-start")
    assert _step(page) == 1
    page.select_option("select[name=country]", "NO")
    page.click("main form[action='/choose'] button[type=submit]")
    pages.check("emc-choose")
    assert _step(page) == 1
    assert page.locator("main .local-text").count() == 1  # Lindholm's local text on this page
    page.click("main form[action='/start'] button[type=submit]")
    page.wait_for_url("http://127.0.0.1:*/flow/*")

    pages.check("emp-start")
    assert _step(page) == 2
    assert _header_colour(page) != lindholm  # the data provider's own look
    page.click("main a[href^='/login']")
    pages.check("emp-login")
    assert _step(page) == 2
    log_in(page, "chloe")
    pages.check("emp-select")
    assert _step(page) == 3
    page.check("input[value='0:KYST4110']")  # one test_transfers does not import
    page.click("button[value=preview]")
    pages.check("emp-preview")
    assert _step(page) == 4
    page.check("input[name=consent]")
    page.click("button[value=send]")

    back_at_emc(page, demo)
    pages.check("emc-transfer-preview")
    assert _step(page) == 4
    transfer = page.url.rstrip("/").rsplit("/", 1)[1]
    # The main action comes first and stands out; discarding looks destructive and sits apart.
    importing = page.locator("main form[action$='/confirm'] button")
    discarding = page.locator("main .danger-zone form[action$='/discard'] button.danger")
    assert importing.count() == 1 and discarding.count() == 1
    assert importing.bounding_box()["y"] + 40 < discarding.bounding_box()["y"]
    if page.locator("main a[href$='/wallet']").count():
        page.click("main a[href$='/wallet']")
        pages.check("emc-wallet-choose")
        page.goto(emc + f"transfers/{transfer}")
    # Discarded, not imported: the shared demo's student imports each result once (test_transfers).
    page.click("main form[action$='/discard'] button")
    page.wait_for_load_state()
    pages.check("emc-transfer-discarded")

    page.goto(emc + "logout")
    page.click("main form[method=post] button[type=submit]")
    page.goto(emc + "login?next=/staff")
    log_in(page, "staff")
    pages.check("staff-overview")
    page.goto(emc + "staff/student?subject=chloe")
    pages.check("staff-student")
    page.goto(emc + f"staff/transfers/{transfer}")
    pages.check("staff-transfer")
    page.goto(emc + "staff/statistics")
    pages.check("staff-statistics")

    fjordnet = emp_home(demo, "FJORDNET")
    page.goto(fjordnet + "logout")
    page.click("main form[method=post] button[type=submit]")
    page.goto(fjordnet + "login?next=/admin/stats")
    log_in(page, "staff")
    pages.check("emp-stats")
    menu = page.locator("header nav.site-nav a")
    assert menu.count() == 2  # the statistics, marked as the page shown, and logging out
    assert page.locator("header nav.site-nav a[aria-current=page]").get_attribute("href") == "/admin/stats"
