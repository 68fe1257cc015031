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
from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus.flowables import Flowable


@dataclass(frozen=True)
class Run:
    """Text that starts on a new line and wraps in one font, size and colour."""

    text: str
    font: str
    size: float
    leading: float
    color: str = "#000000"


@dataclass(frozen=True)
class Cell:
    runs: tuple[Run, ...]
    indent: float = 0.0


@dataclass(frozen=True)
class Row:
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

    # --- layout -------------------------------------------------------------------------------

    def _layout(self) -> list[_Laid]:
        if self._laid is None:
            self._head = self._lay(self.header) if self.header is not None else None
            self._laid = [self._lay(row) for row in self.rows]
        return self._laid

    def _lay(self, row: Row) -> _Laid:
        st = self.style
        cells = []
        tallest = 0.0
        for cell, width in zip(row.cells, self.widths, strict=True):
            room = max(width - st.pad_left - st.pad_right - cell.indent, 1.0)
            lines = tuple((text, run) for run in cell.runs if run.text for text in wrap_text(run, room))
            tallest = max(tallest, sum(run.leading for _, run in lines))
            cells.append((cell.indent, lines))
        return _Laid(tuple(cells), tallest + st.pad_top + st.pad_bottom, row.background)

    def _head_height(self) -> float:
        return self._head.height if self._head is not None else 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        laid = self._layout()
        self.width = sum(self.widths)
        self.height = self._head_height() + sum(row.height for row in laid)
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
        if fits:
            return [self._part(laid[:fits]), self._part(laid[fits:])]
        if laid[0].height <= self.style.split_rows_taller_than:
            return []
        cut = self._cut(laid[0], room)
        if cut is None:
            return []
        return [self._part([cut[0]]), self._part([cut[1], *laid[1:]])]

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

    def _part(self, laid: list[_Laid]) -> Grid:
        part = Grid(self.widths, (), header=self.header, style=self.style)
        part._head = self._head
        part._laid = laid
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
        text = canvas.beginText()
        current: tuple[str, float, str] | None = None
        top = self.height
        for row in rows:
            left = 0.0
            for (indent, lines), width in zip(row.cells, self.widths, strict=True):
                y = top - st.pad_top
                for line, run in lines:
                    y -= run.leading
                    if (run.font, run.size, run.color) != current:
                        current = (run.font, run.size, run.color)
                        text.setFont(run.font, run.size, run.leading)
                        text.setFillColor(_color(run.color))
                    text.setTextOrigin(left + st.pad_left + indent, y + _baseline(run))
                    text.textOut(line)
                left += width
            top -= row.height
        canvas.drawText(text)
        if st.rule is not None:
            canvas.setStrokeColor(_color(st.rule))
            canvas.setLineWidth(st.rule_width)
            bottoms, y = [], self.height
            for row in rows:
                y -= row.height
                bottoms.append((0, y, self.width, y))
            canvas.lines(bottoms)


def _baseline(run: Run) -> float:
    """Where the baseline sits above the bottom of a line of ``run.leading`` points."""
    return (run.leading - run.size) / 2 + 0.24 * run.size


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
    return functools.partial(font.stringWidth, size=size)
