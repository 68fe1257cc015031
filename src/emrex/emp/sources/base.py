"""What every results source takes and gives: the person the login named, and their ELMO results."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from emrex.elmo import model as m
from emrex.errors import EmrexError

# The order in which identifiers are tried when a source is not configured otherwise.
DEFAULT_IDENTIFIER_TYPES: tuple[str, ...] = ("nationalIdentifier", "esi", "eppn", "email", "local")
LOCAL = "local"


class SourceError(EmrexError):
    """Root of the failures of a results source; messages never carry personal data."""


class PersonNotFound(SourceError):
    """No record matches the person: the EMP lets the student answer NCP_NO_RESULTS or cancel."""


class SourceUnavailable(SourceError):
    """The source failed (timeout, HTTP error, unreadable answer): the EMP answers NCP_ERROR."""


@dataclass(frozen=True)
class PersonQuery:
    """What the login provided about the student. Sources match on identifiers only, never names."""

    identifiers: Mapping[str, str] = field(default_factory=dict)
    given_names: str = ""
    family_name: str = ""
    birth_date: dt.date | None = None

    def identifier(self, type_: str) -> str | None:
        value = self.identifiers.get(type_)
        return value.strip() or None if value is not None else None

    def candidates(self, types: Sequence[str]) -> list[tuple[str, str]]:
        """(type, value) for each of ``types`` the query carries, in the order of ``types``."""
        found = []
        for type_ in types:
            value = self.identifier(type_)
            if value is not None:
                found.append((type_, value))
        return found


@dataclass(frozen=True)
class LearnerResults:
    learner: m.Learner
    reports: list[m.Report]

    def los_count(self) -> int:
        return sum(1 for report in self.reports for _ in report.iter_los())


class ResultsSource(Protocol):
    def fetch(self, person: PersonQuery) -> LearnerResults: ...


def no_identifier(types: Sequence[str]) -> PersonNotFound:
    wanted = ", ".join(types) or "none configured"
    return PersonNotFound(f"the login gave none of the identifiers this source matches on ({wanted})")


def ensure_local_ids(report: m.Report) -> m.Report:
    """The report with a "local" identifier on every LOS, unique within the report.

    A LOS without one, or repeating one already used, gets ``auto-<path>`` from its position in the
    tree (``auto-2.1`` is the first part of the second top-level LOS), which is stable as long as the
    source answers the same way.
    """
    used: set[str] = set()
    for _, los in report.iter_los():
        value = los.identifier(LOCAL)
        if value is not None:
            used.add(value)
    seen: set[str] = set()
    changed = False

    def fix(
        nodes: Iterable[m.LearningOpportunitySpecification], path: str
    ) -> tuple[m.LearningOpportunitySpecification, ...]:
        nonlocal changed
        out = []
        for n, los in enumerate(nodes, 1):
            here = f"{path}.{n}" if path else str(n)
            parts = fix(los.has_part, here)
            value = los.identifier(LOCAL)
            identifiers = los.identifiers
            if value is None or value in seen:
                fresh = f"auto-{here}"
                while fresh in used or fresh in seen:
                    fresh += "x"
                identifiers = (
                    *(i for i in identifiers if i.type.casefold() != LOCAL),
                    m.Identifier(LOCAL, fresh),
                )
                value = fresh
                changed = True
            seen.add(value)
            if identifiers is not los.identifiers or parts != los.has_part:
                los = dataclasses.replace(los, identifiers=identifiers, has_part=parts)
            out.append(los)
        return tuple(out)

    roots = fix(report.learning_opportunity_specifications, "")
    if not changed:
        return report
    return dataclasses.replace(report, learning_opportunity_specifications=roots)


class SourceConfigError(SourceError):
    """A source's configuration cannot work (the message names the setting)."""
