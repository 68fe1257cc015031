"""EWP in a real browser: Lindholm's staff fetch chloe's transcript from Fjordby over EWP on the
staff page, see it imported with its source, and read the page in Swedish; at phone width too.

The transcript goes to the login name s20-0191 (a student who has not used the EMC yet, named
by her ESI): the browser tests share one demo; chloe's own imports and her name in the staff search
belong to the other tests."""

from __future__ import annotations

from tests.browser.conftest import Pages
from tests.browser.steps import emc_log_in, emc_url
from tests.browser.test_recognition import both_widths
from tests.demo.helpers import Demo

ESI = "urn:schac:personalUniqueCode:int:esi:lindholm.example.se:S20-0191"


def test_staff_fetch_chloes_transcript_over_ewp(pages: Pages, demo: Demo) -> None:
    page = pages.page
    mobility = demo.facts["ewp"]["mobility"]
    emc_log_in(pages, demo, "staff")
    page.get_by_role("link", name="Staff: fetch over EWP").click()
    page.wait_for_load_state()
    both_widths(pages, "staff-ewp-form")
    page.get_by_label("Partner institution (SCHAC code)").fill(mobility["partner"])
    page.get_by_label("Mobility id").fill("no-such-mobility")
    page.get_by_label("Student's login name").fill("s20-0191")
    page.get_by_label("European Student Identifier (ESI)").fill(ESI)
    page.get_by_role("button", name="Fetch and verify").click()
    page.wait_for_load_state()
    both_widths(pages, "staff-ewp-refused")
    assert "has no approved transcript of mobility no-such-mobility" in page.inner_text("main")
    page.get_by_label("Mobility id").fill(mobility["omobility_id"])  # the rest is kept
    page.get_by_role("button", name="Fetch and verify").click()
    page.wait_for_load_state()
    both_widths(pages, "staff-ewp-fetched")
    text = page.inner_text("main")
    assert "The transcript was fetched over EWP and verified." in text
    assert f"EWP: fetched from Fjordby University ({mobility['partner']})" in text
    page.select_option("#language-select", "sv")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    pages.check("staff-ewp-fetched-sv")
    assert "hämtat från Fjordby University" in page.inner_text("main")
    page.goto(emc_url(demo) + "staff/ewp")
    pages.check("staff-ewp-form-sv")
    assert "Hämta ett studieintyg via EWP" in page.inner_text("main")
