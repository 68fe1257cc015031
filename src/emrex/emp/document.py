"""Building the document an EMP sends: ELMO 1.7 of the selection, its PDF transcript, signed, encoded."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from emrex.elmo import codec
from emrex.elmo import model as m
from emrex.elmo.writer import written_elmo
from emrex.emp.selection import Catalogue
from emrex.errors import EmrexError
from emrex.transcript import attach, render_transcript
from emrex.transcript.attachment import transcript_pdf as attached_pdf
from emrex.trust.signer import Signer

if TYPE_CHECKING:
    from emrex.seal.pdf import PdfSealer


class DocumentError(EmrexError):
    """The document could not be made (incomplete source data, signing impossible)."""


@dataclass(frozen=True)
class Built:
    elmo: m.Elmo
    xml: bytes  # signed
    transport: str  # base64(gzip(xml))


def selected_elmo(catalogue: Catalogue, picked: Iterable[str], *, now: dt.datetime) -> m.Elmo:
    """The ELMO model of the picked results (without attachment), dated ``now``."""
    if now.utcoffset() is None:
        raise ValueError("the generation time needs a time zone")
    reports = tuple(dataclasses.replace(report, issue_date=now) for report in catalogue.reports(picked))
    return m.Elmo(learner=catalogue.learner, reports=reports, generated_date=now)


def build(
    catalogue: Catalogue,
    picked: Iterable[str],
    signer: Signer,
    *,
    language: str = "en",
    now: dt.datetime | None = None,
    zone: ZoneInfo | dt.timezone = dt.UTC,
    transcript_sealer: PdfSealer | None = None,
) -> Built:
    """The signed, transport-encoded document of the picked results with its PDF transcript (sealed
    with PAdES when a ``transcript_sealer`` is given)."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(zone).replace(microsecond=0)
    elmo = selected_elmo(catalogue, picked, now=moment)
    if not elmo.reports:
        raise DocumentError("nothing was selected to send")
    try:
        pdf = render_transcript(elmo, language=language, generated_at=moment)
        if transcript_sealer is not None:
            pdf = transcript_sealer.seal(pdf)
        elmo = attach(elmo, pdf, language=language)
        written = written_elmo(elmo)
        signed = signer.sign_canonical(written.xml) if written.canonical else signer.sign(written.xml)
    except EmrexError as error:
        raise DocumentError(f"the document could not be made: {error}") from error
    return Built(elmo=elmo, xml=signed, transport=codec.encode(signed))


def transcript_pdf(elmo: m.Elmo) -> bytes:
    """The PDF transcript ``build`` attached to the ELMO."""
    pdf = attached_pdf(elmo)
    if pdf is None:
        raise DocumentError("the document carries no PDF transcript")
    return pdf
