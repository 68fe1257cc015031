"""One whole transfer in each page language, the language taken from the browser's own
(Accept-Language): every key page checked with axe-core, and shot at 320 px wide as well, where it
must fit without sideways scrolling."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from emrex.emc.app import EMC_LOCALE
from emrex.emc.recognition import LOCALE as RECOGNITION_LOCALE
from emrex.emp.app import LOCALE_DIR as EMP_LOCALE
from emrex.web.i18n import Catalogs
from emrex.web.login import LOCALE_DIR as LOGIN_LOCALE
from emrex.web.settings import LANGUAGES
from tests.browser.conftest import ARTIFACTS, Pages
from tests.browser.steps import back_at_emc, emc_url, log_in
from tests.demo.helpers import Demo

BROWSER_LOCALES = {"en": "en-GB", "sv": "sv-SE", "fi": "fi-FI", "nb": "nb-NO", "da": "da-DK"}
EMC_TEXTS = Catalogs(LANGUAGES, [LOGIN_LOCALE, EMC_LOCALE, RECOGNITION_LOCALE])
EMP_TEXTS = Catalogs(LANGUAGES, [LOGIN_LOCALE, EMP_LOCALE])


class PhonePages(Pages):
    """``check`` as for every browser test, then the same page shot again at 320 px wide."""

    language = "en"

    def check(self, name: str) -> None:
        super().check(name)
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": 320, "height": 800})
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}-320.png"), full_page=True)
        wide = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 320, f"{name} in {self.language} ({self.page.url}) is {wide} px wide at 320 px"
        self.page.set_viewport_size(size)


@pytest.fixture(params=LANGUAGES)
def language_pages(browser: Any, axe_source: str, request: pytest.FixtureRequest) -> Iterator[PhonePages]:
    language = str(request.param)
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=BROWSER_LOCALES[language])
    context.add_init_script(script=axe_source)
    context.set_default_timeout(15000)
    page = context.new_page()
    pages = PhonePages(page, folder)
    pages.language = language
    yield pages
    context.close()


def _lang(page: Any) -> str:
    return str(page.get_attribute("html", "lang"))


def test_a_whole_transfer_in_each_language(language_pages: PhonePages, demo: Demo) -> None:
    pages, page = language_pages, language_pages.page
    language = pages.language
    emc = EMC_TEXTS.get(language).gettext
    emp = EMP_TEXTS.get(language).gettext

    page.goto(emc_url(demo))
    assert _lang(page) == language  # from the browser's language, nothing picked
    pages.check("emc-welcome")
    page.goto(emc_url(demo) + "login?next=/")
    log_in(page, "chloe")
    assert page.get_by_role("heading", name=emc("Fetch your results from abroad")).is_visible()
    pages.check("emc-start")
    page.select_option("select[name=country]", "NO")
    page.click("main form[action='/choose'] button[type=submit]")
    pages.check("emc-choose")
    page.click("main form[action='/start'] button[type=submit]")
    page.wait_for_url("http://127.0.0.1:*/flow/*")

    assert _lang(page) == language
    pages.check("emp-start")
    page.click("main a[href^='/login']")
    pages.check("emp-login")
    log_in(page, "chloe")
    assert page.get_by_role("heading", name=emp("Choose the results to share")).is_visible()
    pages.check("emp-select")
    page.check("input[value='0:KYST4110']")  # one test_transfers does not import
    page.click("button[value=preview]")
    assert page.get_by_role("heading", name=emp("Check what will be sent")).is_visible()
    pages.check("emp-preview")
    page.check("input[name=consent]")
    page.click("button[value=send]")

    back_at_emc(page, demo)
    assert _lang(page) == language
    pages.check("emc-preview")
    result = page.inner_text("main")
    assert emc("Checks") in result and emc("Import these results") in result
    if language != "en":  # the language is the browser's on every page: no English left on the way
        assert "Import these results" not in result and "Signature: valid" not in result
    # Discarded, not imported: the shared demo's student imports each result once (test_transfers).
    page.get_by_role("button", name=emc("Discard these results")).click()
    page.wait_for_load_state()
    assert emc("The results were discarded.") in page.inner_text("body")
    pages.check("emc-discarded")
