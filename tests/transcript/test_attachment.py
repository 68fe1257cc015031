"""attach() puts the PDF into the document as its one "EMREX transcript", ready to sign and send."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.schema import validate_xsd
from emrex.elmo.writer import write_elmo
from emrex.transcript import TranscriptError, attach, render_transcript

from .conftest import WHEN, course, document

PDF = b"%PDF-1.4\n% a stand-in; attach() only checks the PDF header\n%%EOF\n"


def transcripts(elmo: m.Elmo) -> list[m.Attachment]:
    return [a for a in elmo.all_attachments() if a.type is m.AttachmentType.EMREX_TRANSCRIPT]


def test_a_document_without_a_transcript_gets_one_first() -> None:
    other = m.Attachment(titles=(m.LangText("Diploma", "en"),), type=m.AttachmentType.DIPLOMA)
    elmo = dataclasses.replace(document(course("C1", "Optics")), attachments=(other,))
    attached = attach(elmo, PDF)
    assert attached.attachments[1] == other
    new = attached.attachments[0]
    assert new.type is m.AttachmentType.EMREX_TRANSCRIPT
    assert new.titles == (m.LangText("EMREX transcript of records", "en"),)
    assert new.payload() == ("application/pdf", PDF)
    content = new.contents[0]
    assert content.lang == "en"
    assert content.text.startswith("data:application/pdf;base64,")
    assert not any(c.isspace() for c in content.text), "xs:token content: base64 without line breaks"
    assert attached.reports == elmo.reports and attached.learner == elmo.learner


def test_an_existing_transcript_is_replaced_in_place_keeping_its_identifiers() -> None:
    elmo = sample_elmo(8)
    old = transcripts(elmo)
    assert len(old) == 1 and old[0].internal_ids == ("transcript-1",)
    diploma = m.Attachment(type=m.AttachmentType.DIPLOMA, titles=(m.LangText("Diploma", "en"),))
    second = m.Attachment(
        identifiers=(m.Identifier("internal", "t2"),), type=m.AttachmentType.EMREX_TRANSCRIPT
    )
    elmo = dataclasses.replace(elmo, attachments=(diploma, *elmo.attachments, second))
    attached = attach(elmo, PDF)
    assert [a.type for a in attached.attachments] == [
        m.AttachmentType.DIPLOMA,
        m.AttachmentType.EMREX_TRANSCRIPT,
    ]
    new = attached.attachments[1]
    assert new.internal_ids == ("transcript-1", "t2"), "references from results still resolve"
    assert new.payload() == ("application/pdf", PDF)


def test_swedish_titles_with_english_beside_them() -> None:
    new = attach(document(), PDF, language="sv").attachments[0]
    assert new.titles == (
        m.LangText("EMREX-resultatintyg", "sv"),
        m.LangText("EMREX transcript of records", "en"),
    )
    assert new.contents[0].lang == "sv"


def test_only_a_pdf_can_be_attached() -> None:
    for data in (b"", b"<html>%PDF-</html>", b"GIF89a"):
        with pytest.raises(TranscriptError, match="not a PDF"):
            attach(document(), data)


def test_the_result_is_no_longer_marked_signed() -> None:
    elmo = dataclasses.replace(document(), signed=True)
    assert attach(elmo, PDF).signed is False


def test_the_attached_document_writes_valid_elmo_and_reads_back(schema_dir: Path) -> None:
    elmo = sample_elmo(20)
    pdf = render_transcript(elmo, generated_at=WHEN)
    xml = write_elmo(attach(elmo, pdf, language="sv"))
    report = validate_xsd(xml, schema_dir, version="1.7.0")
    assert report.valid, [str(e) for e in report.errors]
    back = read_elmo(xml).elmo
    (found,) = transcripts(back)
    assert found.payload() == ("application/pdf", pdf)
    assert found.internal_ids == ("transcript-1",)
