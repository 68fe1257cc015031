"""Screenshots of every key page at desktop (1280 px) and phone (375 px) width, in English and Swedish.

They go to test-artifacts/browser/<test>/ like every browser test's (each page checked with axe-core
as well). With ``EMREX_SCREENSHOTS=docs/screenshots`` the same pages are also written there, as
smaller palette PNGs with a gallery page (README.md) linking them: the README's screenshots, made
again after the pages change with

    EMREX_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, Pages
from tests.browser.steps import back_at_emc, emc_url, emp_home, log_in
from tests.demo.helpers import Demo

DESKTOP, PHONE = 1280, 375
LANGUAGES = {"en": "en-GB", "sv": "sv-SE"}
GALLERY_ENV = "EMREX_SCREENSHOTS"
# The README's own picture, made again with the gallery: the English results page, 720 px wide.
README_PAGE, README_IMAGE = "emc-received", ROOT / "docs" / "images" / "demo-transfer.png"
# The pages in the order a person meets them, with what the gallery says each shows.
KEY_PAGES = {
    "emc-welcome": "The home institution's EMREX client before logging in",
    "emc-start": "Choosing the country where you studied",
    "emc-choose": "The data provider you will log in at",
    "emp-start": "The data provider asks you to log in",
    "emp-login": "Logging in at the data provider (the demo's login form)",
    "emp-select": "Choosing the results to share, with the running total",
    "emp-preview": "Checking what will be sent, and consenting",
    "emc-received": "Back home: the checks and the results, before the import",
    "emc-verify": "Checking a study record you received (no login)",
    "staff-home": "Staff: transfers and the identity review queue",
    "staff-statistics": "Staff: statistics of the EMREX client",
    "emp-statistics": "Staff of the data provider: its statistics",
}


class Shots(Pages):
    """``check`` as for every browser test (desktop width), then the same page at phone width; each
    copied into the gallery when one is asked for."""

    def __init__(self, page: Any, folder: Path, language: str, gallery: Path | None) -> None:
        super().__init__(page, folder)
        self.language, self.gallery = language, gallery
        self.shown: list[tuple[str, int]] = []  # each page's name and its width at phone width

    def check(self, name: str) -> None:
        super().check(name)
        desktop = self.folder / f"{self.count:02d}-{name}.png"
        phone = self.folder / f"{self.count:02d}-{name}-{PHONE}.png"
        self.page.set_viewport_size({"width": PHONE, "height": 800})
        try:
            self.page.screenshot(path=str(phone), full_page=True)
            width = self.page.evaluate("document.documentElement.scrollWidth")
        finally:
            self.page.set_viewport_size({"width": DESKTOP, "height": 900})
        self.shown.append((name, width))
        if self.gallery is not None:
            for source, kind in ((desktop, "desktop"), (phone, "phone")):
                _small_png(source, self.gallery / f"{self.language}-{name}-{kind}.png")
            if self.language == "en" and name == README_PAGE:
                _small_png(desktop, README_IMAGE, width=720, height=750)


def _small_png(source: Path, target: Path, width: int = 0, height: int = 2400) -> None:
    """The screenshot with at most 64 colours, at most ``height`` px tall (after scaling to ``width``
    when given): a few tens of kilobytes."""
    from PIL import Image

    with Image.open(source) as image:
        picture = image.convert("RGB")
        if width:
            scaled = round(picture.height * width / picture.width)
            picture = picture.resize((width, scaled), Image.Resampling.LANCZOS)
        if picture.height > height:
            picture = picture.crop((0, 0, picture.width, height))
        picture.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def _gallery() -> Path | None:
    value = os.environ.get(GALLERY_ENV, "").strip()
    if not value:
        return None
    folder = Path(value) if Path(value).is_absolute() else ROOT / value
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(params=sorted(LANGUAGES))
def shots(browser: Any, axe_source: str, request: pytest.FixtureRequest) -> Iterator[Shots]:
    language = str(request.param)
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(viewport={"width": DESKTOP, "height": 900}, locale=LANGUAGES[language])
    context.add_init_script(script=axe_source)
    context.set_default_timeout(15000)
    yield Shots(context.new_page(), folder, language, _gallery())
    context.close()


def _log_out(page: Any, home: str) -> None:
    page.goto(home + "logout")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state()


def test_every_key_page_at_desktop_and_phone_width(shots: Shots, demo: Demo) -> None:
    page, emc = shots.page, emc_url(demo)
    page.goto(emc)
    shots.check("emc-welcome")
    page.goto(emc + "login?next=/")
    log_in(page, "chloe")
    shots.check("emc-start")
    page.select_option("select[name=country]", "NO")
    page.click("main form[action='/choose'] button[type=submit]")
    shots.check("emc-choose")
    page.click("main form[action='/start'] button[type=submit]")
    page.wait_for_url("http://127.0.0.1:*/flow/*")
    shots.check("emp-start")
    page.click("main a[href^='/login']")
    shots.check("emp-login")
    log_in(page, "chloe")
    total = page.locator(".selection-total")
    template = str(total.get_attribute("data-template"))
    assert page.locator("button[value=update]").is_hidden()  # the script keeps the total itself
    page.check("input[value='0:KYST4110']")
    page.check("input[value='0:KYST4100']")
    assert total.inner_text() == template.replace("{count}", "2").replace("{credits}", "20")
    shots.check("emp-select")
    page.click("button[value=preview]")
    shots.check("emp-preview")
    page.check("input[name=consent]")
    page.click("button[value=send]")
    back_at_emc(page, demo)
    shots.check("emc-received")
    # Discarded, not imported: the shared demo's student imports each result once (test_transfers).
    page.locator("form[action$='/discard'] button").click()
    page.wait_for_load_state()
    _log_out(page, emc)
    page.goto(emc + "verify")
    shots.check("emc-verify")
    page.goto(emc + "login?next=/")
    log_in(page, "staff")
    assert page.url == emc + "staff"  # staff land on their overview
    shots.check("staff-home")
    page.goto(emc + "staff/statistics")
    shots.check("staff-statistics")
    home = emp_home(demo, "FJORDNET")
    _log_out(page, home)  # chloe is still logged in there
    page.goto(home + "login?next=/")
    log_in(page, "staff")
    assert page.url == home + "admin/stats"  # the data provider's staff land on their statistics
    shots.check("emp-statistics")

    assert [name for name, _ in shots.shown] == list(KEY_PAGES)
    wide = [(name, width) for name, width in shots.shown if width > PHONE]
    # Reported, not failed here: fitting 320-375 px is the design's test (issue 18, look and feel).
    print(f"pages wider than {PHONE} px at phone width: {wide}")
    if shots.gallery is not None:
        _write_index(shots.gallery)


def _write_index(folder: Path) -> None:
    lines = [
        "# Screenshots",
        "",
        "Every key page of the demo at desktop (1280 px) and phone (375 px) width, in English and "
        "Swedish, made by the browser tests. Make them again after the pages change (the demo starts "
        "by itself; Chromium and axe-core as for `./run tests`):",
        "",
        "```sh",
        f"{GALLERY_ENV}=docs/screenshots .venv/bin/python -m pytest tests/browser/test_screenshots.py",
        "```",
        "",
        "| Page | English | Svenska |",
        "| --- | --- | --- |",
    ]
    for name, what in KEY_PAGES.items():
        cells = [
            " · ".join(
                f"[{kind}]({language}-{name}-{kind}.png)"
                for kind in ("desktop", "phone")
                if (folder / f"{language}-{name}-{kind}.png").is_file()
            )
            or "–"
            for language in sorted(LANGUAGES)
        ]
        lines.append(f"| {what} | {' | '.join(cells)} |")
    (folder / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
