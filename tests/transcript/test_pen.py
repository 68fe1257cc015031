"""The pen writes the very bytes ReportLab's text object writes, in every script and font subset."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.colors import Color, HexColor
from reportlab.pdfgen.canvas import Canvas

from emrex.transcript import grid as grid_module
from emrex.transcript.fonts import load_fonts
from emrex.transcript.grid import Cell, Grid, GridStyle, Row, Run, wrap_text, wrapped
from emrex.transcript.pen import Pen

GREEK = "".join(map(chr, range(0x391, 0x3CA)))
CYRILLIC = "".join(map(chr, range(0x410, 0x450)))
LATIN_EXTENDED = "".join(map(chr, range(0xC0, 0x17F)))
# Each distinct character takes one code of a 256-code subset: these need at least two subsets.
LINES = [
    "Course number 12 in engineering physics",
    "Åsa Žofie Lindqvist-Dvořáková",
    "Παπαδοπούλου Θεσσαλονίκη",
    "Анна Ивановна Петрова",
    "(brackets) \\ backslash ) and ( unbalanced",
    "no\u00a0break\u00a0space",
    "",
    "Course number 12 in engineering physics",
    GREEK,
    CYRILLIC,
    LATIN_EXTENDED,
    "Ωμέγα Щука ŁŻ after the subsets grew",
    "plain ASCII again",
    "\u4e2d\u6587 outside the font",
]
COLORS = (HexColor("#000000"), Color(0.2, 0.3, 0.4, alpha=0.5), HexColor("#555555"))


@pytest.fixture(scope="module")
def font() -> str:
    return load_fonts().regular


def pdf(draw: object) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1, pageCompression=0)
    draw(canvas)  # type: ignore[operator]
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_lines_match_the_text_object_byte_for_byte(font: str) -> None:
    def with_text_object(canvas: Canvas) -> None:
        text = canvas.beginText()
        for n, line in enumerate(LINES):
            if n % 5 == 0:
                text.setFont(font, 7.8 + n, 9.6 + n)
                text.setFillColor(COLORS[n // 5 % 3])
            text.setTextOrigin(10 + n, 800 - 12 * n)
            text.textOut(line)
        canvas.drawText(text)

    def with_pen(canvas: Canvas) -> None:
        block = Pen.of(canvas).block()
        for n, line in enumerate(LINES):
            if n % 5 == 0:
                block.style(font, 7.8 + n, 9.6 + n, COLORS[n // 5 % 3])
            block.line(10 + n, 800 - 12 * n, line)
        canvas._code.append(block.code())

    expected = pdf(with_text_object)
    assert expected.count(b"/BaseFont /AAAAAB+") >= 1, "the lines fill more than one font subset"
    assert b" gs " in expected, "a translucent colour sets the opacity"
    assert pdf(with_pen) == expected


def grid(font: str) -> Grid:
    rows = [
        Row(
            (
                Cell((Run(line or "empty", font, 8, 10),)),
                Cell((Run(f"{line} {n}", font, 7, 9, "#555555"), Run("more", font, 6.6, 8.2)), indent=8),
            ),
            "#efefef" if n % 3 else None,
        )
        for n, line in enumerate(LINES * 3)
    ]
    header = Row((Cell((Run("Code", font, 8, 10),)), Cell((Run("Τίτλος", font, 8, 10),))), "#d9d9d9")
    return Grid((90, 300), rows, header=header, style=GridStyle(rule="#b0b0b0"))


def test_a_grid_draws_the_same_page_with_the_pen_as_with_the_text_object(
    font: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def draw(canvas: Canvas) -> None:
        table = grid(font)
        table.wrap(390, 10_000)
        table.drawOn(canvas, 20, 20)

    with_pen = pdf(draw)
    monkeypatch.setattr(Pen, "can_write", staticmethod(lambda font_name: False))
    assert pdf(draw) == with_pen


def test_fonts_the_pen_cannot_write_in_go_through_the_text_object(font: str) -> None:
    assert Pen.can_write(font)
    assert not Pen.can_write("Helvetica")
    table = Grid((200,), [Row((Cell((Run("Standard (Type 1) font", "Helvetica", 8, 10),)),))])
    table.wrap(200, 100)
    page = pdf(lambda canvas: table.drawOn(canvas, 20, 20))
    assert b"(Standard \\(Type 1\\) font) Tj" in page


def test_each_canvas_has_its_own_pen(font: str) -> None:
    first, second = Canvas(io.BytesIO()), Canvas(io.BytesIO())
    assert Pen.of(first) is Pen.of(first)
    assert Pen.of(first) is not Pen.of(second)


def test_remembered_wrapping_is_the_wrapping_keeps_returning_texts_and_stays_bounded(font: str) -> None:
    run = Run("Kvantmekanik och statistisk fysik för civilingenjörer, fördjupningskurs", font, 8, 10)
    first = wrapped(run, 90)
    assert first == tuple(wrap_text(run, 90))
    assert wrapped(run, 90) is first
    for n in range(3 * grid_module._WRAPPED_MAX):  # texts seen once, like the titles of a long history
        wrapped(Run(f"text {n}", font, 8, 10), 90)
        if n % 1000 == 0:
            assert wrapped(run, 90) is first, "a text that keeps coming back is kept"
    assert wrapped(run, 90) is first
    assert len(grid_module._wrapped) <= grid_module._WRAPPED_MAX
    assert len(grid_module._wrapped_before) <= grid_module._WRAPPED_MAX
    assert wrapped(Run("text 0", font, 8, 10), 90) == ("text 0",)
