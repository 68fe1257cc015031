"""Supplying values a document lacks, by path: ``report[1].issuer.url=https://www.ku.dk``.

Real documents often miss a value the XSD requires (Danish ones carry no issuer URL), so they cannot be
written as ELMO 1.7. ``set_value`` returns the model with one value set; the paths are the ones the
validation messages use (``report[N]`` counts from 1; ``report[*]`` sets it in every report).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from emrex.elmo import model as m
from emrex.elmo.errors import ElmoEditError

_REPORT = re.compile(r"^report\[(\d+|\*)\]\.(.+)$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_IDENTIFIER_TYPE = re.compile(r"^[A-Za-z][\w.-]{0,63}$")
MAX_VALUE = 2000

# The paths that can be set, as validation names them (N: a report number).
SETTABLE = (
    "generatedDate",
    "report[N].issueDate",
    "report[N].issuer.url",
    "report[N].issuer.title",
    "report[N].issuer.country",
    "report[N].issuer.identifier.TYPE",
)


def settable(path: str) -> bool:
    """Whether a validation path (``report[1].issuer.url``) can be given with ``set_value``."""
    general = re.sub(r"^report\[\d+\]", "report[N]", path)
    return general in SETTABLE


def parse_assignment(text: str) -> tuple[str, str]:
    """``PATH=VALUE`` as (path, value); ElmoEditError when there is no ``=`` or no path."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ElmoEditError(f"{text[:80]!r} is not PATH=VALUE (for example report[1].issuer.url=https://…)")
    return path.strip(), value.strip()


def set_value(elmo: m.Elmo, path: str, value: str) -> m.Elmo:
    """The model with the value at ``path`` set; ElmoEditError names what is wrong."""
    if len(value) > MAX_VALUE:
        raise ElmoEditError(f"{path}: the value is longer than {MAX_VALUE} characters")
    if not value:
        raise ElmoEditError(f"{path}: the value is empty")
    if path == "generatedDate":
        return dataclasses.replace(elmo, generated_date=_moment(path, value))
    found = _REPORT.match(path)
    if found is None:
        raise ElmoEditError(f"{path}: cannot be set (settable: {', '.join(SETTABLE)})")
    change = _report_change(path, found.group(2), value)
    number = found.group(1)
    if number == "*":
        return dataclasses.replace(elmo, reports=tuple(change(r) for r in elmo.reports))
    index = int(number)
    if not 1 <= index <= len(elmo.reports):
        raise ElmoEditError(f"{path}: the document has {len(elmo.reports)} report(s), counted from 1")
    reports = list(elmo.reports)
    reports[index - 1] = change(reports[index - 1])
    return dataclasses.replace(elmo, reports=tuple(reports))


def _report_change(path: str, field: str, value: str) -> Callable[[m.Report], m.Report]:
    if field == "issueDate":
        moment = _moment(path, value)
        return lambda r: dataclasses.replace(r, issue_date=moment)
    if field == "issuer.url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ElmoEditError(f"{path}: {value[:80]!r} is not an http(s) URL")
        return _issuer(lambda i: dataclasses.replace(i, url=value))
    if field == "issuer.title":
        return _issuer(lambda i: dataclasses.replace(i, titles=(m.LangText(value, "en"),)))
    if field == "issuer.country":
        if not _COUNTRY.match(value):
            raise ElmoEditError(f"{path}: {value[:80]!r} is not an upper-case two-letter country code")
        return _issuer(lambda i: dataclasses.replace(i, country=value))
    if field.startswith("issuer.identifier."):
        kind = field.removeprefix("issuer.identifier.")
        if not _IDENTIFIER_TYPE.match(kind):
            raise ElmoEditError(f"{path}: {kind[:80]!r} is not an identifier type (schac, erasmus, pic, …)")

        def identify(issuer: m.Issuer) -> m.Issuer:
            others = tuple(i for i in issuer.identifiers if i.type != kind)
            return dataclasses.replace(issuer, identifiers=(m.Identifier(kind, value), *others))

        return _issuer(identify)
    raise ElmoEditError(f"{path}: cannot be set (settable: {', '.join(SETTABLE)})")


def _issuer(change: Callable[[m.Issuer], m.Issuer]) -> Callable[[m.Report], m.Report]:
    return lambda report: dataclasses.replace(report, issuer=change(report.issuer))


def _moment(path: str, value: str) -> dt.datetime:
    """A date and time with its zone; a date alone is that day's start in UTC."""
    try:
        if len(value) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ElmoEditError(
            f"{path}: {value[:80]!r} is not a date like 2017-01-31 or 2017-01-31T12:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ElmoEditError(f"{path}: {value[:80]!r} has no time zone (add Z or +01:00)")
    return moment
