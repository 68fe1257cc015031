"""The EMC's public verification page in a real browser: chloe downloads her imported results as a
sealed European Digital Credential, and anyone checks that file at /verify, in English and Swedish,
at desktop and phone width (320 px)."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import Pages
from tests.browser.steps import emc_log_in, emc_log_out, emc_url
from tests.demo.helpers import Demo

PHONE = {"width": 320, "height": 720}
DESKTOP = {"width": 1100, "height": 900}


def both_widths(pages: Pages, name: str) -> None:
    pages.check(name)
    pages.page.set_viewport_size(PHONE)
    pages.check(f"{name}-phone")
    width = pages.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide at 320 px"
    pages.page.set_viewport_size(DESKTOP)


def imported_transfer(pages: Pages, demo: Demo) -> int:
    token = demo.facts["emc"]["api"]["token"]
    answer = pages.page.request.get(
        emc_url(demo) + "api/v1/transfers?student=chloe&status=imported",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.ok, answer.text()
    return int(answer.json()["items"][0]["id"])


def test_a_sealed_credential_is_downloaded_and_checked_at_verify(
    pages: Pages, demo: Demo, tmp_path: Path
) -> None:
    page = pages.page
    emc_log_in(pages, demo, "chloe")
    transfer_id = imported_transfer(pages, demo)
    page.goto(emc_url(demo) + f"transfers/{transfer_id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as sealed European Digital Credential").click()
    assert download.value.suggested_filename == f"edc-transfer-{transfer_id}.json"
    credential = tmp_path / download.value.suggested_filename
    download.value.save_as(credential)
    emc_log_out(pages, demo)

    page.goto(emc_url(demo))
    page.get_by_role("link", name="Check a study record you received").first.click()
    page.wait_for_load_state()
    both_widths(pages, "verify-form")
    page.set_input_files("#document", str(credential))
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "Valid." in text and "Lindholm University (Sweden)" in text, text[:1500]
    assert "KYKLADES" in text and "Lindqvist Núñez" in text
    both_widths(pages, "verify-valid")

    page.goto(emc_url(demo) + "verify?lang=sv")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Kontrollera ett studieresultat").is_visible()
    both_widths(pages, "verify-form-sv")
    page.set_input_files("#document", str(credential))
    page.get_by_role("button", name="Kontrollera", exact=True).click()
    page.wait_for_load_state()
    assert "Giltigt." in page.inner_text("main")
    both_widths(pages, "verify-valid-sv")

    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a credential")
    page.set_input_files("#document", str(garbage))
    page.get_by_role("button", name="Kontrollera", exact=True).click()
    page.wait_for_load_state()
    assert "Den här filen kan inte kontrolleras" in page.inner_text("main")
    both_widths(pages, "verify-unreadable-sv")
    page.goto(emc_url(demo) + "verify?lang=en")
