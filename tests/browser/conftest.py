"""Headless Chromium (Debian's, never a downloaded one) against a demo network started for the session.

Each test keeps screenshots of its key pages in test-artifacts/browser/<test>/ and checks every one of
those pages: axe-core finds no accessibility violation of any level, and the page is not wider than
the window (no sideways scrolling, at desktop and at phone width).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.demo.helpers import Demo, free_port_base, start_demo

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EMREX_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 320, "height": 720}  # the narrowest phone WCAG's reflow criterion (1.4.10) names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip(
            f"axe-core is missing ({AXE.relative_to(ROOT)}): ./run tests installs it with npm "
            "(npm install --prefix .cache/axe axe-core@4); it said above why it could not"
        )
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is missing; install the test extra: pip install -e '.[test]'")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's (sudo apt-get install chromium) or set "
            "EMREX_CHROMIUM to a Chromium binary; never 'playwright install'"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory, browser: Any, axe_source: str) -> Iterator[Demo]:
    running = start_demo(tmp_path_factory.mktemp("demo"), free_port_base())
    if not running.facts:
        code, _, err = running.stop()
        pytest.fail(f"emrex demo exited with {code} before it was ready: {err.strip()[-2000:]}")
    yield running
    code, _, err = running.stop()
    assert code == 0, err


class Pages:
    """Screenshots of key pages, each checked with axe-core (every level) and for sideways scrolling."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.count = 0

    def check(self, name: str) -> None:
        self.count += 1
        self.page.wait_for_load_state("load")
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)
        violations = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
                }));
            }"""
        )
        assert not violations, f"accessibility ({name}, {self.page.url}): " + "; ".join(
            f"{v['impact']} {v['id']}: {v['help']} at {', '.join(v['targets'])}" for v in violations
        )
        wide, window = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide <= window, f"{name} ({self.page.url}) is {wide} px wide in a {window} px window"


@contextmanager
def browser_pages(
    browser: Any, axe_source: str, folder: Path, viewport: dict[str, int], locale: str = "en-GB"
) -> Iterator[Pages]:
    """A fresh browser context (no cookies) at ``viewport`` asking for ``locale``, its screenshots in
    ``folder`` (emptied first)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(accept_downloads=True, viewport=viewport, locale=locale)
    # An init script is not subject to the pages' Content-Security-Policy, which stays in force.
    context.add_init_script(script=axe_source)
    context.set_default_timeout(15000)
    try:
        yield Pages(context.new_page(), folder)
    finally:
        context.close()


def artifacts_of(request: pytest.FixtureRequest) -> Path:
    return ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)


@pytest.fixture
def pages(browser: Any, axe_source: str, demo: Demo, request: pytest.FixtureRequest) -> Iterator[Pages]:
    with browser_pages(browser, axe_source, artifacts_of(request), DESKTOP) as opened:
        yield opened
