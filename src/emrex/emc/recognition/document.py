"""The decision document: a PDF (A4, English or Swedish) of a decided case, with the appeal notice when
anything applied for was not granted in full.

It is laid out with the transcript's fonts (``emrex.transcript.fonts``) and its plain-text table
(``emrex.transcript.grid``): nothing a student or an officer wrote is interpreted as markup.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer

from emrex.emc.recognition.models import Case, Item, Outcome
from emrex.emc.recognition.texts import DecisionTexts
from emrex.transcript.fonts import FontConfig, Fonts, load_fonts
from emrex.transcript.grid import Cell, Grid, GridStyle, Row, Run

_MM = 72 / 25.4
_PAGE_W, _PAGE_H = 595.2756, 841.8898
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 18 * _MM, 16 * _MM, 18 * _MM
_WIDTH = _PAGE_W - 2 * _MARGIN_X
_COLUMNS = (130.0, 82.0, 150.0)  # applied for, decision, basis; the reason takes the rest
_KEY_WIDTH = 130.0
_GREY, _RULE, _HEADER = "#555555", "#b0b0b0", "#d9d9d9"
_SIZE, _LEADING = 8.2, 10.4
_UNDRAWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Issuing:
    """What the deployment says in every decision (``emc.recognition``)."""

    institution: str
    appeal_weeks: int = 3
    appeal_address: str = ""
    legal_basis: str = ""


def anything_refused(case: Case) -> bool:
    return any(i.outcome in (Outcome.REFUSED, Outcome.PARTLY) for i in case.items)


def render_decision(
    case: Case, issuing: Issuing, language: str = "en", fonts: FontConfig | None = None
) -> bytes:
    """The decision of ``case`` (decided or registered) as PDF bytes; the same case gives the same bytes."""
    if case.decided_at is None or case.number is None:
        raise ValueError("the case has no decision yet")
    t = DecisionTexts(language)
    loaded = load_fonts(fonts)
    story = _Story(t, loaded, issuing).build(case)
    footer = t["footer"].format(institution=issuing.institution, number=case.number)
    return _layout(story, loaded, t, footer)


class _Story:
    def __init__(self, t: DecisionTexts, fonts: Fonts, issuing: Issuing) -> None:
        self.t, self.fonts, self.issuing = t, fonts, issuing
        body = ParagraphStyle("decision-body", fontName=fonts.regular, fontSize=9, leading=12)
        self.body = body
        self.title = ParagraphStyle("decision-title", body, fontName=fonts.bold, fontSize=17, leading=21)
        self.heading = ParagraphStyle(
            "decision-heading",
            body,
            fontName=fonts.bold,
            fontSize=12,
            leading=15,
            spaceBefore=12,
            spaceAfter=4,
        )
        self.small = ParagraphStyle(
            "decision-small", body, fontSize=8, leading=10.5, textColor=colors.HexColor(_GREY)
        )

    def build(self, case: Case) -> list[Any]:
        t = self.t
        assert case.decided_at is not None
        rows = [(t["case_number"], case.number or ""), (t["student"], case.student_name)]
        if case.student_birth_date is not None:
            rows.append((t["birth_date"], case.student_birth_date.isoformat()))
        if case.submitted_at is not None:
            rows.append((t["submitted"], case.submitted_at.date().isoformat()))
        rows.append((t["decided"], case.decided_at.date().isoformat()))
        rows.append((t["decided_by"], case.decided_by_name or case.decided_by or ""))
        if case.expert_name and case.expert_statement:
            rows.append((t["expert"], case.expert_name))
        story: list[Any] = [
            Paragraph(self.markup(self.issuing.institution), self.body),
            Paragraph(self.markup(t["title"]), self.title),
            Spacer(0, 6),
            self.key_values(rows),
            Paragraph(self.markup(t["decision"]), self.heading),
            self.items(case),
            Spacer(0, 4),
            Paragraph(self.markup(t["no_grade"]), self.small),
        ]
        if self.issuing.legal_basis:
            story.append(
                Paragraph(self.markup(t["legal_basis"].format(basis=self.issuing.legal_basis)), self.small)
            )
        if anything_refused(case):
            story.extend(self.appeal(case.number or ""))
        return story

    def appeal(self, number: str) -> list[Any]:
        t, issuing = self.t, self.issuing
        text = t["appeal"].format(
            institution=issuing.institution, number=number, weeks=t.weeks(issuing.appeal_weeks)
        )
        parts: list[Any] = [
            Paragraph(self.markup(t["appeal_heading"]), self.heading),
            Paragraph(self.markup(text), self.body),
        ]
        if issuing.appeal_address:
            address = t["appeal_address"].format(address=issuing.appeal_address)
            parts.append(Paragraph(self.markup(address), self.body))
        return parts

    def items(self, case: Case) -> Grid:
        t, bold = self.t, self.fonts.bold
        keys = ("col_target", "col_outcome", "col_basis", "col_reason")
        header = Row(tuple(Cell((self.run(t[key], font=bold),)) for key in keys), _HEADER)
        bases = {b.id: b for b in case.bases}
        rows = []
        for item in case.items:
            foreign = []
            for basis_id in item.basis_ids:
                b = bases[basis_id]
                line = " ".join(part for part in (b.code, b.title) if part)
                facts = [
                    f"{t.decimal(b.credits)} {b.credit_scheme or ''}".strip() if b.credits else "",
                    f"{t['grade']} {b.grade}" if b.grade else "",
                    b.end_date.isoformat() if b.end_date else "",
                ]
                foreign.append(self.run(line))
                foreign.append(self.run(f"{b.issuer} · " + ", ".join(f for f in facts if f), color=_GREY))
            cells = (
                Cell(tuple(self.target(item))),
                Cell((self.run(self.outcome(item)),)),
                Cell(tuple(foreign)),
                Cell((self.run(item.reason or ""),)),
            )
            rows.append(Row(cells))
        widths = (*_COLUMNS, _WIDTH - sum(_COLUMNS))
        return Grid(widths, rows, header=header, style=GridStyle(rule=_RULE, split_rows_taller_than=120.0))

    def target(self, item: Item) -> list[Run]:
        t = self.t
        credits = t["credits"].format(credits=t.decimal(item.credits))
        if item.code:
            return [self.run(f"{item.code} {item.title(t.language)}"), self.run(credits, color=_GREY)]
        return [self.run(t["without_course"]), self.run(f"{item.title('')} · {credits}", color=_GREY)]

    def outcome(self, item: Item) -> str:
        t = self.t
        if item.outcome == Outcome.GRANTED:
            return f"{t['granted']} ({t['credits'].format(credits=t.decimal(item.credits))})"
        if item.outcome == Outcome.PARTLY:
            return t["partly"].format(
                granted=t.decimal(item.granted_credits or "0"), credits=t.decimal(item.credits)
            )
        return t["refused"]

    def key_values(self, rows: list[tuple[str, str]]) -> Grid:
        grid_rows = [
            Row((Cell((self.run(key, color=_GREY),)), Cell((self.run(value, 9.0, 11.0),))))
            for key, value in rows
        ]
        style = GridStyle(pad_top=1.0, pad_bottom=1.6)
        return Grid((_KEY_WIDTH, _WIDTH - _KEY_WIDTH), grid_rows, style=style)

    def run(self, text: str, size: float = _SIZE, leading: float = _LEADING, **kw: Any) -> Run:
        return Run(_clean(text), kw.pop("font", self.fonts.regular), size, leading, **kw)

    def markup(self, text: str) -> str:
        return escape(_clean(text)).replace("\n", "<br/>")


def _clean(text: str) -> str:
    return _UNDRAWABLE.sub("", text.replace("\t", " ").replace("\r\n", "\n"))


def _layout(story: list[Any], fonts: Fonts, t: DecisionTexts, footer: str) -> bytes:
    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(fonts.regular, 7.2)
        canvas.setFillColor(colors.HexColor(_GREY))
        y = _MARGIN_BOTTOM - 9
        canvas.drawString(_MARGIN_X, y, _clean(footer)[:120])
        canvas.drawRightString(_PAGE_W - _MARGIN_X, y, t["page"].format(page=doc.page))
        canvas.restoreState()

    out = io.BytesIO()
    frame = Frame(
        _MARGIN_X, _MARGIN_BOTTOM, _WIDTH, _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM,
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body",
    )  # fmt: skip
    doc = BaseDocTemplate(
        out,
        pagesize=(_PAGE_W, _PAGE_H),
        pageTemplates=[PageTemplate("page", [frame], onPage=on_page)],
        title=t["title"],
        author="EMREX",
        creator="emrex",
        lang=t.language,
        invariant=1,
        initialFontName=fonts.regular,
        pageCompression=1,
    )
    doc.build(story)
    return out.getvalue()
