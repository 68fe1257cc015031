"""Reading transcripts back: text per page with poppler's pdftotext (skip with a message without it)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from emrex.elmo import model as m

WHEN = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PdfText:
    pages: tuple[str, ...]  # each page's text, whitespace collapsed to single spaces

    @property
    def text(self) -> str:
        return " ".join(self.pages)


@dataclass(frozen=True)
class Word:
    text: str
    page: int
    x_min: float
    x_max: float
    y_min: float
    y_max: float


def _pdftotext() -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; transcript text checks skip")
    return tool


@pytest.fixture
def read_pdf(tmp_path: Path) -> Callable[[bytes], PdfText]:
    tool = _pdftotext()

    def read(pdf: bytes) -> PdfText:
        source = tmp_path / "transcript.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(
            [tool, "-raw", "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True
        )
        pages = out.stdout.decode("utf-8").split("\f")
        if pages and not pages[-1].strip():
            pages.pop()
        return PdfText(tuple(" ".join(page.split()) for page in pages))

    return read


@pytest.fixture
def pdf_words(tmp_path: Path) -> Callable[[bytes], tuple[list[Word], tuple[float, float]]]:
    """Every word with its box (points, from the top left) and the page size."""
    tool = _pdftotext()

    def words(pdf: bytes) -> tuple[list[Word], tuple[float, float]]:
        source = tmp_path / "boxes.pdf"
        source.write_bytes(pdf)
        html = subprocess.run(
            [tool, "-bbox", str(source), "-"], capture_output=True, check=True
        ).stdout.decode()
        size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
        assert size is not None
        found: list[Word] = []
        for number, page in enumerate(html.split("<page ")[1:], 1):
            for match in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
            ):
                x0, y0, x1, y1, text = match.groups()
                found.append(Word(text, number, float(x0), float(x1), float(y0), float(y1)))
        return found, (float(size.group(1)), float(size.group(2)))

    return words


def course(
    code: str,
    title: str,
    *,
    grade: str | None = "A",
    ects: str | None = "5",
    status: m.LoiStatus | None = m.LoiStatus.PASSED,
    titles: Sequence[m.LangText] = (),
) -> m.LearningOpportunitySpecification:
    return m.LearningOpportunitySpecification(
        titles=(m.LangText(title, "en"), *titles),
        identifiers=(m.Identifier("local", code),),
        type=m.LosType.COURSE,
        specifies=m.LearningOpportunityInstance(
            status=status,
            result_label=grade,
            credits=(m.Credit("ECTS", Decimal(ects)),) if ects is not None else (),
            date=dt.date(2025, 1, 20),
        ),
    )


def document(
    *los: m.LearningOpportunitySpecification,
    learner: m.Learner | None = None,
    issuer_title: str = "University of Testing",
    schemes: Sequence[m.GradingScheme] = (),
) -> m.Elmo:
    return m.Elmo(
        learner=learner or m.Learner(given_names="Anna", family_name="Berg", birth_date=dt.date(2001, 2, 3)),
        reports=(
            m.Report(
                issuer=m.Issuer(
                    (m.Identifier("schac", "test.example"),),
                    (m.LangText(issuer_title, "en"),),
                    "https://test.example",
                    "SE",
                ),
                learning_opportunity_specifications=los,
                issue_date=WHEN,
                grading_schemes=tuple(schemes),
            ),
        ),
        generated_date=dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    )
