"""The human-readable PDF transcript of an ELMO document (ReportLab platypus, A4).

Everything from the document is plain text. Tables are ``grid.Grid`` flowables, which draw text
literally; the few paragraphs (headings, notes, grading schemes) get every string escaped, since
ReportLab paragraphs interpret markup.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import io
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer
from reportlab.platypus.doctemplate import LayoutError

from emrex.elmo import model as m
from emrex.transcript.errors import TranscriptError
from emrex.transcript.fonts import FontConfig, Fonts, load_fonts
from emrex.transcript.grid import Cell, Grid, GridStyle, Row, Run
from emrex.transcript.texts import Texts, date_text, datetime_text

# Binary (not ASCII85) compressed streams: smaller files, less work.
rl_config.useA85 = 0

_MM = 72 / 25.4
_PAGE_W, _PAGE_H = 595.2756, 841.8898  # A4 in points
_MARGIN_X = 16 * _MM
_MARGIN_TOP = 15 * _MM
_MARGIN_BOTTOM = 18 * _MM
_WIDTH = _PAGE_W - 2 * _MARGIN_X
_CELL_SIZE, _CELL_LEADING = 7.8, 9.6
_DETAIL_SIZE, _DETAIL_LEADING = 6.6, 8.2
_KEY_SIZE, _KEY_LEADING = 7.8, 10.4
_VALUE_SIZE, _VALUE_LEADING = 8.4, 10.4
_INDENT = 8.0
_MAX_INDENT_DEPTH = 8
# Rows taller than this may break between lines at a page end; shorter rows move whole.
_SPLIT_ROWS_TALLER_THAN = 120.0
_COLUMNS = ("col_code", "col_title", "col_type", "col_term", "col_grade", "col_status", "col_credits")
_FIXED = (50.0, 0.0, 50.0, 68.0, 44.0, 48.0, 46.0)  # the title column takes the rest
_COL_WIDTHS = (_FIXED[0], _WIDTH - sum(_FIXED), *_FIXED[2:])
_KEY_WIDTH = 112.0
_GREY = "#555555"
_BLACK = "#000000"
_PARENT_ROW = "#efefef"
_HEADER_ROW = "#d9d9d9"
_RULE = "#b0b0b0"
_RESULTS_STYLE = GridStyle(rule=_RULE, split_rows_taller_than=_SPLIT_ROWS_TALLER_THAN)
_KEY_VALUE_STYLE = GridStyle(pad_top=1.0, pad_bottom=1.6, split_rows_taller_than=_SPLIT_ROWS_TALLER_THAN)
# Control characters and lone surrogates cannot be drawn; tabs become spaces.
_UNDRAWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_WHITESPACE = frozenset(" \n\t\r\u00a0")


def render_transcript(
    elmo: m.Elmo,
    *,
    language: str = "en",
    generated_at: dt.datetime | None = None,
    fonts: FontConfig | None = None,
) -> bytes:
    """The transcript of ``elmo`` as PDF bytes; labels in ``language`` (English or Swedish).

    ``generated_at`` (default: now, UTC) must carry a time zone. The same inputs give the same bytes.
    """
    if generated_at is None:
        generated_at = dt.datetime.now(dt.UTC)
    elif generated_at.utcoffset() is None:
        raise TranscriptError("the transcript generation time needs a time zone")
    texts = Texts(language)
    styles = _styles(load_fonts(fonts))
    with collector_paused():
        # The story and the laid-out pages die with _render's frame, before the collector is back on:
        # its first pass then finds them gone instead of walking all of them once more.
        return _render(elmo, texts, styles, generated_at)


def _render(elmo: m.Elmo, texts: Texts, styles: _Styles, generated_at: dt.datetime) -> bytes:
    story = _Story(texts, styles, generated_at).build(elmo)
    return _layout(story, texts, styles, generated_at, _footer_name(elmo.learner))


_pause_lock = threading.Lock()
_pausing = 0  # renders in progress, in every thread
_resume = False  # whether the collector was on when the first of them started


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a transcript is built and laid out.

    A layout allocates many objects that live until it ends (flowables, laid-out rows, page states) and
    makes few reference cycles, so the collector's repeated passes over them are wasted work that grows
    faster than the document: about a quarter of a 4 000-course transcript's time (bench.emp_bench). Peak
    memory is the same with it off. The collector is process-wide: it stays off while any thread
    renders, and the last render to end switches it back on, after an exception too, if it was on when
    the first one began; one that was off stays off.
    """
    global _pausing, _resume
    with _pause_lock:
        if _pausing == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausing -= 1
            if _pausing == 0 and _resume:
                gc.enable()


@dataclass(frozen=True)
class _Styles:
    fonts: Fonts
    title: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    ascii_covered: bool  # whether the regular font draws every printable ASCII character


@functools.lru_cache(maxsize=8)
def _styles(fonts: Fonts) -> _Styles:
    base = ParagraphStyle("emrex-body", fontName=fonts.regular, fontSize=8.6, leading=11.2)
    return _Styles(
        fonts=fonts,
        title=ParagraphStyle("emrex-title", base, fontName=fonts.bold, fontSize=17, leading=21, spaceAfter=4),
        heading=ParagraphStyle(
            "emrex-heading",
            base,
            fontName=fonts.bold,
            fontSize=12.5,
            leading=15.5,
            spaceBefore=12,
            spaceAfter=4,
            keepWithNext=1,
        ),
        subheading=ParagraphStyle(
            "emrex-subheading", base, fontName=fonts.bold, fontSize=9.6, leading=12, spaceBefore=7
        ),
        body=base,
        small=ParagraphStyle(
            "emrex-small", base, fontSize=7.4, leading=9.4, textColor=colors.HexColor(_GREY), spaceBefore=2
        ),
        ascii_covered=fonts.covered.issuperset(map(chr, range(32, 127))),
    )


class _Story:
    """Turns the model into a list of flowables."""

    def __init__(self, texts: Texts, styles: _Styles, generated_at: dt.datetime) -> None:
        self.t = texts
        self.s = styles
        self.generated_at = generated_at
        self.missing_glyphs = False
        self.runs: dict[tuple[str, float, float, str | None, str], Run] = {}

    def build(self, elmo: m.Elmo) -> list[Any]:
        t, s = self.t, self.s
        stamps = [f"{t['pdf_generated']}: {datetime_text(self.generated_at)}"]
        if elmo.generated_date is not None:
            stamps.append(f"{t['document_generated']}: {datetime_text(elmo.generated_date)}")
        story: list[Any] = [
            Paragraph(self.markup(t["title"]), s.title),
            Paragraph(self.markup("  ·  ".join(stamps)), s.body),
            Paragraph(self.markup(t["original_note"]), s.small),
            Spacer(0, 4),
            Paragraph(self.markup(t["learner"]), s.heading),
            self.key_values(self.learner_rows(elmo.learner)),
        ]
        overall: list[tuple[str, Decimal]] = []
        for report in elmo.reports:
            story.extend(self.report(report))
            overall = _merge_totals(overall, credit_totals(report.learning_opportunity_specifications))
        story.append(Spacer(0, 10))
        story.append(Paragraph(self.markup(f"{t['overall_total']}: {self.totals(overall)}"), s.subheading))
        story.append(Paragraph(self.markup(t["totals_note"]), s.small))
        if self.missing_glyphs:
            story.append(Paragraph(self.markup(t["missing_glyphs"]), s.small))
        return story

    # --- text helpers -------------------------------------------------------------------------

    def clean(self, text: str) -> str:
        if not text.isprintable():  # no line breaks, tabs or control characters: nothing to replace
            text = _UNDRAWABLE.sub("", text.replace("\t", " ").replace("\r\n", "\n"))
        elif text.isascii() and self.s.ascii_covered:
            return text
        covered = self.s.fonts.covered
        if not covered.issuperset(text) and set(text) - covered - _WHITESPACE:
            self.missing_glyphs = True
        return text

    def markup(self, text: str) -> str:
        """Paragraph markup that shows ``text`` literally; line breaks are kept."""
        return escape(self.clean(text)).replace("\n", "<br/>")

    def run(
        self,
        text: str,
        size: float = _CELL_SIZE,
        leading: float = _CELL_LEADING,
        *,
        font: str | None = None,
        color: str = _BLACK,
    ) -> Run:
        key = (text, size, leading, font, color)
        found = self.runs.get(key)
        if found is None:  # most cells repeat within a document: types, terms, grades, credits
            found = self.runs[key] = Run(self.clean(text), font or self.s.fonts.regular, size, leading, color)
        return found

    def key_values(self, rows: Sequence[tuple[str, str]]) -> Grid:
        grid_rows = [
            Row(
                (
                    Cell((self.run(key, _KEY_SIZE, _KEY_LEADING, color=_GREY),)),
                    Cell((self.run(value, _VALUE_SIZE, _VALUE_LEADING),)),
                )
            )
            for key, value in rows
        ]
        return Grid((_KEY_WIDTH, _WIDTH - _KEY_WIDTH), grid_rows, style=_KEY_VALUE_STYLE)

    def totals(self, totals: Sequence[tuple[str, Decimal]]) -> str:
        if not totals:
            return f"ECTS {self.t.decimal(Decimal(0))}"
        return "; ".join(f"{scheme} {self.t.decimal(value)}" for scheme, value in totals)

    # --- sections ---------------------------------------------------------------------------

    def learner_rows(self, learner: m.Learner) -> list[tuple[str, str]]:
        t = self.t
        rows = [(t["family_name"], learner.family_name), (t["given_names"], learner.given_names)]
        if learner.alternative_name is not None:
            rows.append((t["alternative_name"], _with_lang(learner.alternative_name)))
        if learner.birth_name:
            rows.append((t["birth_name"], learner.birth_name))
        if learner.birth_date is not None:
            rows.append((t["birth_date"], date_text(learner.birth_date)))
        if learner.place_of_birth:
            rows.append((t["place_of_birth"], learner.place_of_birth))
        if learner.citizenship:
            rows.append((t["citizenship"], t.country(learner.citizenship)))
        if learner.identifiers:
            rows.append((t["identifiers"], _identifiers(learner.identifiers)))
        return rows

    def report(self, report: m.Report) -> Iterator[Any]:
        t, s = self.t, self.s
        issuer = report.issuer
        name = issuer.title(*t.preferred) or issuer.identifier("schac") or issuer.url or "?"
        yield Paragraph(self.markup(f"{t['issuer']}: {name}"), s.heading)
        rows: list[tuple[str, str]] = []
        if issuer.titles:
            rows.append((t["names"], "\n".join(_with_lang(title) for title in issuer.titles)))
        if issuer.country:
            rows.append((t["country"], t.country(issuer.country)))
        if issuer.identifiers:
            rows.append((t["identifiers"], _identifiers(issuer.identifiers)))
        if issuer.url:
            rows.append((t["website"], issuer.url))
        if report.issue_date is not None:
            rows.append((t["issued"], datetime_text(report.issue_date)))
        if rows:
            yield self.key_values(rows)
            yield Spacer(0, 5)
        if report.learning_opportunity_specifications:
            yield self.results(report)
        else:
            yield Paragraph(self.markup(t["no_results"]), s.small)
        total = self.totals(credit_totals(report.learning_opportunity_specifications))
        yield Paragraph(self.markup(f"{t['report_total']}: {total}"), s.subheading)
        if report.grading_schemes:
            yield Paragraph(self.markup(t["grading_schemes"]), s.subheading)
            for scheme in report.grading_schemes:
                yield self.grading_scheme(scheme)

    def grading_scheme(self, scheme: m.GradingScheme) -> Paragraph:
        lines = [self.markup(_with_lang(d)) for d in scheme.descriptions]
        head = self.markup(scheme.local_id)
        if self.s.fonts.has_bold:
            head = f'<font name="{self.s.fonts.bold}">{head}</font>'
        return Paragraph(f"{head}: " + "<br/>".join(lines), self.s.body)

    def results(self, report: m.Report) -> Grid:
        bold = self.s.fonts.bold
        header = Row(tuple(Cell((self.run(self.t[key], font=bold),)) for key in _COLUMNS), _HEADER_ROW)
        show_scheme = len(report.grading_schemes) > 1
        rows = [self.los_row(depth, los, show_scheme) for depth, los in report.iter_los()]
        return Grid(_COL_WIDTHS, rows, header=header, style=_RESULTS_STYLE)

    def los_row(self, depth: int, los: m.LearningOpportunitySpecification, show_scheme: bool) -> Row:
        t = self.t
        loi = los.specifies or m.LearningOpportunityInstance()
        title = los.title(*t.preferred) or ""
        details = [_with_lang(x) for x in los.titles if x.text != title and x.text.strip()]
        if loi.language_of_instruction:
            details.append(f"{t['language']}: {t.language_name(loi.language_of_instruction)}")
        levels = [" ".join(v for v in (lv.type, lv.value) if v) for lv in loi.levels]
        if levels:
            details.append(f"{t['level']}: {', '.join(levels)}")
        if show_scheme and loi.grading_scheme_local_id:
            details.append(f"{t['grading_scheme']}: {loi.grading_scheme_local_id}")
        title_runs = [self.run(title)]
        if details:
            title_runs.append(self.run("  ·  ".join(details), _DETAIL_SIZE, _DETAIL_LEADING, color=_GREY))
        when = []
        if loi.academic_term is not None:
            term = m.best_text(loi.academic_term.titles, *t.preferred)
            if term:
                when.append(term)
        if loi.date is not None:
            when.append(date_text(loi.date))
        elif loi.start is not None:
            when.append(t["since"].format(date=date_text(loi.start)))
        code = los.identifier("local") or (los.identifiers[0].value if los.identifiers else "")
        cells = (
            Cell((self.run(code),)),
            Cell(tuple(title_runs), indent=min(depth, _MAX_INDENT_DEPTH) * _INDENT),
            Cell((self.run(t[los.type] if los.type is not None else ""),)),
            Cell((self.run("\n".join(when)),)),
            Cell((self.run(loi.result_label or ""),)),
            Cell((self.run(t[loi.status] if loi.status is not None else ""),)),
            Cell((self.run("\n".join(_credit_text(c, t) for c in loi.credits)),)),
        )
        return Row(cells, _PARENT_ROW if los.has_part else None)


def credit_totals(roots: Iterable[m.LearningOpportunitySpecification]) -> list[tuple[str, Decimal]]:
    """Passed credits per scheme (first spelling kept), each branch counted once per scheme.

    Like ``model.total_ects``: the highest node carrying credits of a scheme counts and its descendants'
    credits of that scheme are not added again; only passed instances (or without status) count.
    """
    names: dict[str, str] = {}
    sums: dict[str, Decimal] = {}
    stack: list[tuple[m.LearningOpportunitySpecification, frozenset[str]]] = [
        (los, frozenset()) for los in reversed(list(roots))
    ]
    while stack:
        los, counted = stack.pop()
        loi = los.specifies
        here: set[str] = set()
        if loi is not None:
            passed = loi.effective_status is m.LoiStatus.PASSED
            for credit in loi.credits:
                key = credit.scheme.strip().casefold()
                if credit.value is None or key in counted:
                    continue
                here.add(key)
                names.setdefault(key, credit.scheme.strip())
                sums.setdefault(key, Decimal(0))
                if passed:
                    sums[key] += credit.value
        below = counted | here if here else counted
        stack.extend((child, below) for child in reversed(los.has_part))
    return [(names[key], sums[key]) for key in names]


def _merge_totals(
    first: Sequence[tuple[str, Decimal]], second: Sequence[tuple[str, Decimal]]
) -> list[tuple[str, Decimal]]:
    merged: dict[str, tuple[str, Decimal]] = {}
    for scheme, value in (*first, *second):
        key = scheme.casefold()
        name, total = merged.get(key, (scheme, Decimal(0)))
        merged[key] = (name, total + value)
    return list(merged.values())


def _credit_text(credit: m.Credit, t: Texts) -> str:
    text = credit.scheme if credit.value is None else f"{credit.scheme} {t.decimal(credit.value)}"
    return f"{text} ({credit.level})" if credit.level is not None else text


def _with_lang(text: m.LangText) -> str:
    return f"{text.text} ({text.lang})" if text.lang else text.text


def _identifiers(identifiers: Sequence[m.Identifier]) -> str:
    return "\n".join(f"{i.type}: {i.value}" for i in identifiers)


def _footer_name(learner: m.Learner) -> str:
    return ", ".join(part for part in (learner.family_name.strip(), learner.given_names.strip()) if part)


class _Stamp:
    """A ReportLab timestamp for the PDF's creation date: the transcript's generation time in UTC."""

    def __init__(self, when: dt.datetime) -> None:
        utc = when.astimezone(dt.UTC)
        self.t = utc.timestamp()
        self.lt = utc.timetuple()
        self.YMDhms = tuple(self.lt)[:6]
        self.dhh = self.dmm = 0
        self.tzname = "UTC"


@dataclass(frozen=True)
class _Footer:
    """What each page's footer says, and how."""

    left: str  # "Transcript …  ·  name", shortened to fit
    page: str  # "Page {page} of {pages}"
    font: str
    stamp: _Stamp  # the PDF's creation date


class _PagedCanvas(Canvas):  # type: ignore[misc]
    """Keeps every page until the end, so each footer can say "page X of Y"."""

    def __init__(self, *args: Any, footer: _Footer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._doc._timeStamp = footer.stamp
        self._emrex_footer = footer
        self._pending: list[dict[str, Any]] = []

    def showPage(self) -> None:
        state = dict(self.__dict__)
        del state["_pending"]  # not part of a page (and a page in the list holding the list is a cycle)
        self._pending.append(state)
        self._startPage()

    def save(self) -> None:
        pending, self._pending = self._pending, []
        for number, state in enumerate(pending, 1):
            self.__dict__.update(state)
            self._footer(self._emrex_footer.page.format(page=number, pages=len(pending)))
            super().showPage()
        del pending
        super().save()

    def _footer(self, page_text: str) -> None:
        font = self._emrex_footer.font
        size = 7.2
        y = _MARGIN_BOTTOM - 9
        self.setFont(font, size)
        self.setFillColor(colors.HexColor(_GREY))
        self.setStrokeColor(colors.HexColor(_RULE))
        self.setLineWidth(0.4)
        self.line(_MARGIN_X, y + 9, _PAGE_W - _MARGIN_X, y + 9)
        page_width = self.stringWidth(page_text, font, size)
        self.drawRightString(_PAGE_W - _MARGIN_X, y, page_text)
        room = _WIDTH - page_width - 12
        left = _fit(self._emrex_footer.left, room, lambda s: self.stringWidth(s, font, size))
        self.drawString(_MARGIN_X, y, left)


def _layout(story: list[Any], texts: Texts, styles: _Styles, generated_at: dt.datetime, name: str) -> bytes:
    footer = _Footer(
        left=f"{texts['footer']}  ·  {name}" if name else texts["footer"],
        page=texts["page"],
        font=styles.fonts.regular,
        stamp=_Stamp(generated_at),
    )
    out = io.BytesIO()
    body = Frame(
        _MARGIN_X,
        _MARGIN_BOTTOM,
        _WIDTH,
        _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc = BaseDocTemplate(
        out,
        pagesize=(_PAGE_W, _PAGE_H),
        pageTemplates=[PageTemplate("page", [body])],
        title=texts["title"],
        author="EMREX",
        creator="emrex",
        lang=texts.language,
        invariant=1,
        initialFontName=footer.font,
        pageCompression=1,
    )
    try:
        doc.build(story, canvasmaker=functools.partial(_PagedCanvas, footer=footer))
    except LayoutError as exc:
        raise TranscriptError(f"the transcript cannot be laid out: {str(exc).splitlines()[0]}") from None
    finally:
        _empty(doc.__dict__.pop("canv", None))
    return out.getvalue()


def _empty(canvas: Canvas | None) -> None:
    """Lets go of what ``canvas`` and its PDF document hold (pages, PDF objects, the pen's strings) once
    the PDF is made.

    The document template refers to itself, and ReportLab's paragraphs leave text objects that refer to
    themselves, the canvas and its document: without this, all of a transcript's pages would wait for the
    cyclic garbage collector, which then walks them once more; emptied, they are freed at once.
    """
    if canvas is not None:
        pdf = canvas.__dict__.get("_doc")
        canvas.__dict__.clear()
        if pdf is not None:
            pdf.__dict__.clear()


def _fit(text: str, room: float, width: Any) -> str:
    """``text``, shortened with an ellipsis until it fits ``room`` points."""
    text = _UNDRAWABLE.sub("", text)
    if width(text) <= room:
        return text
    while text and width(text + "…") > room:
        text = text[:-1]
    return text + "…"
