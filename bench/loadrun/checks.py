"""After the run, in the databases: was any transfer lost or stored twice, and how did each end?"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bench.loadrun.student import Result
from emrex.db import Database


@dataclass
class Audit:
    transfers: Counter[str] = field(default_factory=Counter)  # EMC status -> count
    problems: list[str] = field(default_factory=list)
    started_without_answer: int = 0  # transfers left "waiting for the data provider"
    emp_flows_finished_twice: int = 0
    emp_flows: int = 0  # provider sessions opened (a reloaded entry opens another)


def audit(emc_url: str, emp_url: str, results: list[Result]) -> Audit:
    from emrex.emc.models import ForeignCredential, Status, Transfer
    from emrex.emp.store import EmpSessionRow as FlowRow

    report = Audit()
    emc, emp = Database(emc_url), Database(emp_url)
    try:
        with emc.session(readonly=True) as s:
            rows = {t.session_id: t for t in s.scalars(select(Transfer))}
            grouped = select(ForeignCredential.transfer_id, func.count()).group_by(
                ForeignCredential.transfer_id
            )
            credentials: dict[int, int] = {tid: n for tid, n in s.execute(grouped)}
            duplicates = s.execute(
                select(ForeignCredential.transfer_id, ForeignCredential.code, func.count())
                .group_by(ForeignCredential.transfer_id, ForeignCredential.code, ForeignCredential.title)
                .having(func.count() > 1)
            ).all()
        with emp.session(readonly=True) as s:
            flows = Counter(s.scalars(select(FlowRow.request_session_id)))
            finished = Counter(
                s.scalars(select(FlowRow.request_session_id).where(FlowRow.finished_at.is_not(None)))
            )
    finally:
        emc.dispose()
        emp.dispose()

    for transfer in rows.values():
        report.transfers[transfer.status] += 1
        if transfer.status == Status.STARTED:
            report.started_without_answer += 1
        stored = credentials.get(transfer.id, 0)
        if transfer.status == Status.IMPORTED and stored != transfer.courses:
            report.problems.append(
                f"transfer {transfer.id}: {stored} credentials stored for {transfer.courses}"
            )
        if transfer.status != Status.IMPORTED and stored:
            report.problems.append(f"transfer {transfer.id} ({transfer.status}) has {stored} credentials")
    for transfer_id, code, count in duplicates:
        report.problems.append(f"transfer {transfer_id}: course {code} stored {count} times")
    report.emp_flows_finished_twice = sum(1 for n in finished.values() if n > 1)
    report.emp_flows = sum(flows.values())
    for result in results:
        if result.session_id is None:
            continue
        transfer = rows.get(result.session_id)
        if transfer is None:
            report.problems.append(
                f"{result.student}: the EMC has no transfer {result.session_id[:6]}… (lost)"
            )
            continue
        if result.outcome == "imported" and transfer.status != Status.IMPORTED:
            report.problems.append(f"{result.student}: saw 'imported' but the transfer is {transfer.status}")
        if result.outcome != "imported" and transfer.status == Status.IMPORTED:
            report.problems.append(f"{result.student}: imported, but the student was told: {result.outcome}")
        if finished.get(result.session_id, 0) > 1:
            report.problems.append(
                f"{result.student}: the EMP answered one request {finished[result.session_id]} times"
            )
    return report
