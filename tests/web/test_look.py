"""An institution's look: colours read and held to WCAG AA contrast, the logo checked, local texts by
page and language; every refusal one line naming the setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emrex.web.look import (
    LookError,
    contrast,
    page_names,
    page_of,
    parse_colour,
    parse_look,
)

PAGES = frozenset({"home", "choose", "login"})
LANGUAGES = ("en", "sv")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _look(table: Any, base_dir: Path | None = None) -> Any:
    return parse_look(table, where="emc.look", pages=PAGES, languages=LANGUAGES, base_dir=base_dir)


def _refused(table: Any, base_dir: Path | None = None) -> str:
    with pytest.raises(LookError) as caught:
        _look(table, base_dir)
    assert "\n" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "rgb"),
    [("#1b5e3b", (27, 94, 59)), ("#FFF", (255, 255, 255)), (" rgb(0, 128 ,255) ", (0, 128, 255))],
)
def test_colours_are_read_in_the_forms_css_writes_them(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_colour(text) == rgb


@pytest.mark.parametrize("text", ["green", "#12345", "#ggg", "rgb(0,0,256)", "rgba(0,0,0,1)", "", "url(x)"])
def test_anything_else_is_not_a_colour(text: str) -> None:
    with pytest.raises(ValueError, match="is not a colour"):
        parse_colour(text)


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)  # #777: fails AA
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)  # #767676: passes
    assert contrast((27, 94, 59), (27, 94, 59)) == 1.0


def test_a_colour_white_text_cannot_be_read_on_is_refused_with_its_contrast() -> None:
    message = _refused({"accent": "#777777"})
    assert message.startswith("emc.look.accent: #777777 is too light")
    assert "4.48:1" in message and "4.5:1" in message
    assert _refused({"header": "#ffbf47"}).startswith("emc.look.header: #ffbf47 is too light")
    assert _refused({"accent": "green"}).startswith("emc.look.accent: 'green' is not a colour")
    assert _refused({"accent": 3}).startswith("emc.look.accent: expected a colour")


def test_colours_become_the_stylesheet_the_header_following_the_accent() -> None:
    look = _look({"accent": "#1B5E3B"})
    assert look.colours == {"accent": "#1b5e3b"}
    assert "--accent: #1b5e3b;" in look.stylesheet() and "--header: #1b5e3b;" in look.stylesheet()
    both = _look({"accent": "#1b5e3b", "header": "rgb(20, 67, 43)"}).stylesheet()
    assert "--header: #14432b;" in both
    assert _look({}).stylesheet() == "" and _look(None).stylesheet() == ""


def test_local_texts_by_page_and_language_with_a_default() -> None:
    look = _look({"texts": {"home": "Everyone reads this.", "choose": {"sv": "Svensk text", "en": " "}}})
    assert look.text("home", "fi") == "Everyone reads this."
    assert look.text("choose", "sv") == "Svensk text"
    assert look.text("choose", "en") == ""  # blank: nothing is shown, not another language's text
    assert look.text("login", "en") == ""
    both = _look({"texts": {"home": {"sv": "Hej", "default": "Hello"}}})
    assert (both.text("home", "sv"), both.text("home", "en")) == ("Hej", "Hello")


@pytest.mark.parametrize(
    ("texts", "start"),
    [
        ({"homepage": "x"}, "emc.look.texts.homepage: no such page; the pages are choose, home, login"),
        ({"home": {"de": "x"}}, "emc.look.texts.home.de: not a language of this service"),
        ({"home": 3}, "emc.look.texts.home: expected a text or a table"),
        ({"home": "x" * 2001}, "emc.look.texts.home.default: expected a text of at most 2000"),
        ("home", "emc.look.texts: expected a table"),
    ],
)
def test_bad_local_texts_are_named(texts: Any, start: str) -> None:
    assert _refused({"texts": texts}).startswith(start)


def test_the_logo_is_read_once_and_checked(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    logo = _look({"logo": "logo.png"}, tmp_path).logo
    assert logo is not None and logo.media_type == "image/png" and logo.content == PNG
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    svg = _look({"logo": str(tmp_path / "logo.svg")}).logo
    assert svg is not None and svg.media_type == "image/svg+xml"
    (tmp_path / "fake.png").write_bytes(b"GIF89a")
    assert "does not hold the kind of image its name says (image/png)" in _refused(
        {"logo": "fake.png"}, tmp_path
    )
    assert "is not a PNG, JPEG, WebP or SVG file" in _refused({"logo": "logo.gif"}, tmp_path)
    assert "cannot read" in _refused({"logo": "missing.png"}, tmp_path)
    (tmp_path / "big.png").write_bytes(PNG + b"\0" * 600_000)
    assert "a logo may have at most 524288" in _refused({"logo": "big.png"}, tmp_path)


def test_the_name_is_one_line() -> None:
    assert _look({"name": "  Lindholm\n University "}).name == "Lindholm University"
    assert _refused({"name": "x" * 201}).startswith("emc.look.name: expected a text of at most 200")


def test_pages_are_named_by_their_templates(tmp_path: Path) -> None:
    for name in ("home.html", "choose.html", "macros.html", "layout.html"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert page_names(tmp_path) == {"home", "choose", "login"}
    assert page_of("emc/home.html") == "home"
    assert page_of("login/demo.html") == "login"
    assert page_of("emrex/error.html") == "error"
