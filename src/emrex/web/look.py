"""An institution's look: its name and logo in the page header, its colours, its local texts per page.

Configured in the service's ``look`` table (``[emc.look]`` on the EMC, ``[look]`` on the EMP). Colours
are refused unless the white text on them meets WCAG 2.2 AA (4.5:1): a refused colour stops the
service at start with one line naming the setting and the contrast it reached. The logo is read once
at start (PNG, JPEG, WebP or SVG, at most ``MAX_LOGO_BYTES``) and served at ``LOGO_PATH``; the colours
become a small stylesheet at ``CSS_PATH`` that overrides the custom properties of ``emrex.css``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from emrex.errors import EmrexError

LOOK_PREFIX = "/look/"
CSS_PATH = LOOK_PREFIX + "colours.css"
LOGO_PATH = LOOK_PREFIX + "logo"
MAX_LOGO_BYTES = 512 * 1024
MAX_NAME = 200
MAX_TEXT = 2000
DEFAULT_TEXT_KEY = "default"  # the text for every language the table does not name
WHITE = (255, 255, 255)
AA_NORMAL_TEXT = 4.5
COLOURS = ("accent", "header")  # accent: buttons, links, the guide; header: the header's background
_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGB = re.compile(r"^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$")
_LOGO_TYPES = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".webp": ("image/webp", (b"RIFF",)),
    ".svg": ("image/svg+xml", (b"<svg", b"<?xml")),
}


class LookError(EmrexError):
    """A setting of the look cannot be used; the message names it."""


@dataclass(frozen=True)
class Logo:
    content: bytes
    media_type: str


@dataclass(frozen=True)
class Look:
    """What the pages of one service look like; the default look is the service's title on blue."""

    name: str = ""  # the institution's name in the header; empty: the service's title only
    logo: Logo | None = None
    colours: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # COLOURS -> #rrggbb
    # page -> language (or DEFAULT_TEXT_KEY) -> text
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))

    def text(self, page: str, language: str) -> str:
        """The local text of ``page`` in ``language``, else its default text, else nothing."""
        by_language = self.texts.get(page)
        if not by_language:
            return ""
        return by_language.get(language) or by_language.get(DEFAULT_TEXT_KEY, "")

    def stylesheet(self) -> str:
        """The custom properties that replace ``emrex.css``'s colours (empty: none configured)."""
        if not self.colours:
            return ""
        lines = [":root {"]
        if "accent" in self.colours:
            lines.append(f"  --accent: {self.colours['accent']};")
        header = self.colours.get("header") or self.colours.get("accent")
        lines.append(f"  --header: {header};")
        lines.append("}")
        return "\n".join(lines) + "\n"


def parse_colour(text: str) -> tuple[int, int, int]:
    """``#rgb``, ``#rrggbb`` or ``rgb(r, g, b)`` as three numbers 0–255; ValueError otherwise."""
    value = text.strip()
    found = _HEX.match(value)
    if found:
        digits = found.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    found = _RGB.match(value)
    if found:
        parts = tuple(int(p) for p in found.groups())
        if all(0 <= p <= 255 for p in parts):
            return (parts[0], parts[1], parts[2])
    raise ValueError(f"{text!r} is not a colour: write #rrggbb, #rgb or rgb(r, g, b)")


def luminance(rgb: tuple[int, int, int]) -> float:
    """The relative luminance of a colour, as WCAG 2.2 defines it."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def parse_look(
    table: Any,
    *,
    where: str,
    pages: Iterable[str],
    languages: Iterable[str],
    base_dir: Path | None = None,
) -> Look:
    """The look of a ``look`` table (``where``: how errors name it, like ``emc.look``); ``pages``: the
    names local texts may be given for; ``languages``: the service's page languages."""
    if table is None:
        return Look()
    if not isinstance(table, Mapping):
        raise LookError(f"{where}: expected a table of settings")
    name = table.get("name", "")
    if not isinstance(name, str) or len(name.strip()) > MAX_NAME:
        raise LookError(f"{where}.name: expected a text of at most {MAX_NAME} characters")
    colours: dict[str, str] = {}
    for key in COLOURS:
        if table.get(key, "") != "":
            colours[key] = _colour(table[key], f"{where}.{key}")
    logo = table.get("logo", "")
    if not isinstance(logo, str):
        raise LookError(f"{where}.logo: expected the path of an image file")
    return Look(
        name=" ".join(name.split()),
        logo=_logo(logo.strip(), f"{where}.logo", base_dir) if logo.strip() else None,
        colours=MappingProxyType(colours),
        texts=_texts(table.get("texts", {}), f"{where}.texts", frozenset(pages), frozenset(languages)),
    )


def _colour(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise LookError(f'{where}: expected a colour like "#1d5e3a"')
    try:
        rgb = parse_colour(value)
    except ValueError as error:
        raise LookError(f"{where}: {error}") from None
    ratio = contrast(rgb, WHITE)
    if ratio < AA_NORMAL_TEXT:
        raise LookError(
            f"{where}: {value.strip()} is too light: white text on it has a contrast of {ratio:.2f}:1, "
            f"WCAG 2.2 AA needs {AA_NORMAL_TEXT}:1; choose a darker colour"
        )
    return hex_colour(rgb)


def _logo(path_text: str, where: str, base_dir: Path | None) -> Logo:
    path = Path(path_text)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    kind = _LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise LookError(f"{where}: {path.name} is not a PNG, JPEG, WebP or SVG file (by its name)")
    try:
        size = path.stat().st_size
        if size > MAX_LOGO_BYTES:
            raise LookError(f"{where}: {path} has {size} bytes; a logo may have at most {MAX_LOGO_BYTES}")
        content = path.read_bytes()
    except OSError as error:
        raise LookError(f"{where}: cannot read {path}: {error.strerror or error}") from None
    media_type, magics = kind
    if not content.lstrip().startswith(magics):
        raise LookError(f"{where}: {path} does not hold the kind of image its name says ({media_type})")
    return Logo(content, media_type)


def _texts(
    value: Any, where: str, pages: frozenset[str], languages: frozenset[str]
) -> Mapping[str, Mapping[str, str]]:
    if not isinstance(value, Mapping):
        raise LookError(f'{where}: expected a table: <page> = "text" or <page> = {{ en = "…", sv = "…" }}')
    texts: dict[str, Mapping[str, str]] = {}
    for page, given in value.items():
        if page not in pages:
            raise LookError(f"{where}.{page}: no such page; the pages are {', '.join(sorted(pages))}")
        by_language = {DEFAULT_TEXT_KEY: given} if isinstance(given, str) else given
        if not isinstance(by_language, Mapping):
            raise LookError(f"{where}.{page}: expected a text or a table of texts by language")
        checked: dict[str, str] = {}
        for language, text in by_language.items():
            if language != DEFAULT_TEXT_KEY and language not in languages:
                raise LookError(
                    f"{where}.{page}.{language}: not a language of this service "
                    f"({', '.join(sorted(languages))}) nor {DEFAULT_TEXT_KEY!r}"
                )
            if not isinstance(text, str) or len(text.strip()) > MAX_TEXT:
                raise LookError(
                    f"{where}.{page}.{language}: expected a text of at most {MAX_TEXT} characters"
                )
            if text.strip():
                checked[language] = text.strip()
        texts[page] = MappingProxyType(checked)
    return MappingProxyType(texts)


def page_names(*template_dirs: Path) -> frozenset[str]:
    """The names local texts may be given for: each page template's name without ``.html``."""
    names = {path.stem for directory in template_dirs for path in directory.glob("*.html")}
    return frozenset((names - {"macros", "layout", "stats_part"}) | {"login"})


def page_of(template: str) -> str:
    """The page name of a template (``emc/home.html`` -> ``home``; every login page -> ``login``)."""
    folder, _, file = template.rpartition("/")
    if folder == "login":
        return "login"
    return file.removesuffix(".html")
