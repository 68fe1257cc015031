"""The templates' gettext: jinja2's newstyle gettext exactly, texts without variables kept per language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from starlette.requests import Request

from emrex.web import WebSettings
from emrex.web.i18n import SCOPE_KEY as LANGUAGE_KEY
from emrex.web.i18n import Catalogs
from emrex.web.login import LOCALE_DIR as LOGIN_LOCALE
from emrex.web.pages import Pages

TOO_MANY = "There were too many failed login attempts. Try again in %(num)d minute."
TOO_MANY_PLURAL = "There were too many failed login attempts. Try again in %(num)d minutes."
SOURCES = [
    '{{ _("Language") }}|{{ gettext("Change language") }}',
    '{{ _("100%% sure") }}|{{ _("%(a)s and %%", a=who) }}|{{ _("Signed in as %(name)s", name=who) }}',
    '{% for x in [1, 2] %}{% set y = x %}{{ _("Language") }}{{ y }}{% endfor %}',
    '{% block b %}{% set y = 1 %}{{ _("Language") }}{{ y }}{% endblock %}',
    "{{ ngettext(one, many, 1) }}|{{ ngettext(one, many, 2) }}|{{ ngettext(one, many, n) }}",
    '{{ ngettext("%(num)d of %(what)s", "%(num)d of %(what)s!", 2, what=who) }}',
    "{% trans %}Language{% endtrans %}|{% trans name=who %}Hi {{ name }}, 5%{% endtrans %}",
    "{% trans count=n %}{{ count }} apple{% pluralize %}{{ count }} apples{% endtrans %}",
    '{% autoescape false %}{{ _("%(a)s", a=who) }}{{ _("Language") }}{% endautoescape %}{{ _("Language") }}',
    '{% from "m.html" import label with context %}{{ label() }}{{ label() }}',
    '{{ _("%s") }}|{{ _("<i>") }}',
]
FAILING = ['{{ _("%(name)s") }}', '{{ _("%(a)s", a=missing) }}', '{{ _("%(a)s %") }}']
VALUES: dict[str, Any] = {"who": "<b>Åsa & co</b>", "n": 3, "one": TOO_MANY, "many": TOO_MANY_PLURAL}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Pages:
    folder = tmp_path_factory.mktemp("templates")
    (folder / "m.html").write_text('{% macro label() %}{{ _("Language") }}{% endmacro %}', encoding="utf-8")
    catalogs = Catalogs(["en", "sv"], [Path(LOGIN_LOCALE)])
    settings = WebSettings(base_url="https://pages.example", languages=("en", "sv"))
    return Pages(settings, catalogs, title="Test", templates_dirs=[folder])


def _request(language: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "headers": [],
            LANGUAGE_KEY: language,
        }
    )


def _reference(pages: Pages, language: str) -> jinja2.Environment:
    """jinja2's own newstyle gettext over the same catalog."""
    env = jinja2.Environment(
        loader=pages.env.loader,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(pages.catalogs.get(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def _ours(pages: Pages, language: str, source: str) -> str:
    return pages.env.from_string(source).render(pages.context(_request(language), VALUES))


@pytest.mark.parametrize("source", SOURCES)
def test_the_same_as_jinja2_in_every_language_and_again(pages: Pages, source: str) -> None:
    for language in ("en", "sv", "en", "sv"):
        expected = _reference(pages, language).from_string(source).render(VALUES)
        assert _ours(pages, language, source) == expected


@pytest.mark.parametrize("source", FAILING)
def test_the_same_errors_as_jinja2(pages: Pages, source: str) -> None:
    for language in ("en", "sv"):
        with pytest.raises(Exception) as theirs:
            _reference(pages, language).from_string(source).render(VALUES)
        with pytest.raises(theirs.type, match=None) as ours:
            _ours(pages, language, source)
        assert str(ours.value) == str(theirs.value)


def test_variables_are_escaped_and_percent_signs_halved(pages: Pages) -> None:
    text = _ours(pages, "sv", '{{ _("%(a)s: 100%%", a=who) }}|{{ _("Language") }}')
    assert text == "&lt;b&gt;Åsa &amp; co&lt;/b&gt;: 100%|Språk"


def test_kept_texts_do_not_leak_between_languages(pages: Pages) -> None:
    source = '{{ _("Language") }}|{{ ngettext(one, many, n) }}'
    assert _ours(pages, "sv", source).startswith("Språk|Det har gjorts")
    assert _ours(pages, "en", source) == "Language|" + TOO_MANY_PLURAL % {"num": 3}
    assert _ours(pages, "sv", source).startswith("Språk|")
    assert _ours(pages, "sv", "{{ ngettext(one, many, 1) }}").endswith("om 1 minut.")


def test_a_template_without_the_page_context_still_translates(pages: Pages) -> None:
    """The environment's own globals (a template given only ``_translations``) say the same."""
    template = pages.env.from_string(
        '{{ _("Language") }}|{{ _("%(a)s", a=who) }}|{{ ngettext(one, many, 1) }}'
    )
    text = template.render(_translations=pages.catalogs.get("sv"), **VALUES)
    assert text.startswith("Språk|&lt;b&gt;Åsa &amp; co&lt;/b&gt;|Det har gjorts")
