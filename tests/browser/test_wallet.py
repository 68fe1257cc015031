"""The wallet round trip of the demo guide in a real browser: chloe adds her imported results at Lindholm
to the demo wallet (the EMC's "Open in my web wallet" link and the transaction code), then at the second
EMC, Sundby University, imports them from the wallet: the wallet shows who asks and what it would
disclose, she presents, and Sundby shows the results from her wallet, vouched for by Lindholm; its staff
see where they came from."""

from __future__ import annotations

import re

from tests.browser.conftest import Pages
from tests.browser.steps import emc_log_in, emc_log_out, log_in
from tests.demo.helpers import Demo

VOUCHED = "The credential was vouched for by CN=Lindholm University wallet issuer (demo)"


def _an_imported_transfer(pages: Pages, demo: Demo) -> None:
    """To the page of one of chloe's imported transfers (the seeded Kyklades one at least)."""
    page = pages.page
    links = page.locator("main a[href^='/transfers/']").evaluate_all("links => links.map(a => a.href)")
    for link in links:
        page.goto(link)
        if page.get_by_role("link", name="Add to my wallet").count():
            return
    raise AssertionError(f"no imported transfer of chloe offers 'Add to my wallet' among {links}")


def _sundby_log_in(pages: Pages, demo: Demo, username: str) -> str:
    sundby = str(demo.facts["admissions"]["url"])
    pages.page.goto(sundby + "login?next=/")
    log_in(pages.page, username)
    landing = sundby + ("staff" if username == "staff" else "")  # staff land on their overview
    assert pages.page.url == landing, pages.page.url
    return sundby


def test_add_to_the_demo_wallet_and_present_at_the_second_emc(pages: Pages, demo: Demo) -> None:
    page = pages.page
    wallet = str(demo.facts["wallet"]["url"])
    emc_log_in(pages, demo, "chloe")
    _an_imported_transfer(pages, demo)
    page.get_by_role("link", name="Add to my wallet").click()
    pages.check("emc-wallet-choose")
    page.get_by_role("button", name="Show the wallet code").click()
    page.wait_for_load_state()
    pages.check("emc-wallet-offer")
    code = page.locator(".wallet-tx-code strong").inner_text()
    assert re.fullmatch(r"\d{6}", code), code
    assert page.locator("a[href^='openid-credential-offer://']").count() == 1  # the standard link stays
    page.get_by_role("link", name="Open in my web wallet").click()

    page.wait_for_url(wallet + "offer?*")
    pages.check("wallet-offer")
    assert "not a real EU Digital Identity wallet" in page.inner_text("body")
    page.get_by_label("Transaction code").fill(code)
    page.get_by_role("button", name="Accept the credential").click()
    page.wait_for_url(wallet)
    pages.check("wallet-credentials")
    held = page.inner_text("main")
    assert "Added to the wallet:" in held and "Chloé Åsa Lindqvist Núñez" in held
    courses = page.locator("main .wallet-credential li").all_inner_texts()
    assert courses, held

    emc_log_out(pages, demo)
    sundby = _sundby_log_in(pages, demo, "chloe")
    pages.check("sundby-start")
    page.get_by_role("button", name="Import from my wallet").click()
    page.wait_for_url(sundby + "wallet-import/*")
    pages.check("sundby-wallet-request")
    # The wallet in a second tab, as if on another device: this page notices the answer by itself.
    request_page = page
    page = pages.page = page.context.new_page()
    page.goto(str(request_page.get_by_role("link", name="Open in my web wallet").get_attribute("href")))
    page.wait_for_url(wallet + "present?*")
    pages.check("wallet-request")
    asked = page.inner_text("main")
    assert "Sundby University asks for your study results" in asked
    assert "x509_san_dns:localhost" in asked and "your date of birth" in asked
    section = page.locator("main .wallet-credential").first
    assert section.locator("input[name=course]:checked").count() == len(courses)
    section.get_by_role("button", name="Present to Sundby University").click()
    page.wait_for_url(re.compile(re.escape(sundby) + r"transfers/\d+$"))  # the wallet's redirect
    wallet_tab_url = page.url
    page.close()
    page = pages.page = request_page
    page.wait_for_url(wallet_tab_url, timeout=30000)  # its script saw the answer and reloaded once
    pages.check("sundby-from-wallet")
    arrived = page.inner_text("main")
    assert "From your wallet." in arrived and VOUCHED in arrived
    assert "Signature: valid" in arrived and "The results belong to you" in arrived
    assert all(title in arrived for title in courses)
    transfer_path = page.url.removeprefix(sundby.rstrip("/"))
    page.get_by_role("button", name="Import these results").click()
    page.wait_for_load_state()
    pages.check("sundby-imported")
    assert "imported" in page.inner_text("main").lower()

    page.goto(sundby + "logout")
    page.click("main form[method=post] button[type=submit]")
    _sundby_log_in(pages, demo, "staff")
    page.goto(sundby + "staff" + transfer_path)
    pages.check("sundby-staff-transfer")
    assert "the student's wallet; the credential was vouched for by CN=Lindholm" in page.inner_text("main")
