"""Broken rules, named by their EDM ids, and the checker that collects them.

The official Schematron of the OOTS Technical Design Documents lives on code.europa.eu and cannot be
had offline, so the rules are written here by hand from their published texts. Rule ids are those of
the EDM line the message announces (``R-EDM-REQ-…``, ``R-EDM-RESP-…``, ``R-EDM-ERR-…``); checks of
our own, where the Schematron says nothing or we could not confirm its id, are named ``EMREX-OOTS-…``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from emrex.oots.names import OOTS_COUNTRIES

UUID = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}", re.IGNORECASE)
BARE_UUID = re.compile(r"\A" + UUID.pattern + r"\Z", re.IGNORECASE)
URN_UUID = re.compile(r"\Aurn:uuid:" + UUID.pattern + r"\Z", re.IGNORECASE)
DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_COUNTRY = "|".join(OOTS_COUNTRIES)
EIDAS_V2 = re.compile(rf"(?:(?:{_COUNTRY})/){{2}}\S{{6,256}}\Z", re.IGNORECASE)
EIDAS_V1 = re.compile(r"[a-z]{2}/[a-z]{2}/[a-z0-9]{9}", re.IGNORECASE)
CLASSIFICATION_V2 = re.compile(
    r"\Ahttps://sr(?:\.[a-zA-Z]+)?.oots.tech.ec.europa.eu/evidencetypeclassifications/"
    rf"(?:{_COUNTRY}|oots)/[a-f0-9]{{8}}-[a-f0-9]{{4}}-[a-f0-9]{{4}}-[a-f0-9]{{4}}-[a-f0-9]{{12}}\Z"
)
CLASSIFICATION_V1 = re.compile(
    r"https://sr.oots.tech.europa.eu/evidencetypeclassifications/[a-z]{2}/" + UUID.pattern + r"\Z",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: its id, what is wrong in words, and the line where it was found."""

    rule: str
    message: str
    line: int | None = None
    warning: bool = False  # a SHOULD of the specification: reported, never refused

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class Findings:
    """Collects violations while a checker walks a document."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(
        self, rule: str, message: str, at: etree._Element | None = None, *, warning: bool = False
    ) -> None:
        line: object = at.sourceline if at is not None else None
        self.violations.append(Violation(rule, message, line if isinstance(line, int) else None, warning))

    def count(self, rule: str, found: int, what: str, at: etree._Element, *, warning: bool = False) -> None:
        """A ``count(…)=1`` assertion: exactly one ``what``."""
        if found == 0:
            self.add(rule, f"{what} is missing", at, warning=warning)
        elif found > 1:
            self.add(rule, f"{what} is given {found} times; it must be given once", at, warning=warning)


def errors_only(violations: list[Violation] | tuple[Violation, ...]) -> tuple[Violation, ...]:
    return tuple(v for v in violations if not v.warning)


def summary(violations: tuple[Violation, ...] | list[Violation], limit: int = 3) -> str:
    """The first broken rules as one line, for an error response's detail or an exception message."""
    shown = "; ".join(str(v) for v in violations[:limit])
    more = len(violations) - limit
    return f"{shown} (and {more} more)" if more > 0 else shown
