"""Lines of plain text written straight into a page's content stream, as ReportLab's text object would.

ReportLab's text object (``canvas.beginText``) works out, for every string it draws, the string's width
and the bytes of each font subset it uses, one character at a time in Python; a transcript draws many
hundred cell lines, and most of its strings repeat (types, terms, grades, credits). A pen does that work
once per font and string for a document and writes the same PDF operators: the pages are byte for byte
what the text object writes (tests/transcript/test_pen.py compares them).

The bytes of a string depend on the document: a TrueType font gets a subset per document, filled in the
order its characters are first used. So encodings are kept per canvas (one document) and come from the
font's own ``splitString``, called in the same order as before; only strings whose every character
already stands for itself (printable ASCII with ReportLab's default readable ASCII subset) skip it.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase.pdfmetrics import getFont

Shown = tuple[tuple[int, str], ...]  # (font subset, "(bytes) Tj") for one drawn string


class Pen:
    """The cached encodings of one canvas (one PDF document); get it with ``Pen.of(canvas)``."""

    def __init__(self, canvas: Any) -> None:
        self._canvas = canvas
        self._doc = canvas._doc
        self.matrix = "1 0 0 1 " if canvas.bottomup else "1 0 0 -1 "  # + "x y Tm": a line's origin
        self.shown: dict[str, dict[str, Shown]] = {}  # font: text: operators
        self.origins: dict[float, str] = {}  # x: the start of a line's "Tm" operator
        self._names: dict[tuple[str, int], str] = {}
        self._known: dict[str, _Subset0] = {}
        self._fills: dict[tuple[float, float, float], str] = {}
        self._sizes: dict[tuple[float, float], str] = {}
        self._transparency = False

    @classmethod
    def of(cls, canvas: Any) -> Pen:
        pen = canvas.__dict__.get("_emrex_pen")
        if pen is None:
            pen = canvas._emrex_pen = cls(canvas)
        return pen  # type: ignore[no-any-return]

    @staticmethod
    def can_write(font_name: str) -> bool:
        """Whether the pen can write in this font: TrueType fonts subset per document (all of ours)."""
        return bool(getattr(getFont(font_name), "_dynamicFont", False))

    def block(self) -> TextBlock:
        return TextBlock(self)

    # --- cached pieces ---------------------------------------------------------------------------------

    def show(self, font_name: str, text: str) -> Shown:
        """The text-showing operators of ``text`` per font subset, made and remembered."""
        found = self.shown.setdefault(font_name, {})[text] = tuple(
            (subset, f"({escapePDF(raw)}) Tj") for subset, raw in self._encode(font_name, text)
        )
        return found

    def _encode(self, font_name: str, text: str) -> list[tuple[int, bytes]]:
        if not text:
            return []
        known = self._known.get(font_name)
        if known is None:
            known = self._known[font_name] = _Subset0(getFont(font_name), self._doc)
        encoded = known.encode(text)
        if encoded is not None:
            return [(0, encoded)]
        return getFont(font_name).splitString(text, self._doc)  # type: ignore[no-any-return]

    def font_name(self, font_name: str, subset: int) -> str:
        key = (font_name, subset)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = getFont(font_name).getSubsetInternalName(subset, self._doc)
        return found

    def fill(self, block: TextBlock, color: Color) -> None:
        """Sets the fill colour in ``block`` (an opacity too, if the colour has one)."""
        rgb = (color.red, color.green, color.blue)
        found = self._fills.get(rgb)
        if found is None:
            found = self._fills[rgb] = f"{fp_str(rgb)} rg"
        block._code.append(found)
        if color.alpha is not None:
            if not self._transparency:
                self._doc.ensureMinPdfVersion("transparency")
                self._transparency = True
            self._canvas._extgstate.set(block, "ca", color.alpha)

    def size(self, size: float, leading: float) -> str:
        key = (size, leading)
        found = self._sizes.get(key)
        if found is None:
            found = self._sizes[key] = f"{fp_str(size)} Tf {fp_str(leading)} TL"
        return found


class TextBlock:
    """One PDF text object (BT … ET): set a style, then draw lines at absolute positions."""

    def __init__(self, pen: Pen) -> None:
        self._pen = pen
        self._code = ["BT", f"{pen.matrix}0 0 Tm"]
        self._font = ""
        self._shown: dict[str, Shown] = {}
        self._size = ""
        self._subset = -1

    def style(self, font_name: str, size: float, leading: float, color: Color) -> None:
        self._font = font_name
        self._shown = self._pen.shown.setdefault(font_name, {})
        self._size = self._pen.size(size, leading)
        self._subset = -1
        self._pen.fill(self, color)

    def line(self, x: float, y: float, text: str) -> None:
        pen, code = self._pen, self._code
        origin = pen.origins.get(x)
        if origin is None:  # fp_str(x, y) is fp_str(x), a space and fp_str(y)
            origin = pen.origins[x] = f"{pen.matrix}{fp_str(x)} "
        shown = self._shown.get(text)
        if shown is None:
            shown = pen.show(self._font, text)
        if len(shown) == 1 and shown[0][0] == self._subset:  # the usual line: one piece, no font change
            code.append(f"{origin}{fp_str(y)} Tm {shown[0][1]}")  # as the two parts joined by code()
            return
        code.append(f"{origin}{fp_str(y)} Tm")
        if not shown:
            code.append("")
        for subset, operator in shown:
            if subset != self._subset:
                self._subset = subset
                code.append(f"{pen.font_name(self._font, subset)} {self._size}")
            code.append(operator)

    def code(self) -> str:
        return " ".join((*self._code, "ET"))


class _Subset0:
    """The characters a document has already placed in subset 0 of a font, and their codes there.

    A string made only of those is one run of subset 0, and its bytes are a translation: no need to
    ask the font (which would also place new characters, so those strings still go to it).
    """

    def __init__(self, font: Any, doc: Any) -> None:
        if font.state.get(doc) is None:
            font.splitString("", doc)  # makes the document's subsets as the first drawn string would
        self._assignments: dict[int, int] = font.state[doc].assignments
        self._seen = -1
        self._table: dict[int, str] = {}
        self._chars: frozenset[str] = frozenset()

    def encode(self, text: str) -> bytes | None:
        if len(self._assignments) != self._seen:
            self._refresh()
        if not self._chars.issuperset(text):
            return None
        return text.translate(self._table).encode("latin-1")

    def _refresh(self) -> None:
        table = {code: chr(n) for code, n in self._assignments.items() if n < 256}
        if 32 in table:
            table[0xA0] = table[32]  # the font draws a no-break space as a space
        self._table = table
        self._chars = frozenset(map(chr, table))
        self._seen = len(self._assignments)
