"""The EMC in an institution's look ([emc.look]): its name and logo in the header, its colours as a
stylesheet, its local text on the page it is given for, the step guide and the menu; a refused colour
stops the service at start with the file and the setting named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.emc.config import EmcConfigError, EmcSettings, load_settings
from tests.emc.conftest import login

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'


@pytest.fixture
def branded(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], tmp_path: Path
) -> TestClient:
    (tmp_path / "logo.svg").write_text(SVG, encoding="utf-8")
    look: dict[str, Any] = {
        "name": "Lindholm University",
        "logo": str(tmp_path / "logo.svg"),
        "accent": "#1b5e3b",
        "texts": {"choose": {"en": "Ask the international office.", "sv": "Fråga internationella kontoret."}},
    }
    return make_emc(make_settings(look=look))


def test_the_header_names_the_institution_with_its_logo_and_colours(branded: TestClient) -> None:
    page = branded.get("/").text
    assert '<span class="brand-name">Lindholm University</span>' in page
    assert '<img class="brand-logo" src="/look/logo" alt="">' in page
    assert '<link rel="stylesheet" href="/look/colours.css">' in page
    css = branded.get("/look/colours.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "--accent: #1b5e3b;" in css.text and "--header: #1b5e3b;" in css.text
    assert "set-cookie" not in css.headers  # served like /static: no session
    logo = branded.get("/look/logo")
    assert logo.headers["content-type"] == "image/svg+xml" and logo.text == SVG
    assert "script-src 'self'" in logo.headers["content-security-policy"]  # an SVG runs no inline script


def test_the_local_text_shows_on_its_page_in_the_visitors_language(branded: TestClient) -> None:
    login(branded)
    choose = branded.get("/choose?country=SE").text
    assert '<div class="local-text">Ask the international office.</div>' in choose
    swedish = branded.get("/choose?country=SE", headers={"accept-language": "sv"}).text
    assert "Fråga internationella kontoret." in swedish
    assert "local-text" not in branded.get("/").text


def test_the_default_look_has_no_extra_stylesheet_nor_logo(emc: TestClient) -> None:
    page = emc.get("/").text
    assert "/look/colours.css" not in page and "brand-logo" not in page
    assert emc.get("/look/colours.css").status_code == 404
    assert emc.get("/look/logo").status_code == 404


def test_the_guide_marks_the_step_and_the_menu_the_page(emc: TestClient) -> None:
    assert 'class="guide"' not in emc.get("/").text  # nobody logged in: no transfer to guide
    login(emc)
    home = emc.get("/").text
    assert '<li class="guide-current" aria-current="step">Choose the country</li>' in home
    assert '<li><a href="/" aria-current="page">Start</a></li>' in home
    assert '<li><a href="/recognition">Credit recognition</a></li>' in home


def test_a_colour_too_light_for_white_text_stops_the_emc_at_start(tmp_path: Path) -> None:
    file = tmp_path / "emc.toml"
    file.write_text(
        '[emc]\nbase_url = "https://emc.example.org"\ndatabase_url = "sqlite://"\n'
        '[emc.registry]\nsources = ["r.json"]\n[emc.login]\nmethod = "headers"\n'
        '[emc.login.headers]\ntrusted_proxies = ["127.0.0.1"]\n'
        '[emc.look]\naccent = "#7a7a7a"\n',
        encoding="utf-8",
    )
    with pytest.raises(EmcConfigError) as caught:
        load_settings(file, environ={})
    message = str(caught.value)
    assert message.startswith(f"{file}: emc.look.accent: #7a7a7a is too light") and "\n" not in message
    with pytest.raises(
        EmcConfigError, match=r"^EMREX_EMC_LOOK__HEADER: emc\.look\.header: #ffffff is too light"
    ):
        load_settings(
            file, environ={"EMREX_EMC_LOOK__ACCENT": "#1b5e3b", "EMREX_EMC_LOOK__HEADER": "#ffffff"}
        )
