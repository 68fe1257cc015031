"""The grid wraps text inside its columns and breaks between rows (inside a row only when it is tall)."""

from __future__ import annotations

import pytest

from emrex.transcript.fonts import load_fonts
from emrex.transcript.grid import Cell, Grid, GridStyle, Row, Run, measure, wrap_text

STYLE = GridStyle(pad_top=1, pad_bottom=1, split_rows_taller_than=50)


@pytest.fixture(scope="module")
def font() -> str:
    return load_fonts().regular


def row(font: str, text: str) -> Row:
    return Row((Cell((Run(text, font, 8, 10),)),))


def test_wrapped_lines_fit_and_keep_every_word(font: str) -> None:
    text = "Kvantmekanik och statistisk fysik för civilingenjörer, fördjupningskurs i teorin " * 5
    run = Run(text.strip(), font, 8, 10)
    lines = wrap_text(run, 120)
    assert len(lines) > 5
    width = measure(font, 8)
    assert all(width(line) <= 120 for line in lines)
    assert " ".join(lines).split() == text.split()


def test_words_wider_than_the_column_are_cut_without_losing_letters(font: str) -> None:
    word = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz"
    lines = wrap_text(Run(f"Das {word} gilt", font, 8, 10), 60)
    width = measure(font, 8)
    assert all(width(line) <= 60 for line in lines)
    assert "".join(lines).replace(" ", "") == f"Das{word}gilt"


def test_line_breaks_in_the_text_are_kept(font: str) -> None:
    assert wrap_text(Run("Autumn 2024\n2025-01-10", font, 8, 10), 200) == ["Autumn 2024", "2025-01-10"]


def test_splits_between_rows_and_repeats_the_header(font: str) -> None:
    grid = Grid([200], [row(font, f"row {n}") for n in range(5)], header=row(font, "Header"), style=STYLE)
    _, height = grid.wrap(200, 1000)
    assert height == pytest.approx(6 * 12)
    first, rest = grid.split(200, 12 + 2.5 * 12)
    assert first.wrap(200, 1000)[1] == pytest.approx(3 * 12), "header and two whole rows"
    assert rest.wrap(200, 1000)[1] == pytest.approx(4 * 12), "header again and three rows"


def test_a_short_row_moves_whole_to_the_next_page(font: str) -> None:
    grid = Grid([200], [row(font, "one\ntwo\nthree")], header=row(font, "Header"), style=STYLE)
    grid.wrap(200, 1000)
    assert grid.split(200, 12 + 15) == []


def test_a_tall_row_breaks_between_its_lines(font: str) -> None:
    text = "\n".join(f"line {n}" for n in range(20))
    grid = Grid([200], [row(font, text), row(font, "next")], header=row(font, "Header"), style=STYLE)
    _, height = grid.wrap(200, 1000)
    assert height == pytest.approx(12 + 202 + 12)
    first, rest = grid.split(200, 12 + 2 + 70)
    assert first.wrap(200, 1000)[1] == pytest.approx(12 + 2 + 70)
    assert rest.wrap(200, 1000)[1] == pytest.approx(12 + 2 + 130 + 12)
    assert grid.split(200, 12 + 2 + 5) == [], "not even one line fits"


def test_a_long_table_split_page_by_page_keeps_every_row_in_order_with_exact_heights(font: str) -> None:
    rows = [row(font, "\n".join([f"row {n}"] * (n % 4 + 1))) for n in range(400)]
    grid = Grid([200], rows, header=row(font, "Header"), style=STYLE)
    grid.wrap(200, 300)
    parts, rest = [], grid
    while pieces := rest.split(200, 300):
        first, rest = pieces
        parts.append(first)
    parts.append(rest)
    assert len(parts) > 20
    drawn = [lines[0][0] for part in parts for row_ in part._layout() for _, lines in row_.cells]
    assert drawn == [f"row {n}" for n in range(400)]
    for part in parts:
        _, height = part.wrap(200, 300)
        assert height <= 300
        assert height == 12 + sum(row_.height for row_ in part._layout()), "summed as ever: same bytes"


def test_widths_from_remembered_words_are_the_fonts_own_floats(
    font: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from reportlab.lib import rl_accel
    from reportlab.pdfbase.pdfmetrics import getFont

    face = getFont(font).face
    rng = random.Random(7)
    letters = [chr(c) for c in (*range(32, 127), *range(0xC0, 0x180), 0x3B1, 0x416, 0x4E00, 0x1F600, 0xA0)]
    texts = [
        "",
        " ",
        "  a  b ",
        *("".join(rng.choices([*letters, " ", " "], k=rng.randint(1, 40))) for _ in range(3000)),
    ]
    sizes = (7.8, 6.6, 8.4, 7.4, 8.6, 17.0, 12.5, 9.6, 7.2, 3.3)
    for size in sizes:
        width = measure(font, size)
        for text in texts:
            assert width(text) == getFont(font).stringWidth(text, size), (text, size)
    # Without rl-accel ReportLab's Python helper scales in another order: so does the width function.
    monkeypatch.setattr(rl_accel, "_c_funcs", {})
    for size in sizes:
        width = measure.__wrapped__(font, size)
        for text in texts:
            units = sum(face.charWidths.get(ord(c), face.defaultWidth) for c in text)
            assert width(text) == 0.001 * size * units, (text, size)


def test_remembered_word_widths_keep_the_words_that_come_back() -> None:
    from emrex.transcript.grid import _WordUnits

    asked: list[str] = []

    def width_of(word: str, size: float) -> float:
        asked.append(word)
        return len(word) * size / 2

    units = _WordUnits(width_of)
    units.MAX = 4
    assert units.of("Physics") == 3500
    for once in ("A1", "B22", "C333", "D4444", "E5", "F6"):  # more new words than one generation holds
        units.of(once)
        units.of("Physics")  # a word that keeps coming back
    assert asked.count("Physics") == 1
    assert units.total(["Physics", "A1"]) == 3500 + 1000
    for once in (f"X{i}" for i in range(9)):  # two generations of words never seen again
        units.of(once)
    before = len(asked)
    assert units.of("A1") == 1000 and len(asked) == before + 1  # forgotten, measured again, same value
