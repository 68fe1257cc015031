"""The student's pages: start, choice of provider, preview, confirm, discard, delete, downloads."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.elmo.sample import sample_elmo
from emrex.emc.models import ForeignCredential, Status, Transfer, WebhookEvent
from tests.emc.conftest import COLLINA, MONTE, NORDVIK, Keys, csrf, database_of, login, ok, start


def post_form(client: TestClient, path: str, page_path: str) -> object:
    page = client.get(page_path)
    return client.post(path, data={"csrf_token": csrf(page.text)}, follow_redirects=False)


def status_of(client: TestClient, transfer_id: int) -> str:
    with database_of(client).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        return transfer.status


def test_the_start_page_explains_and_asks_to_log_in(emc: TestClient) -> None:
    page = emc.get("/")
    assert page.status_code == 200
    assert "Log in there with that institution" in page.text
    assert 'href="/login?next=/"' in page.text
    assert emc.get("/choose?country=SE", follow_redirects=False).status_code == 303


def test_a_logged_in_student_sees_countries_and_earlier_transfers(emc: TestClient, keys: Keys) -> None:
    login(emc)
    page = emc.get("/")
    assert '<option value="SE">Sweden</option>' in page.text
    assert '<option value="IT">Italy</option>' in page.text
    assert "You have not fetched any results yet." in page.text
    transfer_id = ok(emc, keys, start(emc))
    page = emc.get("/")
    assert f'href="/transfers/{transfer_id}"' in page.text
    assert "Nordvik University, Nordvik School of Music" in page.text  # the institutions the results name


def test_single_fetch_countries_list_each_emp_by_its_first_institution(emc: TestClient) -> None:
    login(emc)
    italy = emc.get("/choose?country=IT").text
    assert f'value="{COLLINA}"' in italy and f'value="{MONTE}"' in italy
    assert "Università di Collina" in italy and "Politecnico del Monte" in italy
    assert "Other" not in italy  # only the first institution of each EMP
    sweden = emc.get("/choose?country=SE").text
    assert f'<input type="hidden" name="emp" value="{NORDVIK}">' in sweden
    assert emc.get("/choose?country=XX").status_code == 404


def test_the_redirect_form_has_a_visible_button_and_works_without_script(emc: TestClient) -> None:
    login(emc)
    page = emc.get("/choose?country=IT")
    response = emc.post("/start", data={"country": "IT", "emp": MONTE, "csrf_token": csrf(page.text)})
    assert f'<form method="post" action="{MONTE}"' in response.text
    assert '<button type="submit">' in response.text
    assert "Politecnico del Monte" in response.text


def test_an_emp_outside_the_chosen_country_cannot_be_started(emc: TestClient) -> None:
    login(emc)
    page = emc.get("/choose?country=SE")
    response = emc.post("/start", data={"country": "SE", "emp": COLLINA, "csrf_token": csrf(page.text)})
    assert response.status_code == 400
    with database_of(emc).session() as s:
        assert s.scalars(select(Transfer)).first() is None


def test_start_needs_the_csrf_token(emc: TestClient) -> None:
    login(emc)
    response = emc.post("/start", data={"country": "SE", "emp": NORDVIK})
    assert response.status_code == 403


def test_confirming_a_match_imports_every_course_with_its_details(emc: TestClient, keys: Keys) -> None:
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    response = post_form(emc, f"/transfers/{transfer_id}/confirm", f"/transfers/{transfer_id}")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert status_of(emc, transfer_id) == Status.IMPORTED
    with database_of(emc).session() as s:
        credentials = list(s.scalars(select(ForeignCredential).order_by(ForeignCredential.id)))
        events = list(s.scalars(select(WebhookEvent)))
    assert len(credentials) == 8
    music = next(c for c in credentials if c.title == "Italian Language B1")  # the second institution's
    assert (music.issuer, music.issuer_country, music.code) == ("Nordvik School of Music", "SE", "C00006")
    assert (music.grade, music.credits, music.credit_scheme, music.status) == (
        "30",
        "15",
        "ECTS",
        "passed",
    )
    assert music.grading_scheme and "30 e lode" in music.grading_scheme
    assert music.end_date is not None and music.start_date is not None
    assert {c.status for c in credentials} == {"passed", "failed", "in-progress"}
    assert len(events) == 1 and events[0].state == "pending"
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "Your results were imported." in page
    assert "Import these results" not in page
    assert "Delete this transfer" not in page  # imported results stay on record
    again = post_form(emc, f"/transfers/{transfer_id}/confirm", "/logout")  # a page with a token
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_an_uncertain_identity_waits_for_staff(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    emc = make_emc()
    login(emc, "asa2")  # "Åsa Lindqvist": part of the name in the document
    transfer_id = ok(emc, keys, start(emc))
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "could not be matched to you with certainty" in page
    post_form(emc, f"/transfers/{transfer_id}/confirm", f"/transfers/{transfer_id}")
    assert status_of(emc, transfer_id) == Status.REVIEW
    with database_of(emc).session() as s:
        assert s.scalars(select(ForeignCredential)).first() is None


def test_discarding_drops_the_documents_and_allows_deletion(emc: TestClient, keys: Keys) -> None:
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    post_form(emc, f"/transfers/{transfer_id}/discard", f"/transfers/{transfer_id}")
    with database_of(emc).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        assert (transfer.status, transfer.elmo_xml, transfer.pdf) == (Status.DISCARDED, None, None)
    assert emc.get(f"/transfers/{transfer_id}/transcript.pdf").status_code == 404
    response = post_form(emc, f"/transfers/{transfer_id}/delete", f"/transfers/{transfer_id}")
    assert response.status_code == 303  # type: ignore[attr-defined]
    with database_of(emc).session() as s:
        assert s.get(Transfer, transfer_id) is None


def test_a_pending_transfer_can_be_deleted(emc: TestClient) -> None:
    login(emc)
    start(emc)
    with database_of(emc).session() as s:
        transfer_id = s.scalars(select(Transfer.id)).one()
    post_form(emc, f"/transfers/{transfer_id}/delete", f"/transfers/{transfer_id}")
    with database_of(emc).session() as s:
        assert s.get(Transfer, transfer_id) is None


def test_the_pdf_is_a_download_with_its_media_type(emc: TestClient, keys: Keys) -> None:
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    pdf = emc.get(f"/transfers/{transfer_id}/transcript.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="transcript-{transfer_id}.pdf"'
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.content.startswith(b"%PDF-")


def test_pages_of_transfers_need_a_login(emc: TestClient, keys: Keys) -> None:
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    emc.cookies.clear()
    response = emc.get(f"/transfers/{transfer_id}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_pages_are_in_swedish_on_request(emc: TestClient, keys: Keys) -> None:
    login(emc)
    page = emc.get("/?lang=sv")
    assert 'lang="sv"' in page.text
    assert "Hämta dina resultat från utlandet" in page.text
    transfer_id = ok(emc, keys, start(emc))
    page = emc.get(f"/transfers/{transfer_id}")  # the language choice is remembered
    assert "Signatur: giltig." in page.text
    assert "studentidentiteten (ESI) i resultaten är din" in page.text


def test_a_match_by_identifier_under_another_name_is_summarised_by_the_identifier(
    emc: TestClient, keys: Keys
) -> None:
    # eleni of the demo: her results abroad carry her ESI and her name in Greek script
    login(emc)
    learner = dataclasses.replace(sample_elmo(3).learner, given_names="Ωσα", family_name="Λιντκβιστ")
    elmo = dataclasses.replace(sample_elmo(3), learner=learner)
    page = emc.get(f"/transfers/{ok(emc, keys, start(emc), elmo)}").text
    assert "the European Student Identifier (ESI) in the results is yours" in page
    assert "the name in the results differs from yours" in page
    assert "the name and birth date match" not in page
    assert "an identifier in them is yours, which decides although the name differs" in page
    plain = emc.get(f"/transfers/{ok(emc, keys, start(emc))}").text
    assert "The results belong to you: an identifier in them is yours." in plain
    assert "the name and birth date match" not in plain


def test_health(emc: TestClient) -> None:
    assert emc.get("/health").status_code == 200


def test_every_message_of_the_pages_has_a_swedish_translation() -> None:
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    package = Path(__file__).parents[2] / "src" / "emrex" / "emc"
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    # gettext(request, message): the message is the second argument in Python code
    keywords = {"_": None, "gettext": (2,)}
    extracted = extract_from_dir(package, method_map, options, keywords=keywords)
    found = {m[2] for m in extracted if isinstance(m[2], str)}
    assert "Your results were imported." in found and "Import these results" in found
    translated: set[str] = set()
    # the EMC's catalog, credit recognition's and the shared one of emrex.web (merged at run time)
    for folder in (package, package / "recognition", package.parent / "web"):
        with (folder / "locale" / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            translated |= {m.id for m in read_po(handle, locale="sv") if m.id and m.string}
    from emrex.identity import all_neutral_reasons, all_reasons

    found |= set(all_reasons()) | set(all_neutral_reasons())  # shown on the transfer pages
    missing = sorted(text for text in found if text not in translated)
    assert missing == []


def test_an_unavailable_registry_is_explained(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., object]
) -> None:
    settings = make_settings(registry={"sources": ["/nonexistent/registry.json"]})
    emc = make_emc(settings)
    login(emc)
    page = emc.get("/")
    assert page.status_code == 200
    assert "The list of data providers cannot be loaded right now" in page.text
    assert emc.get("/choose?country=SE").status_code == 404


def test_old_documents_are_purged_at_start_when_configured(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., object], keys: Keys
) -> None:
    import datetime as dt

    from emrex.emc import create_emc_app

    emc = make_emc()
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    with database_of(emc).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        transfer.created_at -= dt.timedelta(days=10)
    settings = make_settings(retention={"raw_days": 7, "purge_at_start": True})
    restarted = create_emc_app(settings, background=False)  # type: ignore[arg-type]
    restarted.state.emc_service.database.dispose()
    with database_of(emc).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None and transfer.elmo_xml is None and transfer.raw_purged_at is not None


def test_a_transfer_id_beyond_64_bits_is_not_found(make_emc: Callable[..., TestClient]) -> None:
    emc = make_emc()
    login(emc)
    for path in ("/transfers/" + "9" * 30, "/transfers/" + "9" * 30 + "/elmo.xml", "/transfers/0"):
        assert emc.get(path).status_code == 404
    staff = make_emc()
    login(staff, "staff")
    assert staff.get("/staff/transfers/" + "9" * 30).status_code == 404


def test_changing_language_on_the_page_that_goes_to_the_provider_is_no_405(emc: TestClient) -> None:
    from tests.web.picker import change_language

    login(emc)
    page = emc.get("/choose?country=SE")
    going = emc.post("/start", data={"country": "SE", "emp": NORDVIK, "csrf_token": csrf(page.text)})
    assert going.status_code == 200 and "data-emrex-autosubmit" in going.text
    changed = change_language(emc, going.text, "sv")
    assert changed.status_code == 200, changed.status_code
    assert '<html lang="sv">' in changed.text


def test_head_and_favicon(emc: TestClient) -> None:
    assert emc.head("/").status_code == 200
    assert emc.get("/favicon.ico").status_code == 200


@pytest.mark.parametrize(
    ("language", "sweden"),
    [("en", "Sweden"), ("sv", "Sverige"), ("fi", "Ruotsi"), ("nb", "Sverige"), ("da", "Sverige")],
)
def test_country_names_come_from_cldr_in_the_page_language(
    emc: TestClient, language: str, sweden: str
) -> None:
    login(emc)
    page = emc.get(f"/?lang={language}").text
    assert f'<option value="SE">{sweden}</option>' in page
