"""Statistics of an EMP from its START and FINISH records: no personal data, only counts and hosts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from emrex.db import Database
from emrex.emp.store import FINISH, START, EmpEventRow


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
