"""Label strings of the transcript (English and Swedish) and how values are written as text.

A plain table rather than gettext catalogs: the core must not depend on the web layer's locale files.
Dates are ISO 8601 in every language, so a reader abroad cannot misread day and month.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from babel import Locale

from emrex.elmo.model import LoiStatus, LosType

_EN: Final = {
    "title": "EMREX transcript of records",
    "original_note": (
        "This PDF is a human-readable copy. The original is the signed ELMO XML document it came "
        "with: only that document's signature proves the data."
    ),
    "pdf_generated": "PDF generated",
    "document_generated": "ELMO document generated",
    "learner": "Student",
    "given_names": "Given names",
    "family_name": "Family name",
    "alternative_name": "Name in original script",
    "birth_date": "Date of birth",
    "place_of_birth": "Place of birth",
    "birth_name": "Name at birth",
    "citizenship": "Citizenship",
    "identifiers": "Identifiers",
    "issuer": "Issuing institution",
    "names": "Names",
    "country": "Country",
    "website": "Website",
    "issued": "Issued",
    "col_code": "Code",
    "col_title": "Title",
    "col_type": "Type",
    "col_term": "Term, date",
    "col_date": "Date",
    "col_grade": "Grade",
    "col_status": "Status",
    "col_credits": "Credits",
    "language": "Language",
    "level": "Level",
    "grading_scheme": "Grading scheme",
    "since": "from {date}",
    "no_results": "No results from this institution were shared.",
    "grading_schemes": "Grading schemes",
    "report_total": "Credits passed at this institution",
    "overall_total": "Credits passed in all",
    "totals_note": "Failed results and results in progress are not counted; no credit is counted twice.",
    "none": "none",
    "missing_glyphs": (
        "Some characters of this document are not in the PDF's font and are left out here; "
        "the XML document has them."
    ),
    "footer": "EMREX transcript of records",
    "page": "page {page} of {pages}",
    "attachment_title": "EMREX transcript of records",
    "attachment_description": "All results of this document as a PDF, for people to read.",
    LosType.DEGREE_PROGRAMME: "Degree programme",
    LosType.MODULE: "Module",
    LosType.COURSE: "Course",
    LosType.CLASS: "Class",
    LoiStatus.PASSED: "passed",
    LoiStatus.FAILED: "failed",
    LoiStatus.IN_PROGRESS: "in progress",
}

_SV: Final = {
    "title": "EMREX-resultatintyg",
    "original_note": (
        "Denna PDF är en läsbar kopia. Originalet är det signerade ELMO-dokumentet (XML) som den "
        "följde med: endast det dokumentets signatur styrker uppgifterna."
    ),
    "pdf_generated": "PDF skapad",
    "document_generated": "ELMO-dokument skapat",
    "learner": "Student",
    "given_names": "Förnamn",
    "family_name": "Efternamn",
    "alternative_name": "Namn i originalskrift",
    "birth_date": "Födelsedatum",
    "place_of_birth": "Födelseort",
    "birth_name": "Födelsenamn",
    "citizenship": "Medborgarskap",
    "identifiers": "Identifierare",
    "issuer": "Utfärdande lärosäte",
    "names": "Namn",
    "country": "Land",
    "website": "Webbplats",
    "issued": "Utfärdat",
    "col_code": "Kod",
    "col_title": "Benämning",
    "col_type": "Typ",
    "col_term": "Termin, datum",
    "col_date": "Datum",
    "col_grade": "Betyg",
    "col_status": "Status",
    "col_credits": "Poäng",
    "language": "Undervisningsspråk",
    "level": "Nivå",
    "grading_scheme": "Betygsskala",
    "since": "från {date}",
    "no_results": "Inga resultat från detta lärosäte delades.",
    "grading_schemes": "Betygsskalor",
    "report_total": "Godkända poäng vid detta lärosäte",
    "overall_total": "Godkända poäng totalt",
    "totals_note": "Underkända och pågående resultat räknas inte; inga poäng räknas två gånger.",
    "none": "inga",
    "missing_glyphs": (
        "Några tecken i dokumentet finns inte i PDF:ens typsnitt och saknas här; XML-dokumentet har dem."
    ),
    "footer": "EMREX-resultatintyg",
    "page": "sida {page} av {pages}",
    "attachment_title": "EMREX-resultatintyg",
    "attachment_description": "Alla resultat i detta dokument som PDF, för människor att läsa.",
    LosType.DEGREE_PROGRAMME: "Program",
    LosType.MODULE: "Modul",
    LosType.COURSE: "Kurs",
    LosType.CLASS: "Moment",
    LoiStatus.PASSED: "godkänd",
    LoiStatus.FAILED: "underkänd",
    LoiStatus.IN_PROGRESS: "pågående",
}

LABELS: Final = MappingProxyType({"en": MappingProxyType(_EN), "sv": MappingProxyType(_SV)})
LANGUAGES: Final = tuple(LABELS)
_DECIMAL_MARK: Final = {"en": ".", "sv": ","}


class Texts:
    """The labels and value formatting for one language (unknown languages get English labels).

    ``preferred`` is the language asked for, to pick among a document's titles, then English.
    """

    def __init__(self, language: str) -> None:
        primary = language.strip().lower().replace("_", "-").split("-")[0]
        self.language = primary if primary in LABELS else "en"
        self.preferred = (primary, "en") if primary else ("en",)
        self._labels = LABELS[self.language]

    def __getitem__(self, key: str) -> str:
        return self._labels[key]

    def decimal(self, value: Decimal) -> str:
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", _DECIMAL_MARK[self.language])

    def country(self, code: str) -> str:
        name = _territory(self.language, code.strip().upper())
        return f"{name} ({code})" if name else code

    def language_name(self, code: str) -> str:
        return _language(self.language, code.strip().lower()) or code


def date_text(value: dt.date) -> str:
    return value.isoformat()


def datetime_text(value: dt.datetime) -> str:
    """``2026-06-30 12:00 UTC+02:00``; a value without a time zone is written without one."""
    text = f"{value:%Y-%m-%d %H:%M}"
    offset = value.utcoffset()
    if offset is None:
        return text
    if not offset:
        return f"{text} UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text} UTC{sign}{hours:02d}:{mins:02d}"


@functools.lru_cache(maxsize=512)
def _territory(language: str, code: str) -> str | None:
    name = Locale.parse(language).territories.get(code)
    return str(name) if name else None


@functools.lru_cache(maxsize=512)
def _language(language: str, code: str) -> str | None:
    name = Locale.parse(language).languages.get(code)
    return str(name) if name else None
