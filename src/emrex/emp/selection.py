"""What the student may pick from their results, and the reports that a selection becomes.

Rules (see docs/EMP.md, "What is sent"):

- A result is *offered* when it is passed (or has no status), or any result when the client asked
  ``allowNotPassedCourses``. A result that is not offered but has offered results below it stays in
  the tree as a heading, so courses of a programme in progress can be shared.
- Each offered result is picked on its own: picking a programme does not pick its courses. With the
  whole-programme rule only top-level results are picked, and a pick sends the whole offered tree.
- What is sent: the picked results, plus their ancestors as context. A context ancestor keeps what
  describes it (titles, identifiers, type, codes, dates, term, status) but not its result (grade,
  credits, distribution, diploma supplement): the student did not pick that result, and credits are
  never counted twice. Unpicked siblings are left out.
- Attachments of the source (and the LOI references to them) are left out: a source transcript
  would show unpicked results. The EMP attaches its own PDF of exactly what is sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from emrex.elmo import model as m
from emrex.emp.sources.base import LearnerResults, ensure_local_ids

LOCAL = "local"


@dataclass(frozen=True)
class Row:
    """One line of the selection tree."""

    key: str
    depth: int
    los: m.LearningOpportunitySpecification
    offered: bool  # a result that may be sent (else a heading that gives structure)
    selectable: bool  # has a checkbox
    parent: str | None

    @property
    def loi(self) -> m.LearningOpportunityInstance | None:
        return self.los.specifies

    @property
    def credits(self) -> Decimal | None:
        return self.loi.ects if self.loi is not None else None

    @property
    def credits_text(self) -> str:
        """The credits as the pages write them (macro ``credits_text``): ``7.5``, ``30``, or empty."""
        return credits_text(self.credits)

    @property
    def status(self) -> m.LoiStatus | None:
        return self.loi.status if self.loi is not None else None

    @property
    def grade(self) -> str | None:
        return self.loi.result_label if self.loi is not None else None

    @property
    def date(self) -> dt.date | None:
        return self.loi.date if self.loi is not None else None

    def title(self, language: str) -> str:
        return self.los.title(language, "en") or self.key


def credits_text(value: Decimal | None) -> str:
    """``value`` without exponent or trailing zeros, as the macro ``credits_text`` of emp/macros.html."""
    if value is None:
        return ""
    return format(value.normalize() if value != value.to_integral() else value.to_integral(), "f")


@dataclass(frozen=True)
class Institution:
    index: int
    report: m.Report
    rows: tuple[Row, ...]

    def title(self, language: str) -> str:
        issuer = self.report.issuer
        return issuer.title(language, "en") or issuer.url or f"#{self.index + 1}"


@dataclass(frozen=True)
class Catalogue:
    """A person's results as they may pick from them. Kept for the pages of a session
    (``ResultsCache``) and never changed, so what is derived from it is worked out once."""

    learner: m.Learner
    institutions: tuple[Institution, ...]
    whole_programme_only: bool

    @cached_property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for inst in self.institutions for row in inst.rows)

    @cached_property
    def by_key(self) -> dict[str, Row]:
        return {row.key: row for row in self.rows}

    @cached_property
    def selectable_keys(self) -> tuple[str, ...]:
        return tuple(row.key for row in self.rows if row.selectable)

    @cached_property
    def offered_count(self) -> int:
        return sum(1 for row in self.rows if row.offered)

    @cached_property
    def offered_credits(self) -> Decimal:
        return m.total_ects(self._forest(lambda row: row.offered), passed_only=True)

    @property
    def empty(self) -> bool:
        return not self.selectable_keys

    def normalise(self, keys: Iterable[str]) -> tuple[str, ...]:
        """The selectable keys among ``keys``, in tree order (unknown keys dropped)."""
        wanted = set(keys)
        return tuple(key for key in self.selectable_keys if key in wanted)

    def sent_keys(self, picked: Iterable[str]) -> frozenset[str]:
        """The results that a pick sends (without context ancestors)."""
        chosen = set(self.normalise(picked))
        if not self.whole_programme_only:
            return frozenset(chosen)
        sent: set[str] = set()
        by_key = self.by_key
        for row in self.rows:
            root = _root_of(row, by_key)
            if root in chosen and row.offered:
                sent.add(row.key)
        return frozenset(sent)

    def live_totals(self) -> dict[str, tuple[int, Decimal, tuple[str, ...]]]:
        """For the selection page's running total, per selectable result: how many results choosing it
        sends, the credits it adds, and the results above it whose own credits cover it when chosen
        (the total counts each branch once, as ``credits`` does)."""
        by_key = self.by_key
        if self.whole_programme_only:  # the selectable rows are the roots; each sends its whole tree
            root_of: dict[str, str] = {}
            counts: dict[str, int] = {}
            for row in self.rows:  # tree order: a parent comes before its parts
                root = row.key if row.parent is None else root_of[row.parent]
                root_of[row.key] = root
                counts[root] = counts.get(root, 0) + (1 if row.offered else 0)
            return {
                key: (counts.get(key, 0), m.total_ects([by_key[key].los]), ()) for key in self.selectable_keys
            }
        totals: dict[str, tuple[int, Decimal, tuple[str, ...]]] = {}
        for key in self.selectable_keys:
            row = by_key[key]
            loi = row.loi
            counted = loi is not None and loi.ects is not None and loi.effective_status is m.LoiStatus.PASSED
            covering = []
            parent = row.parent
            while parent is not None:
                above = by_key[parent]
                if above.selectable and above.credits is not None:
                    covering.append(parent)
                parent = above.parent
            credits = row.credits if counted and row.credits is not None else Decimal(0)
            totals[key] = (1, credits, tuple(covering))
        return totals

    def _forest(self, include: Callable[[Row], bool]) -> list[m.LearningOpportunitySpecification]:
        keep = {row.key for row in self.rows if include(row)}
        forest: list[m.LearningOpportunitySpecification] = []
        for inst in self.institutions:
            forest.extend(_prune(inst.index, inst.report.learning_opportunity_specifications, keep))
        return forest

    def reports(self, picked: Iterable[str]) -> tuple[m.Report, ...]:
        """One report per institution with something sent: the picked results and their context."""
        sent = self.sent_keys(picked)
        reports = []
        for inst in self.institutions:
            roots = _prune(inst.index, inst.report.learning_opportunity_specifications, sent)
            if not roots:
                continue
            used = {
                los.specifies.grading_scheme_local_id
                for root in roots
                for _, los in root.walk()
                if los.specifies is not None and los.specifies.grading_scheme_local_id
            }
            schemes = tuple(g for g in inst.report.grading_schemes if g.local_id in used)
            reports.append(
                dataclasses.replace(
                    inst.report,
                    learning_opportunity_specifications=tuple(roots),
                    grading_schemes=schemes,
                    attachments=(),
                )
            )
        return tuple(reports)

    def picked_rows(self, picked: Iterable[str]) -> tuple[Row, ...]:
        sent = self.sent_keys(picked)
        return tuple(row for row in self.rows if row.key in sent)

    def credits(self, picked: Iterable[str]) -> Decimal:
        return sum((r.total_ects() for r in self.reports(picked)), Decimal(0))


def _root_of(row: Row, by_key: dict[str, Row]) -> str:
    current = row
    while current.parent is not None:
        current = by_key[current.parent]
    return current.key


def catalogue(
    results: LearnerResults, *, allow_not_passed: bool, whole_programme_only: bool = False
) -> Catalogue:
    institutions = []
    for index, source_report in enumerate(results.reports):
        report = ensure_local_ids(source_report)
        rows: list[Row] = []
        for los in report.learning_opportunity_specifications:
            _rows(index, los, 0, None, allow_not_passed, whole_programme_only, rows)
        if rows:
            institutions.append(Institution(index, report, tuple(rows)))
    return Catalogue(results.learner, tuple(institutions), whole_programme_only)


def item_key(report_index: int, los: m.LearningOpportunitySpecification) -> str:
    return f"{report_index}:{los.identifier(LOCAL)}"


def _offered(los: m.LearningOpportunitySpecification, allow_not_passed: bool) -> bool:
    if allow_not_passed:
        return True
    return los.specifies is None or los.specifies.effective_status is m.LoiStatus.PASSED


def _rows(
    index: int,
    los: m.LearningOpportunitySpecification,
    depth: int,
    parent: str | None,
    allow_not_passed: bool,
    whole_programme_only: bool,
    out: list[Row],
) -> bool:
    """Append the rows of ``los`` and below; False (nothing appended) when none is offered."""
    key = item_key(index, los)
    offered = _offered(los, allow_not_passed)
    children: list[Row] = []
    any_child = False
    for child in los.has_part:
        shown = _rows(index, child, depth + 1, key, allow_not_passed, whole_programme_only, children)
        any_child = shown or any_child
    if not offered and not any_child:
        return False
    selectable = depth == 0 if whole_programme_only else offered
    out.append(Row(key, depth, los, offered, selectable, parent))
    out.extend(children)
    return True


def _prune(
    index: int, nodes: Sequence[m.LearningOpportunitySpecification], sent: frozenset[str] | set[str]
) -> list[m.LearningOpportunitySpecification]:
    kept = []
    for los in nodes:
        parts = _prune(index, los.has_part, sent)
        is_sent = item_key(index, los) in sent
        if not is_sent and not parts:
            continue
        loi = los.specifies
        if loi is not None:
            if not is_sent:
                loi = _context(loi)
            elif loi.attachment_refs:
                loi = dataclasses.replace(loi, attachment_refs=())
        if loi is los.specifies and _same(parts, los.has_part):
            kept.append(los)  # nothing was left out below it: no copy
        else:
            kept.append(dataclasses.replace(los, specifies=loi, has_part=tuple(parts)))
    return kept


def _same(
    first: Sequence[m.LearningOpportunitySpecification], second: Sequence[m.LearningOpportunitySpecification]
) -> bool:
    return len(first) == len(second) and all(a is b for a, b in zip(first, second, strict=True))


def _context(loi: m.LearningOpportunityInstance) -> m.LearningOpportunityInstance:
    return m.LearningOpportunityInstance(
        identifiers=loi.identifiers,
        start=loi.start,
        date=loi.date,
        academic_term=loi.academic_term,
        status=loi.status,
        levels=loi.levels,
        language_of_instruction=loi.language_of_instruction,
        engagement_hours=loi.engagement_hours,
        grouping=loi.grouping,
    )
