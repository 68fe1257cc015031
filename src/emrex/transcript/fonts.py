"""The Unicode TrueType fonts of the transcript, registered with ReportLab once per process.

The default is Noto Sans from the ``fontpkg-noto-sans`` dependency, so ``pip install`` alone is
enough. It is a variable font: ReportLab uses its default (regular) instance. There is no bold file,
so headings are set apart by size; a configuration may name a bold TTF (e.g. DejaVuSans-Bold).
ReportLab embeds only the glyphs a PDF uses; the embedded subsets made last are remembered per font,
so a transcript that uses the same characters in the same order as a recent one reuses its subset.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from emrex.transcript.errors import TranscriptError


def _noto_sans() -> Path:
    try:
        folder = importlib.resources.files("fontpkg_noto_sans")
    except ModuleNotFoundError:
        raise TranscriptError("fontpkg-noto-sans is not installed; configure a TTF font") from None
    return Path(str(folder)) / "files" / "NotoSans[wdth,wght].ttf"


@dataclass(frozen=True)
class FontConfig:
    """TTF files for the transcript; ``regular=None`` means the packaged Noto Sans."""

    regular: Path | None = None
    bold: Path | None = None


@dataclass(frozen=True)
class Fonts:
    """ReportLab names of the registered fonts and the characters the regular font can draw."""

    regular: str
    bold: str
    covered: frozenset[str]

    @property
    def has_bold(self) -> bool:
        return self.bold != self.regular


_lock = threading.Lock()


def load_fonts(config: FontConfig | None = None) -> Fonts:
    """Register the configured fonts (first call per file only) and return their names."""
    config = config or FontConfig()
    regular_path = config.regular or _noto_sans()
    regular, covered = _register(str(regular_path))
    bold = _register(str(config.bold))[0] if config.bold is not None else regular
    return Fonts(regular, bold, covered)


@functools.lru_cache(maxsize=16)
def _register(path: str) -> tuple[str, frozenset[str]]:
    name = "EmrexTTF-" + hashlib.sha256(path.encode()).hexdigest()[:12]
    if not Path(path).is_file():
        raise TranscriptError(f"transcript font not found: {path}")
    try:
        font = TTFont(name, path)
    except (TTFError, OSError, ValueError, KeyError, IndexError) as exc:
        raise TranscriptError(f"cannot use {path} as the transcript font: {exc}") from None
    _remember_subsets(font)
    with _lock:
        pdfmetrics.registerFont(font)
    covered = frozenset(chr(code) for code in font.face.charToGlyph)
    return name, covered


_SUBSETS_KEPT = 32


def _remember_subsets(font: TTFont) -> None:
    """Make ``font`` keep the embedded font files (subsets) it made last, by the character codes in them.

    A subset depends on nothing but the font and those codes; making one reads and rewrites the glyph
    tables (about a tenth of a short transcript's time).
    """
    make = font.face.makeSubset
    made: dict[tuple[int, ...], bytes] = {}

    def make_subset(subset: list[int]) -> bytes:
        key = tuple(subset)
        found = made.get(key)
        if found is None:
            found = make(subset)
            with _lock:
                if len(made) >= _SUBSETS_KEPT:
                    del made[next(iter(made))]
                made[key] = found
        return found

    font.face.makeSubset = make_subset
