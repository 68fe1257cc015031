"""Credit recognition in a real browser: chloe reads her decided case, applies with another Kyklades
course, staff decide it, and she downloads the decision; key pages also at phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from emrex.elmo.sample import sample_elmo
from emrex.transcript import render_transcript
from tests.browser.conftest import Pages
from tests.browser.steps import emc_log_in, emc_log_out, emc_url
from tests.demo.helpers import Demo
from tests.transcript.conftest import PdfText, read_pdf

__all__ = ["read_pdf"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 900}


def both_widths(pages: Pages, name: str) -> None:
    pages.check(name)
    pages.page.set_viewport_size(PHONE)
    pages.check(f"{name}-phone")
    pages.page.set_viewport_size(DESKTOP)


def test_chloe_applies_staff_decide_and_she_downloads_the_decision(
    pages: Pages, demo: Demo, tmp_path: Path, read_pdf: Callable[[bytes], PdfText]
) -> None:
    page = pages.page
    emc_log_in(pages, demo, "chloe")
    page.get_by_role("link", name="Credit recognition", exact=True).click()
    page.wait_for_load_state()
    both_widths(pages, "recognition-home")

    # The case the demo made: decided, with its document.
    page.get_by_role("link", name=re.compile(r"^TG-\d{4}-00001$")).click()
    page.wait_for_load_state()
    both_widths(pages, "recognition-decided")
    text = page.inner_text("main")
    assert "Granted: 7.5 credits" in text and "Partly granted: 6 of 7.5 credits" in text
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the decision (PDF, English)").click()
    decision = read_pdf(download.value.path().read_bytes()).text
    assert "Decision on credit recognition" in decision and "How to appeal" in decision

    # A new application: Modern Greek I from Kyklades, as GR1001.
    page.goto(emc_url(demo) + "recognition/new")
    page.get_by_label(re.compile(r"Modern Greek I \(LANG101\)")).check()
    both_widths(pages, "recognition-new")
    page.get_by_role("button", name="Start the application").click()
    page.wait_for_load_state()
    page.fill("#q", "greek")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    page.get_by_label(re.compile(r"^GR1001 Modern Greek I,")).check()
    both_widths(pages, "recognition-draft")
    page.get_by_role("button", name="Add this target").click()
    page.wait_for_load_state()
    page.fill("#motivation", "LANG101 covers the A1 level that GR1001 teaches.")
    page.get_by_role("button", name="Save the motivation").click()
    page.wait_for_load_state()
    syllabus = tmp_path / "LANG101 syllabus.pdf"
    syllabus.write_bytes(render_transcript(sample_elmo(1)))
    page.set_input_files("#file", str(syllabus))
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_load_state()
    assert "LANG101 syllabus.pdf" in page.inner_text("main")
    page.get_by_role("button", name="Submit the application").click()
    page.wait_for_load_state()
    pages.check("recognition-submitted")
    number = re.search(r"Application (TG-\d{4}-\d{5})", page.inner_text("main"))
    assert number, page.inner_text("main")[:500]

    # The officer decides it.
    emc_log_out(pages, demo)
    emc_log_in(pages, demo, "staff")
    page.get_by_role("link", name="Staff: recognition cases").click()
    page.wait_for_load_state()
    both_widths(pages, "staff-recognition-queue")
    page.get_by_role("link", name=number.group(1)).click()
    page.wait_for_load_state()
    both_widths(pages, "staff-recognition-case")
    page.get_by_role("radio", name="Partly granted").check()
    page.get_by_label("Credits granted (when partly granted)").fill("5")
    page.get_by_label(re.compile(r"^Reason")).fill("LANG101 gives 5 ECTS of the 7.5 GR1001 asks for.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    pages.check("staff-recognition-decided")
    assert "The decision was recorded." in page.inner_text("main")

    # chloe reads the decision and downloads it in Swedish.
    emc_log_out(pages, demo)
    emc_log_in(pages, demo, "chloe")
    page.goto(emc_url(demo) + "recognition")
    page.get_by_role("link", name=number.group(1)).click()
    page.wait_for_load_state()
    both_widths(pages, "recognition-her-decision")
    assert "Partly granted: 5 of 7.5 credits" in page.inner_text("main")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the decision (PDF, Swedish)").click()
    swedish = read_pdf(download.value.path().read_bytes()).text
    assert "Delvis bifall: 5 av 7,5 hp" in swedish and "Hur man överklagar" in swedish
