from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from emrex.web.i18n import BUILTIN_LOCALE_DIR, Catalogs, negotiate, parse_accept_language

from .conftest import settings
from .helpers import set_cookies

TEMPLATES = Path(BUILTIN_LOCALE_DIR).parent / "templates"
LANG_COOKIE = "__Host-emrex_lang"


def _html_lang(text: str) -> str:
    return text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_english_by_default(client: TestClient) -> None:
    page = client.get("/")
    assert _html_lang(page.text) == "en"
    assert "Skip to main content" in page.text


def test_accept_language_picks_swedish(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "de-DE,sv-SE;q=0.8,en;q=0.5"})
    assert _html_lang(page.text) == "sv"
    assert "Hoppa till huvudinnehållet" in page.text


def test_the_picker_choice_is_remembered_over_accept_language(client: TestClient) -> None:
    picked = client.get("/?lang=sv", headers={"Accept-Language": "en"})
    cookie = set_cookies(picked.headers.get_list("set-cookie"))[LANG_COOKIE]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert _html_lang(picked.text) == "sv"
    again = client.get("/data/../", headers={"Accept-Language": "en"})
    assert _html_lang(again.text) == "sv"
    back = client.get("/?lang=en", headers={"Accept-Language": "sv"})
    assert _html_lang(back.text) == "en"


def test_an_unknown_language_is_ignored(client: TestClient) -> None:
    page = client.get("/?lang=xx", headers={"Accept-Language": "sv"})
    assert _html_lang(page.text) == "sv"
    assert LANG_COOKIE not in set_cookies(page.headers.get_list("set-cookie"))


def test_the_picker_is_a_labelled_form_that_works_without_javascript(client: TestClient) -> None:
    from tests.web.picker import change_language, picker

    page = client.get("/?x=1&lang=en").text
    assert picker(page) == ("/language", {"next": "/?x=1"})
    assert '<label for="language-select">' in page and 'id="language-select" name="lang"' in page
    assert '<option value="sv" lang="sv">Svenska</option>' in page
    changed = change_language(client, page, "sv")
    assert changed.status_code == 200 and changed.url.query == b"x=1"
    assert _html_lang(changed.text) == "sv"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv", "sv"),
        ("sv-FI", "sv"),
        ("fi, en;q=0.1", "fi"),
        ("fi-FI, sv;q=0.5", "fi"),
        ("de, da-DK;q=0.5", "da"),
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn-NO, en;q=0.5", "nb"),
        ("de, es;q=0.5", "en"),
        ("*", "en"),
        ("", "en"),
        ("garbage;;;,,q=", "en"),
    ],
)
def test_negotiation(header: str, expected: str) -> None:
    assert negotiate(settings(), None, header) == expected


def test_accept_language_order() -> None:
    assert parse_accept_language("en;q=0.5, sv, fi;q=0.7") == ["sv", "fi", "en"]


def test_every_template_string_has_a_swedish_translation() -> None:
    method_map = [("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    extracted = {message for _, _, message, _, _ in extract_from_dir(str(TEMPLATES), method_map, options)}
    assert extracted, "no translatable strings found in the templates"
    with (BUILTIN_LOCALE_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string and not message.fuzzy}
    missing = {message for message in extracted if isinstance(message, str)} - translated
    assert not missing, f"no Swedish translation for: {sorted(missing)}"


def test_catalogs_are_compiled_from_po_at_runtime() -> None:
    swedish = Catalogs(["en", "sv"]).get("sv")
    assert swedish.gettext("Error code: %(status)s") == "Felkod: %(status)s"
    assert Catalogs(["en", "sv"]).get("en").gettext("Language") == "Language"


def test_a_service_catalog_adds_to_and_overrides_ours(tmp_path: Path) -> None:
    po_dir = tmp_path / "sv" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    (po_dir / "messages.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Language"\nmsgstr "Välj språk"\n\nmsgid "Transfer results"\nmsgstr "Överför resultat"\n',
        encoding="utf-8",
    )
    swedish = Catalogs(["en", "sv"], [tmp_path]).get("sv")
    assert swedish.gettext("Transfer results") == "Överför resultat"
    assert swedish.gettext("Language") == "Välj språk"
    assert swedish.gettext("Skip to main content") == "Hoppa till huvudinnehållet"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/data", "/data"),
        ("/a/./b/../data?x=1", "/a/data?x=1"),
        ("//evil.example/x", "/"),
        ("/.//evil.example", "/"),
        ("/%2e//evil.example", "/"),
        ("/x/..//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("", "/"),
    ],
)
def test_the_language_route_leads_to_a_local_page_only(
    client: TestClient, target: str, expected: str
) -> None:
    response = client.get("/language", params={"lang": "sv", "next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == expected
