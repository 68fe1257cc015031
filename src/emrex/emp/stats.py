"""Statistics of an EMP from its START and FINISH records: no personal data, only counts and hosts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from emrex.db import Database
from emrex.db.months import Period, month_of
from emrex.emp.store import FINISH, START, EmpEventRow
from emrex.figures import Export, Row


@dataclass(frozen=True)
class ClientStats:
    client_host: str
    started: int
    outcomes: dict[str, int]
    items_sent: int
    credits_sent: Decimal


@dataclass(frozen=True)
class Stats:
    started: int
    finished: int
    outcomes: dict[str, int]
    items_offered: int
    credits_offered: Decimal
    items_sent: int
    credits_sent: Decimal
    median_duration_ms: int | None
    clients: tuple[ClientStats, ...]
    institutions: dict[str, int]  # FINISH records naming each institution
    first: datetime | None
    last: datetime | None

    @property
    def unfinished(self) -> int:
        return max(0, self.started - self.finished)


@dataclass
class _ClientTotals:
    started: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    items_sent: int = 0
    credits_sent: Decimal = Decimal(0)


def collect(database: Database, *, since: datetime | None = None) -> Stats:
    """Aggregate every record (or those at or after ``since``)."""
    with database.session() as db:
        query = select(
            EmpEventRow.kind,
            EmpEventRow.at,
            EmpEventRow.client_host,
            EmpEventRow.institutions,
            EmpEventRow.items_offered,
            EmpEventRow.credits_offered,
            EmpEventRow.items_sent,
            EmpEventRow.credits_sent,
            EmpEventRow.outcome,
            EmpEventRow.duration_ms,
        )
        if since is not None:
            query = query.where(EmpEventRow.at >= since)
        rows = db.execute(query).all()
        bounds = db.execute(select(func.min(EmpEventRow.at), func.max(EmpEventRow.at))).one()
    started = finished = items_offered = items_sent = 0
    credits_offered = credits_sent = Decimal(0)
    outcomes: dict[str, int] = {}
    institutions: dict[str, int] = {}
    durations: list[int] = []
    per_client: dict[str, _ClientTotals] = {}
    for kind, _at, host, insts, offered, c_offered, sent, c_sent, outcome, duration in rows:
        client = per_client.setdefault(host, _ClientTotals())
        if kind == START:
            started += 1
            client.started += 1
            continue
        if kind != FINISH:
            continue
        finished += 1
        code = outcome or "unknown"
        outcomes[code] = outcomes.get(code, 0) + 1
        client.outcomes[code] = client.outcomes.get(code, 0) + 1
        items_offered += offered
        credits_offered += Decimal(c_offered)
        items_sent += sent
        credits_sent += Decimal(c_sent)
        client.items_sent += sent
        client.credits_sent += Decimal(c_sent)
        for name in filter(None, (insts or "").split(",")):
            institutions[name] = institutions.get(name, 0) + 1
        if duration is not None:
            durations.append(duration)
    durations.sort()
    median = durations[len(durations) // 2] if durations else None
    clients = tuple(
        ClientStats(host, c.started, dict(sorted(c.outcomes.items())), c.items_sent, c.credits_sent)
        for host, c in sorted(per_client.items())
    )
    return Stats(
        started=started,
        finished=finished,
        outcomes=dict(sorted(outcomes.items())),
        items_offered=items_offered,
        credits_offered=credits_offered,
        items_sent=items_sent,
        credits_sent=credits_sent,
        median_duration_ms=median,
        clients=clients,
        institutions=dict(sorted(institutions.items())),
        first=bounds[0],
        last=bounds[1],
    )


def format_table(stats: Stats) -> str:
    """Plain text for the CLI."""
    lines = [
        f"sessions started: {stats.started}",
        f"sessions finished: {stats.finished} (unfinished or abandoned: {stats.unfinished})",
    ]
    for code, count in stats.outcomes.items():
        lines.append(f"  {code}: {count}")
    lines.append(f"items offered: {stats.items_offered}, credits offered: {_num(stats.credits_offered)}")
    lines.append(f"items sent: {stats.items_sent}, credits sent: {_num(stats.credits_sent)}")
    if stats.median_duration_ms is not None:
        lines.append(f"median duration: {stats.median_duration_ms / 1000:.1f} s")
    if stats.clients:
        lines.append("by client:")
        for client in stats.clients:
            ok = client.outcomes.get("NCP_OK", 0)
            lines.append(
                f"  {client.client_host}: started {client.started}, sent {ok}, "
                f"items {client.items_sent}, credits {_num(client.credits_sent)}"
            )
    if stats.institutions:
        lines.append("by institution (finished sessions):")
        for name, count in stats.institutions.items():
            lines.append(f"  {name}: {count}")
    return "\n".join(lines) + "\n"


def _num(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text


# --- figures over a period of months, counted and summed by the database (pages and export) ---


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# Short names of the outcomes a client is told (returnCode), for charts and tables.
OUTCOME_NAMES = {
    "NCP_OK": _("Results sent"),
    "NCP_CANCEL": _("Cancelled by the student"),
    "NCP_NO_RESULTS": _("No results to send"),
    "NCP_ERROR": _("Error"),
}


@dataclass(frozen=True)
class ClientFigures:
    client: str
    started: int
    finished: int
    sent: int  # finished with NCP_OK
    items_sent: int
    credits_sent: Decimal


@dataclass(frozen=True)
class EmpFigures:
    period: Period
    # month, client host, kind (START/FINISH), outcome ("" for START), sessions, items sent, credits sent
    sessions: list[tuple[str, str, str, str, int, int, Decimal]]
    institutions: dict[str, int]  # finished sessions naming each institution
    median_duration_ms: int | None

    def _sum(self, kind: str, key: int) -> dict[str, int]:
        sums: dict[str, int] = {}
        for row in self.sessions:
            if row[2] == kind:
                sums[str(row[key])] = sums.get(str(row[key]), 0) + row[4]
        return sums

    def started_per_month(self) -> list[tuple[str, int]]:
        found = self._sum(START, 0)
        return [(month, found.get(month, 0)) for month in self.period.months()]

    def per_month(self) -> list[tuple[str, int, int]]:
        """Month, sessions started, sessions finished."""
        started, finished = self._sum(START, 0), self._sum(FINISH, 0)
        return [(m, started.get(m, 0), finished.get(m, 0)) for m in self.period.months()]

    def by_outcome(self) -> list[tuple[str, int]]:
        return sorted(self._sum(FINISH, 3).items(), key=lambda item: (-item[1], item[0]))

    def credits_per_month(self) -> list[tuple[str, Decimal]]:
        sums: dict[str, Decimal] = {}
        for month, _client, kind, _outcome, _n, _items, credits in self.sessions:
            if kind == FINISH:
                sums[month] = sums.get(month, Decimal(0)) + credits
        return [(month, sums.get(month, Decimal(0))) for month in self.period.months()]

    def by_client(self) -> list[ClientFigures]:
        totals: dict[str, list[Any]] = {}
        for _month, client, kind, outcome, count, items, credits in self.sessions:
            t = totals.setdefault(client, [0, 0, 0, 0, Decimal(0)])
            if kind == START:
                t[0] += count
                continue
            t[1] += count
            t[2] += count if outcome == "NCP_OK" else 0
            t[3] += items
            t[4] += credits
        rows = [ClientFigures(client, *t) for client, t in totals.items()]
        return sorted(rows, key=lambda c: (-c.started, c.client))

    @property
    def started(self) -> int:
        return sum(self._sum(START, 0).values())

    @property
    def finished(self) -> int:
        return sum(self._sum(FINISH, 0).values())

    @property
    def items_sent(self) -> int:
        return sum(row[5] for row in self.sessions)

    @property
    def credits_sent(self) -> Decimal:
        return sum((row[6] for row in self.sessions), Decimal(0))


def figures(database: Database, period: Period) -> EmpFigures:
    """Every figure of ``period`` (records by the month they were made: START at login, FINISH at the end)."""
    month = month_of(EmpEventRow.at).label("month")
    outcome = func.coalesce(EmpEventRow.outcome, "").label("outcome")
    in_period = period.within(EmpEventRow.at)
    finish = (EmpEventRow.kind == FINISH) & in_period
    with database.session() as db:
        sessions = db.execute(
            select(
                month,
                EmpEventRow.client_host,
                EmpEventRow.kind,
                outcome,
                func.count(),
                func.coalesce(func.sum(EmpEventRow.items_sent), 0),
                func.coalesce(func.sum(EmpEventRow.credits_sent), 0),
            )
            .where(in_period, EmpEventRow.kind.in_((START, FINISH)))
            .group_by(month, EmpEventRow.client_host, EmpEventRow.kind, outcome)
            .order_by(month, EmpEventRow.client_host, EmpEventRow.kind, outcome)
        ).all()
        named = db.execute(
            select(EmpEventRow.institutions, func.count()).where(finish).group_by(EmpEventRow.institutions)
        ).all()
        timed = finish & EmpEventRow.duration_ms.is_not(None)
        count = db.scalar(select(func.count()).where(timed)) or 0
        median = None
        if count:
            median = db.scalar(
                select(EmpEventRow.duration_ms)
                .where(timed)
                .order_by(EmpEventRow.duration_ms)
                .offset(count // 2)
                .limit(1)
            )
    institutions: dict[str, int] = {}
    for names, n in named:
        for name in filter(None, (names or "").split(",")):
            institutions[name] = institutions.get(name, 0) + int(n)
    return EmpFigures(
        period=period,
        sessions=[
            (m, host, kind, code, int(n), int(items), Decimal(credits))
            for m, host, kind, code, n, items, credits in sessions
        ],
        institutions=dict(sorted(institutions.items())),
        median_duration_ms=median,
    )


def export(found: EmpFigures, *, institution: str, name: str, generated_at: datetime) -> Export:
    """The figures in the shared export format (emrex.figures)."""
    rows: list[Row] = []
    for m, host, kind, code, n, items, credits in found.sessions:
        if kind == START:
            rows.append(Row("sessions_started", m, n, "sessions", client=host))
            continue
        rows.append(Row("sessions_finished", m, n, "sessions", client=host, outcome=code))
        if items:
            rows.append(Row("results_sent", m, items, "results", client=host, outcome=code))
        if credits:
            rows.append(Row("credits_sent", m, credits, "credits", client=host, outcome=code))
    return Export("emp", institution, name, found.period, rows, generated_at)
