"""The decision document: what it says in English and Swedish, the appeal notice only when something was
not granted, no grade for what is credited, and the same case always giving the same bytes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest

from emrex.emc.recognition.document import Issuing, render_decision
from emrex.emc.recognition.models import Basis, Case, Item, ItemBasis
from tests.transcript.conftest import PdfText, read_pdf

__all__ = ["read_pdf"]
ISSUING = Issuing(
    institution="Lindholm University",
    appeal_weeks=3,
    appeal_address="Registrar, Box 100, 412 96 Lindholm",
    legal_basis="Higher Education Ordinance (1993:100) ch. 6 §§ 6–8",
)


def decided_case(*outcomes: tuple[str, str | None, str | None]) -> Case:
    """A decided case with one item per (outcome, granted credits, reason), all resting on one basis."""
    basis = Basis(
        id=1, source="emrex", source_ref="7", issuer="Kyklades University", issuer_id="kyklades.example",
        issuer_country="GR", code="BIO305", title="Marine Ecology of the Aegean", grade="7", credits="7.5",
        credit_scheme="ECTS", level=None, end_date=dt.date(2026, 6, 30), issuer_key="kyklades.example",
        code_key="bio305",
    )  # fmt: skip
    targets = [
        ("BI1034", {"en": "Marine Ecology", "sv": "Marin ekologi"}),
        ("BI1040", {"en": "Oceanography"}),
    ]
    items = []
    for index, (outcome, granted, reason) in enumerate(outcomes):
        code, titles = targets[index % len(targets)]
        items.append(
            Item(
                id=index + 1, kind="course", code=code, titles=json.dumps(titles), credits="7.5",
                outcome=outcome, granted_credits=granted, reason=reason, links=[ItemBasis(basis_id=1)],
            )
        )  # fmt: skip
    return Case(
        id=42, number="CR-2026-00042", student="chloe", student_name="Chloé Åsa Lindqvist Núñez",
        student_birth_date=dt.date(2001, 4, 17), status="decided", version=5, motivation="",
        submitted_at=dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC),
        decided_at=dt.datetime(2026, 9, 20, 14, tzinfo=dt.UTC),
        decided_by="karin", decided_by_name="Karin Registrar", expert_name="Dr Maria Georgiou",
        expert_statement="Equivalent.", bases=[basis], items=items,
    )  # fmt: skip


def test_a_granted_decision_in_english_has_no_appeal_notice(read_pdf: Callable[[bytes], PdfText]) -> None:
    pdf = render_decision(decided_case(("granted", "7.5", None)), ISSUING, "en")
    text = read_pdf(pdf).text
    for expected in (
        "Lindholm University",
        "Decision on credit recognition",
        "Case number CR-2026-00042",
        "Chloé Åsa Lindqvist Núñez",
        "Date of birth 2001-04-17",
        "Application received 2026-09-01",
        "Date of decision 2026-09-20",
        "Decided by Karin Registrar",
        "Subject expert consulted Dr Maria Georgiou",
        "BI1034 Marine Ecology",
        "Granted (7.5 credits)",
        "BIO305 Marine Ecology of the Aegean",
        "Kyklades University · 7.5 ECTS, grade 7, 2026-06-30",
        "A credited course, or credits, carry no grade.",
        "Legal basis: Higher Education Ordinance (1993:100) ch. 6 §§ 6–8",
    ):
        assert expected in text, (expected, text)
    assert "appeal" not in text.lower()


def test_a_partly_granted_or_refused_decision_says_how_to_appeal_in_swedish(
    read_pdf: Callable[[bytes], PdfText],
) -> None:
    case = decided_case(
        ("partly", "6", "The laboratory part is missing."), ("refused", None, "No oceanography.")
    )
    text = read_pdf(render_decision(case, ISSUING, "sv")).text
    for expected in (
        "Beslut om tillgodoräknande",
        "Ärendenummer CR-2026-00042",
        "BI1034 Marin ekologi",
        "BI1040 Oceanography",  # no Swedish title: the English one
        "Delvis bifall: 6 av 7,5 hp",
        "The laboratory part is missing.",
        "Avslag",
        "No oceanography.",
        "En tillgodoräknad kurs",
        "Rättslig grund: Higher Education Ordinance",
        "Hur man överklagar",
        "ärendenummer CR-2026-00042",
        "inom tre veckor",
        "Skicka överklagandet till: Registrar, Box 100, 412 96 Lindholm",
    ):
        assert expected in text, (expected, text)
    english = read_pdf(render_decision(case, ISSUING, "en")).text
    assert "How to appeal" in english and "within three weeks of the day you received" in english


def test_the_same_decision_gives_the_same_bytes_and_markup_is_text(
    read_pdf: Callable[[bytes], PdfText],
) -> None:
    case = decided_case(("refused", None, "<b>not</b> & <script>x</script>"))
    first = render_decision(case, ISSUING, "en")
    assert first == render_decision(case, ISSUING, "en")
    assert "<b>not</b> & <script>x</script>" in read_pdf(first).text


def test_an_undecided_case_has_no_document() -> None:
    case = decided_case(("granted", "7.5", None))
    case.decided_at = None
    with pytest.raises(ValueError, match="no decision"):
        render_decision(case, ISSUING, "en")


def test_the_appeal_period_is_written_out(read_pdf: Callable[[bytes], PdfText]) -> None:
    case = decided_case(("refused", None, "Different level."))
    one = Issuing(institution="Lindholm University", appeal_weeks=1)
    assert "within one week of" in read_pdf(render_decision(case, one, "en")).text
    many = Issuing(institution="Lindholm University", appeal_weeks=12)
    assert "inom 12 veckor" in read_pdf(render_decision(case, many, "sv")).text
