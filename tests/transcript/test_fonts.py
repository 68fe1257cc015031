"""Fonts: the packaged Noto Sans by default, a configured TTF by path, registered once per process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfbase import ttfonts

from emrex.elmo import model as m
from emrex.transcript import FontConfig, TranscriptError, render_transcript

from .conftest import WHEN, PdfText, course, document

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def greek_document() -> m.Elmo:
    return document(
        course("C1", "Ελληνική γλώσσα"), learner=m.Learner(given_names="Ёлка", family_name="Łukasz Żółć")
    )


def test_the_default_font_is_noto_sans_subset(read_pdf: Callable[[bytes], PdfText]) -> None:
    pdf = render_transcript(greek_document(), generated_at=WHEN)
    assert b"+NotoSans" in pdf, "an embedded subset of the packaged font"
    assert b"Helvetica" not in pdf, "no reference to a standard font the reader may not have"
    text = read_pdf(pdf).text
    assert "Ελληνική γλώσσα" in text and "Ёлка" in text and "Łukasz Żółć" in text


def test_a_configured_system_font_with_bold(read_pdf: Callable[[bytes], PdfText]) -> None:
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        pytest.skip(f"DejaVu Sans is not installed in {DEJAVU}")
    pdf = render_transcript(greek_document(), generated_at=WHEN, fonts=FontConfig(regular, bold))
    assert b"+DejaVuSans" in pdf and b"+DejaVuSans-Bold" in pdf
    assert b"NotoSans" not in pdf
    assert "Ελληνική γλώσσα" in read_pdf(pdf).text


def test_a_missing_font_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=r"transcript font not found: .*nope\.ttf"):
        render_transcript(document(), generated_at=WHEN, fonts=FontConfig(tmp_path / "nope.ttf"))


def test_a_file_that_is_not_a_truetype_font_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"\x00\x01\x00\x00" + b"not really a font" * 10)
    with pytest.raises(TranscriptError, match=r"cannot use .*fake\.ttf as the transcript font"):
        render_transcript(document(), generated_at=WHEN, fonts=FontConfig(fake))


def test_fonts_are_loaded_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    render_transcript(document(), generated_at=WHEN)
    loads: list[Any] = []
    original = ttfonts.TTFont.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        loads.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ttfonts.TTFont, "__init__", counting)
    render_transcript(document(), generated_at=WHEN)
    render_transcript(document(), generated_at=WHEN, language="sv")
    assert loads == []
