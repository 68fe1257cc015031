"""A fast table flowable for the transcript: plain-text cells, wrapped once, drawn with one text object.

ReportLab's Table with Paragraph cells parses markup, and measures and draws cell by cell each time the
table spills onto a page; that is most of the time a transcript takes. This grid knows no markup (so
nothing from a document is ever interpreted), lays every row out once, repeats its header row on each
page, and splits between rows. A row taller than ``split_rows_taller_than`` may also split between its
lines, so no row can be too tall for a page.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from reportlab.lib import rl_accel
from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.flowables import Flowable

from emrex.transcript.pen import Pen


class Run(NamedTuple):
    """Text that starts on a new line and wraps in one font, size and colour."""

    text: str
    font: str
    size: float
    leading: float
    color: str = "#000000"


class Cell(NamedTuple):
    runs: tuple[Run, ...]
    indent: float = 0.0


class Row(NamedTuple):
    cells: tuple[Cell, ...]
    background: str | None = None


@dataclass(frozen=True)
class GridStyle:
    pad_left: float = 2.5
    pad_right: float = 2.5
    pad_top: float = 1.6
    pad_bottom: float = 2.2
    rule: str | None = None  # colour of the line under each row
    rule_width: float = 0.3
    split_rows_taller_than: float = math.inf


Line = tuple[str, Run]


@dataclass(frozen=True)
class _Laid:
    cells: tuple[tuple[float, tuple[Line, ...]], ...]  # (indent, wrapped lines) per cell
    height: float
    background: str | None


class Grid(Flowable):  # type: ignore[misc]
    def __init__(
        self,
        widths: Sequence[float],
        rows: Sequence[Row],
        *,
        header: Row | None = None,
        style: GridStyle = GridStyle(),
    ) -> None:
        super().__init__()
        self.widths = tuple(widths)
        self.rows = tuple(rows)
        self.header = header
        self.style = style
        self._head: _Laid | None = None
        self._laid: list[_Laid] | None = None
        self._heights: list[float] | None = None  # of the laid rows
        self._rows_height: float | None = None  # their sum
        self._pen_writes: bool | None = None  # whether the pen can write every font of the table
        self._fonts: set[str] = set()  # of the lines laid out

    # --- layout -------------------------------------------------------------------------------

    def _layout(self) -> list[_Laid]:
        if self._laid is None:
            self._head = self._lay(self.header) if self.header is not None else None
            self._laid = [self._lay(row) for row in self.rows]
        return self._laid

    def _row_heights(self) -> list[float]:
        if self._heights is None:
            self._heights = [row.height for row in self._layout()]
        return self._heights

    def _lay(self, row: Row) -> _Laid:
        st = self.style
        pad_left, pad_right = st.pad_left, st.pad_right
        fonts = self._fonts
        cells = []
        tallest = 0.0
        for cell, width in zip(row.cells, self.widths, strict=True):
            room = max(width - pad_left - pad_right - cell.indent, 1.0)
            lines: list[Line] = []
            height = 0.0
            for run in cell.runs:
                if run.text:
                    fonts.add(run.font)
                    for text in wrapped(run, room):
                        lines.append((text, run))
                        height += run.leading
            if height > tallest:
                tallest = height
            cells.append((cell.indent, tuple(lines)))
        return _Laid(tuple(cells), tallest + st.pad_top + st.pad_bottom, row.background)

    def _head_height(self) -> float:
        return self._head.height if self._head is not None else 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        # The rest of a long table is wrapped again on every page it spills onto: its heights are a list
        # sliced from the table's (no row is visited in Python again), summed in the same order as ever.
        if self._rows_height is None:
            self._rows_height = sum(self._row_heights())
        self.width = sum(self.widths)
        self.height = self._head_height() + self._rows_height
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Grid]:
        laid = self._layout()
        room = avail_height - self._head_height()
        used = 0.0
        fits = 0
        for row in laid:
            if used + row.height > room:
                break
            used += row.height
            fits += 1
        if fits == len(laid):
            return []
        heights = self._row_heights()
        if fits:
            return [self._part(laid[:fits], heights[:fits]), self._part(laid[fits:], heights[fits:])]
        if laid[0].height <= self.style.split_rows_taller_than:
            return []
        cut = self._cut(laid[0], room)
        if cut is None:
            return []
        top, rest = cut
        return [self._part([top], [top.height]), self._part([rest, *laid[1:]], [rest.height, *heights[1:]])]

    def _cut(self, row: _Laid, room: float) -> tuple[_Laid, _Laid] | None:
        st = self.style
        text_room = room - st.pad_top - st.pad_bottom
        tops, rests = [], []
        top_height = rest_height = 0.0
        for indent, lines in row.cells:
            used = 0.0
            count = 0
            for _, run in lines:
                if used + run.leading > text_room:
                    break
                used += run.leading
                count += 1
            tops.append((indent, lines[:count]))
            rests.append((indent, lines[count:]))
            top_height = max(top_height, used)
            rest_height = max(rest_height, sum(run.leading for _, run in lines[count:]))
        if top_height == 0.0:
            return None
        pads = st.pad_top + st.pad_bottom
        return (
            _Laid(tuple(tops), top_height + pads, row.background),
            _Laid(tuple(rests), rest_height + pads, row.background),
        )

    def _part(self, laid: list[_Laid], heights: list[float]) -> Grid:
        part = Grid(self.widths, (), header=self.header, style=self.style)
        part._head = self._head
        part._laid = laid
        part._heights = heights
        part._pen_writes = self._pen_can_write()
        return part

    # --- drawing ------------------------------------------------------------------------------

    def draw(self) -> None:
        canvas: Any = self.canv
        st = self.style
        rows = [*([self._head] if self._head is not None else []), *self._layout()]
        top = self.height
        for row in rows:
            if row.background is not None:
                canvas.setFillColor(_color(row.background))
                canvas.rect(0, top - row.height, self.width, row.height, stroke=0, fill=1)
            top -= row.height
        if self._pen_can_write():
            canvas._code.append(self._text(Pen.of(canvas).block(), rows))
        else:
            canvas.drawText(self._text(_TextObject(canvas.beginText()), rows))
        if st.rule is not None:
            canvas.setStrokeColor(_color(st.rule))
            canvas.setLineWidth(st.rule_width)
            bottoms, y = [], self.height
            for row in rows:
                y -= row.height
                bottoms.append((0, y, self.width, y))
            canvas.lines(bottoms)

    def _pen_can_write(self) -> bool:
        """Whether every font of the table's lines is one the pen writes in (found once, for all its parts).

        The pen writes the same bytes as the text object, so which of the two draws makes no difference
        to the page: only to the time.
        """
        if self._pen_writes is None:
            self._layout()
            self._pen_writes = all(Pen.can_write(font) for font in self._fonts)
        return self._pen_writes

    def _text(self, block: _Block, rows: Sequence[_Laid]) -> Any:
        """Every line of ``rows`` drawn in ``block``; returns what the block made."""
        pad_left, pad_top = self.style.pad_left, self.style.pad_top
        current: tuple[str, float, str] | None = None
        last: Run | None = None
        rise = 0.0
        top = self.height
        draw = block.line
        for row in rows:
            left = 0.0
            for (indent, lines), width in zip(row.cells, self.widths, strict=True):
                x = left + pad_left + indent
                y = top - pad_top
                for line, run in lines:
                    y -= run.leading
                    if run is not last:
                        last, rise = run, _baseline(run)
                        if (run.font, run.size, run.color) != current:
                            current = (run.font, run.size, run.color)
                            block.style(run.font, run.size, run.leading, _color(run.color))
                    draw(x, y + rise, line)
                left += width
            top -= row.height
        return block.code()


class _Block(Protocol):
    def style(self, font_name: str, size: float, leading: float, color: Color) -> None: ...
    def line(self, x: float, y: float, text: str) -> None: ...
    def code(self) -> Any: ...


class _TextObject:
    """ReportLab's text object behind the pen's interface: for fonts the pen cannot write in."""

    def __init__(self, text: Any) -> None:
        self._text = text

    def style(self, font_name: str, size: float, leading: float, color: Color) -> None:
        self._text.setFont(font_name, size, leading)
        self._text.setFillColor(color)

    def line(self, x: float, y: float, text: str) -> None:
        self._text.setTextOrigin(x, y)
        self._text.textOut(text)

    def code(self) -> Any:
        return self._text


def _baseline(run: Run) -> float:
    """Where the baseline sits above the bottom of a line of ``run.leading`` points."""
    return (run.leading - run.size) / 2 + 0.24 * run.size


_WRAPPED_MAX = 4096  # entries of each generation
_wrapped: dict[tuple[str, str, float, float], tuple[str, ...]] = {}  # the young generation
_wrapped_before: dict[tuple[str, str, float, float], tuple[str, ...]] = {}  # the one before it


def wrapped(run: Run, width: float) -> tuple[str, ...]:
    """``wrap_text``, remembered for the last few thousand texts, fonts, sizes and widths (in every thread).

    Most cells of a transcript repeat from row to row and from one student to the next: course types,
    statuses, terms, grades, credits, the labels, the titles of the courses many take. Two generations:
    when the young one is full it becomes the old one and the one before is dropped; a text found in the
    old generation moves to the young one. So texts that keep coming back stay, however many texts are
    seen once in between (the titles of a long study history), and at most twice ``_WRAPPED_MAX`` are
    kept.
    """
    global _wrapped, _wrapped_before
    key = (run.text, run.font, run.size, width)
    lines = _wrapped.get(key)
    if lines is None:
        lines = _wrapped_before.get(key)
        if lines is None:
            lines = tuple(wrap_text(run, width))
        if len(_wrapped) >= _WRAPPED_MAX:
            _wrapped_before, _wrapped = _wrapped, {}
        _wrapped[key] = lines
    return lines


def wrap_text(run: Run, width: float) -> list[str]:
    """The lines of ``run`` in ``width`` points: greedy at spaces; words wider than a line are cut."""
    width_of = measure(run.font, run.size)
    lines: list[str] = []
    for paragraph in run.text.split("\n"):
        if width_of(paragraph) <= width:
            lines.append(paragraph)
            continue
        space = width_of(" ")
        line: list[str] = []
        used = 0.0
        for word in paragraph.split(" "):
            size = width_of(word)
            if line and used + space + size <= width:
                line.append(word)
                used += space + size
                continue
            if line:
                lines.append(" ".join(line))
            while size > width and len(word) > 1:
                head = _longest_prefix(word, width, width_of)
                lines.append(head)
                word = word[len(head) :]
                size = width_of(word)
            line, used = [word], size
        lines.append(" ".join(line))
    return lines


def _longest_prefix(word: str, width: float, width_of: Callable[[str], float]) -> str:
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if width_of(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return word[:low]


@functools.lru_cache(maxsize=32)
def _color(value: str) -> Color:
    return HexColor(value)


@functools.lru_cache(maxsize=64)
def measure(font_name: str, size: float) -> Callable[[str], float]:
    """A width function (points) for text in a registered font at ``size``."""
    font = getFont(font_name)
    units = _units(font_name)
    if units is None:
        return functools.partial(font.stringWidth, size=size)
    total = units.total
    space = units.of(" ")
    factor = 0.001 * size

    # The same float as the font's stringWidth: an integer sum of glyph widths, then scaled in the same
    # order as ReportLab's C helper, or its Python one without rl-accel.
    def c_order(text: str) -> float:
        words = text.split(" ")
        return (total(words) + space * (len(words) - 1)) * 0.001 * size

    def python_order(text: str) -> float:
        words = text.split(" ")
        return factor * (total(words) + space * (len(words) - 1))

    return c_order if "instanceStringWidthTTF" in rl_accel._c_funcs else python_order


@functools.lru_cache(maxsize=16)
def _units(font_name: str) -> _WordUnits | None:
    """The remembered widths of words in a TrueType font whose glyph widths are whole units (those of
    1 000 units to the em, as ours), else None."""
    font = getFont(font_name)
    face = getattr(font, "face", None)
    if not isinstance(font, TTFont) or face is None:
        return None
    if type(face.defaultWidth) is not int or any(type(w) is not int for w in face.charWidths.values()):
        return None
    return _WordUnits(font.stringWidth)


class _WordUnits:
    """Widths of words in glyph units (1/1000 of the size), remembered (in every thread).

    Most words of a transcript repeat (the words of course titles, types, terms, grades) while new cells
    keep coming: a line measured from its words' remembered units spares the font's helper.
    """

    MAX = 16384  # words in each of two generations

    def __init__(self, width_of: Callable[[str, float], float]) -> None:
        self._width_of = width_of
        # Two generations, as the wrapping's: a word found in the older one moves to the young one, so
        # the words that keep coming back stay however many codes and names are seen once in between.
        self._known: dict[str, int] = {}
        self._older: dict[str, int] = {}

    def total(self, words: list[str]) -> int:
        try:
            return sum(map(self._known.__getitem__, words))
        except KeyError:
            return sum(map(self.of, words))

    def of(self, word: str) -> int:
        found = self._known.get(word)
        if found is None:
            found = self._older.get(word)
            if found is None:
                found = round(self._width_of(word, 1000))
            if len(self._known) >= self.MAX:
                self._older, self._known = self._known, {}
            self._known[word] = found
        return found
