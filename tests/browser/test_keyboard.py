"""A whole transfer with the keyboard only: from the EMC's start page through the data provider and back
to the import, moving with Tab, acting with Enter and Space (typing where a field asks for text, the
country chosen by typing its first letters), never a click. Every element Tab reaches shows its
focus ring."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Pages
from tests.browser.steps import PASSWORD, back_at_emc, emc_url
from tests.demo.helpers import Demo

MAX_TABS = 80  # more stops than any page of the demo has
FOCUSED = """selector => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    return {matches: e.matches(selector), outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
            what: e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 40)};
}"""


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the focused element matches ``selector``; each stop must show its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED, selector)
        visible = focused["outline"] != "none" and focused["width"] >= 2
        assert visible, f"no visible focus on {focused['what']} ({page.url})"
        if focused["matches"]:
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def press(page: Any, key: str) -> None:
    """Press a key that leads to another page, and wait for that page."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def log_in_by_keys(page: Any, username: str) -> None:
    """The login form: the name field has the focus; type, Tab, type, Enter."""
    page.wait_for_selector("#username:focus")
    page.keyboard.type(username)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    press(page, "Enter")


def test_a_whole_transfer_with_the_keyboard_only(pages: Pages, demo: Demo) -> None:
    page = pages.page
    page.goto(emc_url(demo))
    tab_to(page, "a.skip-link")
    tab_to(page, "header nav a[href='/login']")
    press(page, "Enter")
    log_in_by_keys(page, "chloe")

    tab_to(page, "#country")
    page.keyboard.type("Nor")  # a focused list box takes its option from the letters typed
    assert page.eval_on_selector("#country", "s => s.value") == "NO"
    tab_to(page, "main form[action='/choose'] button")
    press(page, "Enter")
    tab_to(page, "main form[action='/start'] button")
    press(page, "Enter")
    page.wait_for_url("http://127.0.0.1:*/flow/*")  # the EMREX redirect posts itself

    tab_to(page, "main a[href^='/login']")
    press(page, "Enter")
    log_in_by_keys(page, "chloe")
    tab_to(page, "input[value='0:KYST4300']")  # the field course, which no other browser test sends
    page.keyboard.press("Space")
    assert page.is_checked("input[value='0:KYST4300']")
    tab_to(page, "button[value=preview]")
    press(page, "Enter")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    assert page.is_checked("#consent")
    tab_to(page, "button[value=send]")
    press(page, "Enter")

    back_at_emc(page, demo)
    pages.check("emc-preview-by-keyboard")
    assert "Field Course: Arctic Coasts" in page.inner_text("main")
    tab_to(page, "main form[action$='/confirm'] button")
    press(page, "Enter")
    assert "Your results were imported" in page.inner_text("main")
    pages.check("emc-imported-by-keyboard")
