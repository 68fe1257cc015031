"""The steps a person takes in the demo, as Playwright actions."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Pages
from tests.demo.helpers import Demo

PASSWORD = "demo"


def emc_url(demo: Demo) -> str:
    return str(demo.facts["emc"]["url"])


def emp_home(demo: Demo, acronym: str) -> str:
    return next(str(e["home"]) for e in demo.facts["emps"] if e["acronym"] == acronym)


def log_in(page: Any, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state()


def emc_log_in(pages: Pages, demo: Demo, username: str) -> None:
    page = pages.page
    page.goto(emc_url(demo) + "login?next=/")
    log_in(page, username)
    landing = "staff" if username == "staff" else ""  # staff land on their overview
    assert page.url == emc_url(demo) + landing, page.url


def start_transfer(pages: Pages, demo: Demo, country: str, institution: str | None = None) -> None:
    """From the EMC's start page to the EMP's first page."""
    page = pages.page
    page.select_option("select[name=country]", country)
    page.click("main form[action='/choose'] button[type=submit]")
    if institution is not None:
        page.get_by_label(institution).check()
    pages.check("emc-choose")
    page.click("main form[action='/start'] button[type=submit]")
    page.wait_for_url("http://127.0.0.1:*/flow/*")


def emp_log_in(pages: Pages, username: str) -> None:
    page = pages.page
    pages.check("emp-start")
    page.click("main a:has-text('Log in')")
    pages.check("emp-login")
    log_in(page, username)


def back_at_emc(page: Any, demo: Demo) -> None:
    page.wait_for_url(emc_url(demo) + "transfers/*")
    page.wait_for_load_state()


def emc_log_out(pages: Pages, demo: Demo) -> None:
    page = pages.page
    page.goto(emc_url(demo) + "logout")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state()


def saml_idp(demo: Demo, acronym: str) -> str:
    """The demo SAML identity provider's address, for the EMP whose students log in there."""
    emp = next(e for e in demo.facts["emps"] if e["acronym"] == acronym)
    return str(emp["saml_idp_metadata"]).rsplit("metadata", 1)[0]


def emp_saml_log_in(pages: Pages, demo: Demo, acronym: str, username: str) -> None:
    """From the EMP's start page through the demo identity provider's login form and back."""
    page = pages.page
    pages.check("emp-start")
    page.click("main a:has-text('Log in')")
    page.wait_for_url(saml_idp(demo, acronym) + "sso?*")
    assert "Demo identity provider" in page.inner_text("body")
    pages.check("saml-idp-login")
    log_in(page, username)
    page.wait_for_url("http://127.0.0.1:*/flow/*")
