"""Every catalog is complete: each message the English source has (extracted from the code and the
templates of a service, as ``pybabel extract`` would) has a translation in every language, with the
same placeholders. The reference is the source, not the Swedish catalog: a message added to a page
and to no catalog fails here too."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import emrex
from emrex.identity import all_neutral_reasons, all_reasons
from emrex.web.settings import LANGUAGES

SRC = Path(emrex.__file__).parent
# Where each service's messages come from, and the packages whose catalogs its pages merge.
SERVICES = {
    "emc": (("web", "emc"), ("web", "web/login", "emc", "emc/recognition")),
    "emp": (("web", "emp"), ("web", "web/login", "emp")),
}
PACKAGES = sorted({p for _, packages in SERVICES.values() for p in packages})
TRANSLATED = [language for language in LANGUAGES if language != "en"]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "gettext": {None: (1,), 2: (2,)}}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

Message = str | tuple[str, str]


@cache
def extracted(service: str) -> dict[Message, str]:
    """msgid (or singular and plural) -> the file it was found in."""
    found: dict[Message, str] = {}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for directory in SERVICES[service][0]:
        for name, _, message, _, _ in extract_from_dir(
            str(SRC / directory), method_map, options, keywords=KEYWORDS
        ):
            key = message if isinstance(message, str) else (message[0], message[1])
            if key and all(key):
                found.setdefault(key, f"{directory}/{name}")
    if service == "emc":  # fixed sentences built in emrex.identity, translated where the pages show them
        for reason in (*all_reasons(), *all_neutral_reasons()):
            found.setdefault(reason, "identity.py")
    return found


@cache
def catalog(package: str, language: str) -> Catalog | None:
    po = SRC / package / "locale" / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return None
    with po.open("rb") as handle:
        return read_po(handle, locale=language)


def merged(service: str, language: str) -> dict[str, str | tuple[str, ...]]:
    translations: dict[str, str | tuple[str, ...]] = {}
    for package in SERVICES[service][1]:
        loaded = catalog(package, language)
        for message in loaded or ():
            if not message.id or message.fuzzy:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(strings):
                translations[key] = message.string
    return translations


def test_the_source_has_messages_to_translate() -> None:
    for service in SERVICES:
        found = extracted(service)
        assert len(found) > 150, service
        assert "the signature was not accepted: %(detail)s" in extracted("emc")


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_package_has_a_catalog_in_every_language(package: str, language: str) -> None:
    assert catalog(package, language) is not None, f"{package} has no {language} catalog"


@pytest.mark.parametrize("service", sorted(SERVICES))
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(service: str, language: str) -> None:
    translations = merged(service, language)
    missing = []
    for message, where in extracted(service).items():
        key = message if isinstance(message, str) else message[0]
        if key not in translations:
            missing.append(f"{where}: {key!r}")
    assert not missing, f"{len(missing)} messages without a {language} translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("service", sorted(SERVICES))
@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(service: str, language: str) -> None:
    wrong = []
    for key, value in merged(service, language).items():
        wanted = set(_PLACEHOLDER.findall(key))
        for text in value if isinstance(value, tuple) else (value,):
            # A singular form may say "one" in words instead of %(num)d.
            if set(_PLACEHOLDER.findall(text)) - wanted or (
                not isinstance(value, tuple) and set(_PLACEHOLDER.findall(text)) != wanted
            ):
                wrong.append(f"{key!r} -> {text!r}")
    assert not wrong, f"{language} translations with other placeholders:\n" + "\n".join(wrong)


def test_a_missing_translation_is_found(tmp_path: Path) -> None:
    """The check can fail: a catalog without one of the messages is reported."""
    translations = merged("emp", "sv")
    messages = {m if isinstance(m, str) else m[0] for m in extracted("emp")}
    assert messages <= set(translations)
    dropped = dict(translations)
    dropped.pop(next(iter(sorted(messages))))
    assert not messages <= set(dropped)
