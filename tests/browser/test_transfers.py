"""Whole transfers in a real browser, as the demo's guide tells a newcomer to do them."""

from __future__ import annotations

from tests.browser.conftest import Pages
from tests.browser.steps import (
    back_at_emc,
    emc_log_in,
    emc_log_out,
    emc_url,
    emp_home,
    emp_log_in,
    emp_saml_log_in,
    saml_idp,
    start_transfer,
)
from tests.demo.helpers import Demo


def test_student_fetches_results_imports_them_and_staff_see_them(pages: Pages, demo: Demo) -> None:
    page = pages.page
    page.goto(emc_url(demo))
    pages.check("emc-welcome")
    emc_log_in(pages, demo, "chloe")
    pages.check("emc-start")
    start_transfer(pages, demo, "NO")
    emp_log_in(pages, "chloe")
    assert page.get_by_role("heading", name="Choose the results to share").is_visible()
    assert page.locator("input[value='0:KYST4120']").count() == 0  # the failed course is not offered
    pages.check("emp-select")
    page.check("input[value='0:KYST4100']")  # Wave Mechanics
    page.check("input[value='0:NOR0100']")  # Norwegian for International Students
    page.click("button[value=preview]")
    pages.check("emp-preview")
    preview = page.inner_text("main")
    assert "Wave Mechanics" in preview and "Coastal Sediment Transport" not in preview
    # where the results go, shown before consent: the client by its name, not its host
    assert "Receiver: Lindholm University" in preview and "localhost" not in preview
    page.check("input[name=consent]")
    page.click("button[value=send]")

    back_at_emc(page, demo)
    pages.check("emc-preview")
    result = page.inner_text("main")
    assert "Signature: valid" in result
    assert "The results belong to you" in result
    assert "Wave Mechanics" in result and "Norwegian for International Students" in result
    page.get_by_role("button", name="Import these results").click()
    page.wait_for_load_state()
    pages.check("emc-imported")
    assert "imported" in page.inner_text("main").lower()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF transcript").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-")

    emc_log_out(pages, demo)
    emc_log_in(pages, demo, "staff")
    page.goto(emc_url(demo) + "staff")
    pages.check("staff-home")
    page.fill("#q", "LINDQVIST")  # her family name, in another case: one match opens her overview
    page.click("main form[action='/staff/students'] button")
    page.wait_for_load_state()
    pages.check("staff-student")
    overview = page.inner_text("main")
    assert "Wave Mechanics" in overview and "Norwegian for International Students" in overview


def test_cancel_at_the_data_provider(pages: Pages, demo: Demo) -> None:
    page = pages.page
    emc_log_in(pages, demo, "chloe")
    start_transfer(pages, demo, "GR", "Kyklades University")
    emp_log_in(pages, "chloe")
    text = page.inner_text("main")
    assert "Ancient Greek Philosophy" in text or "Αρχαία Ελληνική Φιλοσοφία" in text
    page.click("button[value=cancel]")
    back_at_emc(page, demo)
    pages.check("emc-cancelled")
    assert "cancel" in page.inner_text("main").lower()
    assert page.get_by_role("button", name="Import these results").count() == 0


def test_identity_review_approved_by_staff(pages: Pages, demo: Demo) -> None:
    page = pages.page
    emc_log_in(pages, demo, "miguel")
    page.select_option("select[name=country]", "NO")
    page.click("main form[action='/choose'] button[type=submit]")
    # FjordNet serves two institutions: both are named, not only the first
    assert "Fjordby University, Nordkapp School of Music and Arts" in page.inner_text("main")
    page.goto(emc_url(demo))
    start_transfer(pages, demo, "NO")
    emp_log_in(pages, "miguel")
    page.click("button[value=all]")
    page.click("button[value=preview]")
    page.check("input[name=consent]")
    page.click("button[value=send]")
    back_at_emc(page, demo)
    transfer_url = page.url
    pages.check("emc-identity-review")
    text = page.inner_text("main")
    assert "could not be matched to you with certainty" in text
    # his results are Nordkapp's, named as the document names them
    assert page.get_by_role("heading", name="Results from Nordkapp School of Music and Arts").is_visible()
    assert "Results from Fjordby University" not in text
    page.get_by_role("button", name="Import these results").click()
    page.wait_for_load_state()
    pages.check("emc-waiting-for-review")
    assert page.get_by_role("button", name="Import these results").count() == 0
    transfer_id = transfer_url.rstrip("/").rsplit("/", 1)[1]

    emc_log_out(pages, demo)
    emc_log_in(pages, demo, "staff")
    page.goto(emc_url(demo) + f"staff/transfers/{transfer_id}")
    pages.check("staff-review")
    assert "Fernández" in page.inner_text("main")
    page.check("#approve")
    page.fill("#reason", "   ")  # blanks pass the browser's check, not ours: the form comes back
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    pages.check("staff-review-needs-a-reason")
    assert "Give a reason for the decision." in page.inner_text("main")
    assert page.is_checked("#approve")
    page.fill("#reason", "Same person: the second family name is missing abroad; passport checked.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    pages.check("staff-approved")
    assert "approve" in page.inner_text("main").lower()
    page.goto(emc_url(demo) + "staff/student?subject=miguel")
    overview = page.inner_text("main")
    assert "Ensemble Playing: Jazz" in overview and "Nordkapp School of Music and Arts" in overview
    page.goto(emc_url(demo) + "staff/statistics")
    pages.check("staff-statistics")
    assert "Nordkapp School of Music and Arts (Norway)" in page.inner_text("main")


def test_student_cancels_a_transfer_left_at_the_data_provider(pages: Pages, demo: Demo) -> None:
    page = pages.page
    emc_log_in(pages, demo, "noah")
    start_transfer(pages, demo, "NO")
    page.goto(emc_url(demo))  # the student leaves the data provider without an answer
    page.locator("main table a").first.click()
    page.wait_for_load_state()
    pages.check("emc-waiting")
    assert "Waiting for the data provider" in page.inner_text("main")
    page.get_by_role("button", name="Cancel this transfer").click()
    page.wait_for_load_state()
    pages.check("emc-cancelled-by-student")
    assert "Cancelled by you" in page.inner_text("main")
    assert page.get_by_role("button", name="Cancel this transfer").count() == 0


def test_student_without_results(pages: Pages, demo: Demo) -> None:
    page = pages.page
    emc_log_in(pages, demo, "noah")
    start_transfer(pages, demo, "NO")
    emp_log_in(pages, "noah")
    pages.check("emp-no-results")
    assert "You have no results here that can be shared" in page.inner_text("main")
    page.locator("main form[action$='/no-results'] button[type=submit]").first.click()
    back_at_emc(page, demo)
    pages.check("emc-no-results")
    assert "no results" in page.inner_text("main").lower()
    assert page.get_by_role("button", name="Import these results").count() == 0


def test_greek_record_is_matched_to_its_latin_transcription(pages: Pages, demo: Demo) -> None:
    """Olympos Polytechnic logs its students in through the demo SAML identity provider."""
    page = pages.page
    emc_log_in(pages, demo, "eleni")
    start_transfer(pages, demo, "GR", "Olympos Polytechnic")
    emp_saml_log_in(pages, demo, "OLYMPOS", "eleni")
    page.click("button[value=all]")
    page.click("button[value=preview]")
    pages.check("emp-preview-greek")
    assert "Παπαδοπούλου" in page.inner_text("main")
    page.check("input[name=consent]")
    page.click("button[value=send]")
    back_at_emc(page, demo)
    pages.check("emc-preview-greek")
    text = page.inner_text("main")
    # the ESI agrees although the script differs, and the summary says so
    assert "The results belong to you: an identifier in them is yours, which decides although" in text
    assert "the name and birth date match" not in text
    assert "Structural Dynamics" in text
    page.get_by_role("button", name="Import these results").click()
    page.wait_for_load_state()
    assert "Your results were imported" in page.inner_text("main")


def test_saml_single_logout_at_the_data_provider(pages: Pages, demo: Demo) -> None:
    page = pages.page
    emc_log_in(pages, demo, "eleni")
    start_transfer(pages, demo, "GR", "Olympos Polytechnic")
    emp_saml_log_in(pages, demo, "OLYMPOS", "eleni")
    home = emp_home(demo, "OLYMPOS")
    page.goto(home + "logout")
    assert "Signed in as Ελένη Παπαδοπούλου" in page.inner_text("body")
    with page.expect_request(lambda request: request.url.startswith(saml_idp(demo, "OLYMPOS") + "slo?")):
        page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(home)
    page.goto(home + "logout")
    assert "You are not logged in." in page.inner_text("main")
