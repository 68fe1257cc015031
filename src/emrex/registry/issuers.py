"""Is the issuer of each report one of the institutions the registry lists for the EMP that signed?

A signature proves which EMP signed, not that the institution named as issuer is one it serves: an
EMP's key can sign a report that names any university. The registry lists an EMP's institutions as
text (EMREG ``institutions``, the EWP entry's ``institution``), written as a SCHAC code
(``uio.no``), an Erasmus code (``N OSLO01``), a PIC (nine digits), ``All`` (every institution of
the EMP's country) or a name. An issuer matches an entry by the identifier of that kind it carries,
or, for a name, by one of its titles; a country it states must be the EMP's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from emrex.elmo import model as m
from emrex.registry.model import Emp

ALL = "all"
_PIC = re.compile(r"^\d{9}$")
_ERASMUS = re.compile(r"^[A-Z]{1,3}\s+[A-Z][A-Z-]*\d{2}$", re.IGNORECASE)
_SCHAC = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", re.IGNORECASE)


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _compact(text: str) -> str:
    return "".join(text.split()).casefold()


def entry_kind(entry: str) -> str:
    """``all``, ``pic``, ``erasmus``, ``schac`` or ``name``: how a registry entry names an institution."""
    text = entry.strip()
    if text.casefold() == ALL:
        return ALL
    if _PIC.match(text):
        return "pic"
    if _ERASMUS.match(text):
        return "erasmus"
    if _SCHAC.match(text):
        return "schac"
    return "name"


def listed(issuer: m.Issuer, entry: str) -> bool:
    """Whether ``issuer`` is the institution the registry entry names (the country apart)."""
    kind = entry_kind(entry)
    if kind == ALL:
        return True
    if kind == "name":
        return any(_plain(t.text) == _plain(entry) for t in issuer.titles)
    value = issuer.identifier(kind)
    return value is not None and _compact(value) == _compact(entry)


def issuer_problems(reports: Iterable[m.Report], emp: Emp, language: str = "en") -> tuple[str, ...]:
    """One line per report whose issuer the registry does not list for ``emp``; empty when all are."""
    entries: Sequence[str] = [e for e in emp.institutions if e.strip()] or [ALL]
    everywhere = any(entry_kind(e) == ALL for e in entries)
    problems: list[str] = []
    for report in reports:
        issuer = report.issuer
        name = _describe(issuer, language)
        country = (issuer.country or "").strip().upper()
        if country and country != emp.country_code:
            problems.append(
                f"the issuer {name} is in {country}, "
                f"but {emp.acronym} serves institutions in {emp.country_code}"
            )
        elif everywhere and not country:
            problems.append(
                f"the issuer {name} states no country, so it cannot be told whether {emp.acronym} "
                f"serves it (the registry lists every institution in {emp.country_code})"
            )
        elif not any(listed(issuer, e) for e in entries):
            problems.append(
                f"the issuer {name} is not one of the institutions the registry lists for "
                f"{emp.acronym} ({'; '.join(entries)})"
            )
    return tuple(problems)


def _describe(issuer: m.Issuer, language: str) -> str:
    title = issuer.title(language, "en") or "(no name)"
    ids = [f"{kind} {value}" for kind in ("schac", "erasmus", "pic") if (value := issuer.identifier(kind))]
    return f"{title!r}" + (f" ({', '.join(ids)})" if ids else "")
