"""The wording of the decision document in English and Swedish (a plain table, as the transcript's).

The appeal notice names no country's authority: it says where to send the appeal (the institution,
``emc.recognition.appeal_address``), within how many weeks (``appeal_weeks``) and that the institution
passes it on; ``legal_basis`` cites the rules the decision rests on, in the deployment's own words.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Final

_EN: Final = {
    "title": "Decision on credit recognition",
    "case_number": "Case number",
    "student": "Student",
    "birth_date": "Date of birth",
    "submitted": "Application received",
    "decided": "Date of decision",
    "decided_by": "Decided by",
    "expert": "Subject expert consulted",
    "decision": "Decision",
    "col_target": "Applied for",
    "col_outcome": "Decision",
    "col_basis": "Basis: foreign results",
    "col_reason": "Reason",
    "granted": "Granted",
    "partly": "Partly granted: {granted} of {credits} credits",
    "refused": "Refused",
    "credits": "{credits} credits",
    "without_course": "Credits without a matching course",
    "grade": "grade",
    "no_grade": "A credited course, or credits, carry no grade.",
    "legal_basis": "Legal basis: {basis}",
    "appeal_heading": "How to appeal",
    "appeal": (
        "You may appeal against the parts of this decision that did not grant what you applied for. "
        "Write to {institution}: say which decision you appeal against (case number {number}), how you "
        "want it changed and why, and sign your appeal. It must reach {institution} within {weeks} of "
        "the day you received this decision. {institution} first considers whether to change the "
        "decision itself; if it does not change it as you ask, it passes your appeal on to the body that "
        "hears appeals."
    ),
    "appeal_address": "Send your appeal to: {address}",
    "footer": "{institution} · decision {number}",
    "page": "page {page}",
}

_SV: Final = {
    "title": "Beslut om tillgodoräknande",
    "case_number": "Ärendenummer",
    "student": "Student",
    "birth_date": "Födelsedatum",
    "submitted": "Ansökan inkom",
    "decided": "Beslutsdatum",
    "decided_by": "Beslutsfattare",
    "expert": "Ämnessakkunnig som yttrat sig",
    "decision": "Beslut",
    "col_target": "Ansökan avser",
    "col_outcome": "Beslut",
    "col_basis": "Underlag: utländska resultat",
    "col_reason": "Motivering",
    "granted": "Bifall",
    "partly": "Delvis bifall: {granted} av {credits} hp",
    "refused": "Avslag",
    "credits": "{credits} hp",
    "without_course": "Poäng utan motsvarande kurs",
    "grade": "betyg",
    "no_grade": "En tillgodoräknad kurs, eller tillgodoräknade poäng, har inget betyg.",
    "legal_basis": "Rättslig grund: {basis}",
    "appeal_heading": "Hur man överklagar",
    "appeal": (
        "Du kan överklaga de delar av beslutet som inte gav dig det du sökte. Skriv till {institution}: "
        "ange vilket beslut du överklagar (ärendenummer {number}), hur du vill att det ändras och varför, "
        "och underteckna överklagandet. Det ska ha kommit in till {institution} inom {weeks} från den dag "
        "du fick del av beslutet. {institution} prövar först om beslutet ska ändras; ändras det inte som "
        "du begär skickas överklagandet vidare till den instans som prövar överklaganden."
    ),
    "appeal_address": "Skicka överklagandet till: {address}",
    "footer": "{institution} · beslut {number}",
    "page": "sida {page}",
}

LABELS: Final = MappingProxyType({"en": MappingProxyType(_EN), "sv": MappingProxyType(_SV)})
LANGUAGES: Final = tuple(LABELS)
_NUMBERS: Final = {
    "en": ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    "sv": ("en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio"),
}
_WEEKS: Final = {"en": ("week", "weeks"), "sv": ("vecka", "veckor")}
_DECIMAL_MARK: Final = {"en": ".", "sv": ","}


class DecisionTexts:
    def __init__(self, language: str) -> None:
        self.language = language if language in LABELS else "en"
        self._labels = LABELS[self.language]

    def __getitem__(self, key: str) -> str:
        return self._labels[key]

    def weeks(self, count: int) -> str:
        words = _NUMBERS[self.language]
        number = words[count - 1] if 1 <= count <= len(words) else str(count)
        return f"{number} {_WEEKS[self.language][0 if count == 1 else 1]}"

    def decimal(self, value: str | Decimal) -> str:
        text = format(Decimal(value), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", _DECIMAL_MARK[self.language])
