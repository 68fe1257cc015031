"""The documents a data provider hands over (the signed ELMO, its PDF transcript, an ELM credential
later), checked and arranged into the parts of an evidence response."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emrex.elmo.model import Elmo
from emrex.elmo.reader import read_elmo
from emrex.errors import EmrexError
from emrex.oots.errors import EvidenceRefused
from emrex.oots.model import EvidencePart, Role
from emrex.xml import localname, parse_untrusted

ELMO_MEDIA = "application/xml"
PDF_MEDIA = "application/pdf"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


@dataclass(frozen=True)
class Document:
    """One document of the evidence, before it becomes a part of the response."""

    content: bytes = field(repr=False)
    media_type: str
    title: str


def read_signed_elmo(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Elmo:
    """The model of a signed ELMO document; ``EvidenceRefused`` when it is not one."""
    if len(data) > max_bytes:
        raise EvidenceRefused(
            f"the ELMO document of {len(data)} bytes is larger than the limit of {max_bytes}"
        )
    try:
        root = parse_untrusted(data, max_bytes=max_bytes).getroot()
        if localname(root) != "elmo":
            raise EvidenceRefused(f"the document is not an ELMO document (root element {localname(root)})")
        if not any(c.tag == _DS_SIGNATURE for c in root):
            raise EvidenceRefused("the ELMO document is not signed")
        return read_elmo(data, max_bytes=max_bytes).elmo
    except EvidenceRefused:
        raise
    except EmrexError as error:
        raise EvidenceRefused(f"the ELMO document cannot be read: {error}") from None


def check_pdf(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
    if len(data) > max_bytes:
        raise EvidenceRefused(f"the PDF of {len(data)} bytes is larger than the limit of {max_bytes}")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise EvidenceRefused("the transcript is not a PDF document")


def arrange(
    documents: Sequence[Document],
    requested_format: str | None,
    *,
    new_id: Callable[[], str],
    cid_domain: str,
) -> tuple[EvidencePart, ...]:
    """The parts of the response: the document in the requested format is the main evidence (the
    ELMO when none matches); a PDF beside it is its human-readable version, anything else an annex."""
    if not documents:
        raise EvidenceRefused("there is no document to send")
    main_index = next((i for i, d in enumerate(documents) if d.media_type == requested_format), None)
    if main_index is None:
        main_index = next((i for i, d in enumerate(documents) if d.media_type == ELMO_MEDIA), 0)
    parts = []
    for index, document in enumerate(documents):
        if index == main_index:
            role = Role.MAIN
        elif document.media_type == PDF_MEDIA:
            role = Role.HUMAN_READABLE
        else:
            role = Role.ANNEX
        identifier = new_id()
        parts.append(
            EvidencePart(
                content=document.content,
                media_type=document.media_type,
                role=role,
                title=document.title,
                cid=f"{identifier}@{cid_domain}",
                identifier=identifier,
            )
        )
    parts.sort(key=lambda p: p.role is not Role.MAIN)
    return tuple(parts)
