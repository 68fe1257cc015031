"""Putting the PDF transcript into the ELMO document as its "EMREX transcript" attachment."""

from __future__ import annotations

import dataclasses

from emrex.elmo import model as m
from emrex.elmo.errors import ElmoError
from emrex.transcript.errors import TranscriptError
from emrex.transcript.texts import Texts

_PDF_MAGIC = b"%PDF-"
PDF_TYPES = (m.AttachmentType.EMREX_TRANSCRIPT, m.AttachmentType.TRANSCRIPT_OF_RECORDS)


def transcript_attachment(
    pdf: bytes, *, language: str = "en", identifiers: tuple[m.Identifier, ...] = ()
) -> m.Attachment:
    """An "EMREX transcript" attachment holding ``pdf`` as a data URI (base64 without line breaks)."""
    if not pdf.startswith(_PDF_MAGIC):
        raise TranscriptError("the transcript to attach is not a PDF (it does not start with %PDF-)")
    texts = Texts(language)
    lang = texts.language
    titles = [m.LangText(texts["attachment_title"], lang)]
    descriptions = [m.LangText(texts["attachment_description"], lang)]
    if lang != "en":
        english = Texts("en")
        titles.append(m.LangText(english["attachment_title"], "en"))
        descriptions.append(m.LangText(english["attachment_description"], "en"))
    return m.Attachment(
        identifiers=identifiers,
        titles=tuple(titles),
        type=m.AttachmentType.EMREX_TRANSCRIPT,
        descriptions=tuple(descriptions),
        contents=(m.LangText(m.encode_data_uri("application/pdf", pdf), lang),),
    )


def attach(elmo: m.Elmo, pdf: bytes, *, language: str = "en") -> m.Elmo:
    """``elmo`` with ``pdf`` as its document-level "EMREX transcript" attachment.

    An existing EMREX transcript is replaced in place (the new one keeps its identifiers, so references
    from results still resolve); without one, the transcript becomes the first attachment. The result
    is unsigned: sign it after attaching.
    """
    old = [a for a in elmo.attachments if a.type is m.AttachmentType.EMREX_TRANSCRIPT]
    identifiers = tuple(dict.fromkeys(i for a in old for i in a.identifiers))
    new = transcript_attachment(pdf, language=language, identifiers=identifiers)
    attachments: list[m.Attachment] = []
    placed = False
    for existing in elmo.attachments:
        if existing.type is not m.AttachmentType.EMREX_TRANSCRIPT:
            attachments.append(existing)
        elif not placed:
            attachments.append(new)
            placed = True
    if not placed:
        attachments.insert(0, new)
    return dataclasses.replace(elmo, attachments=tuple(attachments), signed=False)


def transcript_pdf(elmo: m.Elmo) -> bytes | None:
    """The human-readable PDF the document carries (an EMREX transcript or transcript of records first),
    if it really is a PDF."""
    attachments = list(elmo.all_attachments())
    ranked = [a for a in attachments if a.type in PDF_TYPES] + [
        a for a in attachments if a.type not in PDF_TYPES
    ]
    for attachment in ranked:
        for index in range(len(attachment.contents)):
            try:
                media_type, data = attachment.payload(index)
            except ElmoError:
                continue
            if media_type == "application/pdf" and data.startswith(_PDF_MAGIC):
                return data
    return None
