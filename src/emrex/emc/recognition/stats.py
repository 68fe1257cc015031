"""Statistics of credit recognition: cases by status, the recognition rate and the time to decision."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from emrex.db import Database
from emrex.emc.recognition.models import DECIDED, Case, Item, Outcome


@dataclass(frozen=True)
class RecognitionStatistics:
    by_status: list[tuple[str, int]]
    decided_items: int
    granted: int
    partly: int
    refused: int
    credits_asked: Decimal  # of decided items
    credits_granted: Decimal
    decided_cases: int
    median_days: float | None  # from submission to decision
    p90_days: float | None

    @property
    def rate(self) -> float | None:
        """Share of decided targets granted in full or in part."""
        return (self.granted + self.partly) / self.decided_items if self.decided_items else None

    @property
    def credit_rate(self) -> float | None:
        return float(self.credits_granted / self.credits_asked) if self.credits_asked else None


def recognition_statistics(db: Database) -> RecognitionStatistics:
    decided = [str(status) for status in DECIDED]
    with db.session(readonly=True) as s:
        by_status = [
            (str(status), int(count))
            for status, count in s.execute(
                select(Case.status, func.count()).group_by(Case.status).order_by(Case.status)
            )
        ]
        items = s.execute(
            select(Item.outcome, Item.credits, Item.granted_credits)
            .join(Case, Case.id == Item.case_id)
            .where(Case.status.in_(decided), Item.outcome.is_not(None))
        ).all()
        spans = s.execute(
            select(Case.submitted_at, Case.decided_at).where(
                Case.status.in_(decided), Case.submitted_at.is_not(None), Case.decided_at.is_not(None)
            )
        ).all()
    tally = {str(o): 0 for o in Outcome}
    asked = granted = Decimal(0)
    for outcome, credits, granted_credits in items:
        tally[str(outcome)] = tally.get(str(outcome), 0) + 1
        asked += _decimal(credits)
        granted += _decimal(granted_credits)
    days = sorted(
        (decided_at - submitted).total_seconds() / 86400
        for submitted, decided_at in spans
        if submitted is not None and decided_at is not None
    )
    return RecognitionStatistics(
        by_status=by_status,
        decided_items=len(items),
        granted=tally[Outcome.GRANTED],
        partly=tally[Outcome.PARTLY],
        refused=tally[Outcome.REFUSED],
        credits_asked=asked,
        credits_granted=granted,
        decided_cases=len(days),
        median_days=statistics.median(days) if days else None,
        p90_days=_percentile(days, 0.9),
    )


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[int(share * 10) - 1]


def _decimal(value: str | None) -> Decimal:
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        return Decimal(0)
