"""OOTS in a real browser: the demo's admissions portal asks Olympos Polytechnic for eleni's transcript,
she previews it at Olympos (logging in at the demo identity provider), agrees, and the portal shows the
evidence it received; the EMP's OOTS pages also at phone width."""

from __future__ import annotations

from tests.browser.conftest import Pages
from tests.browser.steps import log_in, saml_idp
from tests.demo.helpers import Demo

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 900}


def _both_widths(pages: Pages, name: str) -> None:
    pages.check(name)
    pages.page.set_viewport_size(PHONE)
    pages.check(f"{name}-phone")
    pages.page.set_viewport_size(DESKTOP)


def test_the_admissions_portal_gets_elenis_transcript_through_her_preview(pages: Pages, demo: Demo) -> None:
    page = pages.page
    portal = demo.facts["oots"]["requester"]
    page.goto(portal)
    pages.check("portal-home")
    page.get_by_role("button", name="Ask Olympos Polytechnic for my transcript").click()
    page.wait_for_url("http://127.0.0.1:*/oots/preview/*")
    assert "Lindholm University" in page.inner_text("main")
    _both_widths(pages, "emp-oots-start")
    page.select_option("select[name=lang]", "sv")
    page.click("form.language-picker button[type=submit]")
    page.wait_for_url("http://127.0.0.1:*/oots/preview/*")
    assert "Dela ditt studieutdrag genom Once-Only-systemet" in page.inner_text("main")
    pages.check("emp-oots-start-swedish")
    page.select_option("select[name=lang]", "en")
    page.click("form.language-picker button[type=submit]")
    page.wait_for_url("http://127.0.0.1:*/oots/preview/*")
    page.click("main a:has-text('Log in')")
    page.wait_for_url(saml_idp(demo, "OLYMPOS") + "sso?*")
    log_in(page, "eleni")
    page.wait_for_url("http://127.0.0.1:*/oots/preview/*")
    text = page.inner_text("main")
    assert "Παπαδοπούλου" in text and "Structural Dynamics" in text
    _both_widths(pages, "emp-oots-preview")
    page.check("input[name=consent]")
    page.click("button[value=send]")
    page.wait_for_load_state()
    assert "Your transcript is ready" in page.inner_text("main")
    _both_widths(pages, "emp-oots-done")
    page.get_by_role("link", name="Return to Lindholm University").click()
    page.wait_for_url(portal + "application/*")
    text = page.inner_text("main")
    assert "The evidence arrived through OOTS" in text and "Structural Dynamics" in text
    assert "European Digital Credential" in text and "the seal verifies against the demo CA" in text
    _both_widths(pages, "portal-evidence")
