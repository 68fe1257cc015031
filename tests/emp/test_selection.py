"""What is offered and what a selection sends (pure functions on the ELMO model)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo
from emrex.elmo.schema import validate_xsd
from emrex.elmo.writer import write_elmo
from emrex.emp.document import build, selected_elmo
from emrex.emp.selection import catalogue, credits_text
from emrex.emp.sources.base import LearnerResults
from emrex.trust.ca import Issued
from emrex.trust.signer import Signer
from emrex.trust.verifier import verify
from emrex.web.i18n import Catalogs
from emrex.web.pages import Pages
from emrex.web.settings import WebSettings

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def _results() -> LearnerResults:
    elmo = sample_elmo(courses=12)
    return LearnerResults(elmo.learner, list(elmo.reports))


def test_failed_and_in_progress_results_are_hidden_unless_allowed() -> None:
    hidden = catalogue(_results(), allow_not_passed=False)
    shown = catalogue(_results(), allow_not_passed=True)
    statuses = {row.status for row in hidden.rows if row.offered}
    assert m.LoiStatus.FAILED not in statuses and m.LoiStatus.IN_PROGRESS not in statuses
    assert {m.LoiStatus.FAILED, m.LoiStatus.IN_PROGRESS} <= {row.status for row in shown.rows}
    assert shown.offered_count > hidden.offered_count


def test_a_picked_course_keeps_its_ancestors_without_their_results_and_without_siblings() -> None:
    found = catalogue(_results(), allow_not_passed=False)
    deep = max((row for row in found.rows if row.offered), key=lambda row: row.depth)
    assert deep.depth >= 2
    (report,) = found.reports([deep.key])
    nodes = list(report.iter_los())
    assert [depth for depth, _ in nodes] == list(range(deep.depth + 1))
    for _, los in nodes[:-1]:
        assert los.specifies is None or (not los.specifies.credits and los.specifies.result_label is None)
    picked = nodes[-1][1]
    assert picked.specifies is not None and picked.specifies == dataclasses.replace(
        deep.los.specifies, attachment_refs=()
    )
    assert found.credits([deep.key]) == deep.credits


def test_only_referenced_grading_schemes_and_no_source_attachments() -> None:
    found = catalogue(_results(), allow_not_passed=False)
    first = next(row for row in found.rows if row.offered and row.loi and row.loi.grading_scheme_local_id)
    (report,) = [r for r in found.reports([first.key])]
    assert [g.local_id for g in report.grading_schemes] == [first.loi.grading_scheme_local_id]
    assert report.attachments == ()


def test_credits_are_not_counted_twice() -> None:
    found = catalogue(_results(), allow_not_passed=True)
    everything = found.selectable_keys
    expected = sum((r.total_ects() for r in _results().reports), Decimal(0))
    assert found.credits(everything) == expected


def test_whole_programme_rule_picks_roots_and_sends_their_offered_trees() -> None:
    found = catalogue(_results(), allow_not_passed=False, whole_programme_only=True)
    assert all(row.depth == 0 for row in found.rows if row.selectable)
    root = found.selectable_keys[0]
    sent = found.sent_keys([root])
    assert sent == {
        row.key for row in found.rows if row.offered and row.key.startswith(root.split(":")[0] + ":")
    }


def test_the_document_of_a_rich_selection_is_valid_and_dated_with_a_time_zone(schema_dir: Path) -> None:
    found = catalogue(_results(), allow_not_passed=True)
    elmo = selected_elmo(found, found.selectable_keys, now=NOW)
    report = validate_xsd(write_elmo(elmo), schema_dir)
    assert report.valid, report
    assert elmo.generated_date == NOW and all(r.issue_date == NOW for r in elmo.reports)
    assert len(elmo.reports) == len(_results().reports)


def test_build_attaches_the_pdf_then_signs(signer: Signer, schema_dir: Path) -> None:
    found = catalogue(_results(), allow_not_passed=False)
    built = build(found, found.selectable_keys[:3], signer, language="sv", now=NOW)
    verified = verify(built.xml, signer.certificate)
    assert validate_xsd(verified.signed_xml, schema_dir).valid
    (attachment,) = built.elmo.attachments
    assert attachment.type is m.AttachmentType.EMREX_TRANSCRIPT
    media_type, pdf = attachment.payload()
    assert media_type == "application/pdf" and pdf.startswith(b"%PDF-")
    assert built.elmo.generated_date is not None and built.elmo.generated_date.utcoffset() is not None


def test_build_seals_the_pdf_transcript_when_configured(signer: Signer, emp_ca: Issued) -> None:
    from emrex.emp.runtime import transcript_sealer
    from emrex.seal import PdfNotSealed
    from emrex.seal.pdf import verify_pdf_seal

    found = catalogue(_results(), allow_not_passed=False)
    sealed = build(
        found, found.selectable_keys[:2], signer, now=NOW, transcript_sealer=transcript_sealer(signer)
    )
    verify(sealed.xml, signer.certificate)  # the ELMO signature still covers the document with the sealed PDF
    _, pdf = sealed.elmo.attachments[0].payload()
    result = verify_pdf_seal(pdf, trust=[emp_ca.certificate])
    assert result.accepted and result.certificate == signer.certificate
    _, plain = build(found, found.selectable_keys[:2], signer, now=NOW).elmo.attachments[0].payload()
    with pytest.raises(PdfNotSealed):
        verify_pdf_seal(plain)


CREDITS = ["0", "0.0", "7.5", "7.50", "30", "30.0", "1E+1", "2.5E+1", "0.125", "12.3450", "-1.5", "1000"]


@pytest.mark.parametrize("value", [None, *CREDITS])
def test_credits_are_written_as_the_macro_writes_them(value: str | None) -> None:
    """The rows' credits (Python) and the totals' (macro ``credits_text``) read alike."""
    templates = Path(__file__).parents[2] / "src/emrex/emp/templates"
    pages = Pages(
        WebSettings(base_url="https://emp.example"), Catalogs(["en"]), title="T", templates_dirs=[templates]
    )
    macro = pages.env.from_string('{% from "emp/macros.html" import credits_text %}{{ credits_text(value) }}')
    number = None if value is None else Decimal(value)
    assert credits_text(number) == macro.render(value=number, _translations=pages.catalogs.get("en"))
