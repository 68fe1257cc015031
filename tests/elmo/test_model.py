"""Helpers of the ELMO model: ECTS totals, tree walks, texts by language, data URIs."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from emrex.elmo import model as m
from emrex.elmo.errors import DataUriError


def node(
    title: str,
    ects: str | None = None,
    status: m.LoiStatus | None = None,
    *parts: m.LearningOpportunitySpecification,
) -> m.LearningOpportunitySpecification:
    credits = (m.Credit("ECTS", Decimal(ects)),) if ects else ()
    return m.LearningOpportunitySpecification(
        (m.LangText(title, "en"),),
        specifies=m.LearningOpportunityInstance(credits=credits, status=status),
        has_part=parts,
    )


def test_walk_is_depth_first_in_document_order_with_depth() -> None:
    tree = node(
        "D", None, None, node("M1", None, None, node("C1"), node("C2")), node("M2", None, None, node("C3"))
    )
    report = m.Report(learning_opportunity_specifications=(tree, node("X")))
    assert [(depth, los.title()) for depth, los in report.iter_los()] == [
        (0, "D"),
        (1, "M1"),
        (2, "C1"),
        (2, "C2"),
        (1, "M2"),
        (2, "C3"),
        (0, "X"),
    ]


def test_total_ects_counts_passed_courses_once() -> None:
    courses = (
        node("C1", "7.5"),
        node("C2", "5", m.LoiStatus.PASSED),
        node("C3", "10", m.LoiStatus.FAILED),
        node("C4", "15", m.LoiStatus.IN_PROGRESS),
    )
    report = m.Report(learning_opportunity_specifications=(node("D", None, None, *courses),))
    assert report.total_ects() == Decimal("12.5")
    assert report.total_ects(passed_only=False) == Decimal("37.5")
    assert m.Elmo(reports=(report, report)).total_ects() == 25


def test_total_ects_takes_the_highest_node_when_a_document_double_counts() -> None:
    degree = node("D", "120", None, node("C1", "30"), node("C2", "30"))
    assert m.total_ects((degree,)) == 120


def test_ects_scheme_is_case_insensitive_and_other_schemes_do_not_count() -> None:
    loi = m.LearningOpportunityInstance(
        credits=(m.Credit(" ects ", Decimal(3)), m.Credit("ECTS", Decimal(2)), m.Credit("hours", Decimal(40)))
    )
    assert loi.ects == 5
    assert m.LearningOpportunityInstance(credits=(m.Credit("ECTS"),)).ects is None
    assert m.LearningOpportunityInstance().effective_status is m.LoiStatus.PASSED


def test_best_text_prefers_the_asked_language_then_the_first() -> None:
    titles = (
        m.LangText("Matematik", "sv"),
        m.LangText("Mathematics", "en-GB"),
        m.LangText("Matematiikka", "fi"),
    )
    assert m.best_text(titles, "en") == "Mathematics"
    assert m.best_text(titles, "de", "FI") == "Matematiikka"
    assert m.best_text(titles, "de") == "Matematik"
    assert m.best_text((), "en") is None


def test_identifier_lookup_ignores_case_of_the_type() -> None:
    issuer = m.Issuer(identifiers=(m.Identifier("Erasmus", "SF TAMPERE01"), m.Identifier("pic", "1")))
    assert issuer.identifier("erasmus") == "SF TAMPERE01"
    assert issuer.identifier("schac") is None


def test_data_uri_decoding() -> None:
    pdf = b"%PDF-1.4 tiny"
    uri = m.encode_data_uri("application/pdf", pdf)
    assert "\n" not in uri
    assert m.decode_data_uri(uri) == ("application/pdf", pdf)
    wrapped = uri[:30] + "\n  " + uri[30:]
    assert m.decode_data_uri(wrapped) == ("application/pdf", pdf)
    assert m.decode_data_uri("data:,Hello%2C%20World") == ("text/plain", b"Hello, World")
    assert m.decode_data_uri("data:Text/HTML;charset=utf-8;base64," + base64.b64encode(b"<p>").decode()) == (
        "text/html",
        b"<p>",
    )


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/a.pdf",
        "data:application/pdf;base64,@@@@",
        "data:pdf;base64,AAAA",
        "data:application/pdf",
    ],
)
def test_bad_data_uris_raise(uri: str) -> None:
    with pytest.raises(DataUriError):
        m.decode_data_uri(uri)


def test_attachment_payload_and_internal_ids() -> None:
    attachment = m.Attachment(
        identifiers=(m.Identifier("internal", "t1"), m.Identifier("other", "x")),
        contents=(m.LangText(m.encode_data_uri("application/pdf", b"%PDF"), "en"),),
    )
    assert attachment.internal_ids == ("t1",)
    assert attachment.payload() == ("application/pdf", b"%PDF")
    with pytest.raises(DataUriError, match="no content number 2"):
        attachment.payload(1)


def test_models_are_immutable_values() -> None:
    a = node("C", "5")
    assert a == node("C", "5") and hash(a) == hash(node("C", "5"))
    with pytest.raises(AttributeError):
        a.titles = ()  # type: ignore[misc]
