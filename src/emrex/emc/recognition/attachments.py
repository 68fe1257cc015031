"""Attachments of an application: PDF files only, bounded in size, checked to be PDF before they are kept.

A file is accepted when it starts with a PDF header, ends with an end-of-file marker, and pyHanko's
strict reader opens it, finds its page tree with at least one page, and no encryption. Attachments are
only ever served as downloads (``application/pdf``, ``nosniff``), never shown inline.
"""

from __future__ import annotations

import io
import re
import unicodedata

from emrex.emc.recognition.errors import CaseError, _

MAX_FILENAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def check_pdf(data: bytes, limit: int) -> None:
    """CaseError unless ``data`` is a readable, unencrypted PDF of at most ``limit`` bytes."""
    if len(data) > limit:
        raise CaseError(_("The file is larger than %(size)s MB."), "too_large", size=limit // (1024 * 1024))
    if not data:
        raise CaseError(_("The file is empty."), "invalid")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise CaseError(_("The file is not a PDF document."), "invalid")
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        encrypted = bool(reader.encrypted)
        pages = int(reader.root["/Pages"]["/Count"]) if not encrypted else 0
    except Exception:  # whatever a damaged or hostile file makes the reader raise: not a PDF we keep
        raise CaseError(_("The file is not a readable PDF document."), "invalid") from None
    if encrypted:
        raise CaseError(_("The PDF is encrypted or password-protected; attach an open copy."), "invalid")
    if pages < 1:
        raise CaseError(_("The PDF has no pages."), "invalid")


def display_name(filename: str) -> str:
    """The uploaded file's name as shown: its last path part, printable, bounded, ending in .pdf."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable()).strip()[:MAX_FILENAME]
    if not name.lower().endswith(".pdf"):
        name = (name or "attachment")[: MAX_FILENAME - 4] + ".pdf"
    return name


def download_name(attachment_id: int, filename: str) -> str:
    """An ASCII file name for the Content-Disposition header (no quotes, no separators)."""
    stem = unicodedata.normalize("NFKD", filename[:-4]).encode("ascii", "ignore").decode("ascii")
    stem = _UNSAFE.sub("_", stem).strip("._-")[:60] or "attachment"
    return f"{attachment_id}-{stem}.pdf"
