"""The student's decision and staff review of a received transfer, and the import of its results as
foreign credentials with the webhook event that tells the SIS.

Each function runs in the caller's open transaction (``Database.session()``): it changes everything it
says or, when it raises, nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from emrex.db import UtcDateTime
from emrex.emc.models import ForeignCredential, Status, Transfer, WebhookEvent
from emrex.emc.results_view import ResultsView
from emrex.emc.returns import Received
from emrex.emc.store import (
    TransferError,
    credential_json,
    imported_elsewhere,
    lock_student,
    owned,
    transfer_data,
    valid_id,
)
from emrex.errors import N_

_TRANSFER = cast(Table, Transfer.__table__)
_CREDENTIAL = cast(Table, ForeignCredential.__table__)
_EVENT = cast(Table, WebhookEvent.__table__)


def confirm_import(
    s: Session, transfer: Transfer, received: Received | ResultsView, now: dt.datetime
) -> Status:
    """The student confirms: imported at once on an identity MATCH from listed issuers, else queued
    for staff review."""
    if transfer.status != Status.RECEIVED:
        raise TransferError(N_("these results are not waiting for your decision"), "state")
    if transfer.elmo_xml is None:  # purged since it was verified: the evidence is gone
        raise TransferError(N_("the results are no longer stored"), "state")
    transfer.decided_at = now
    if not received.needs_review:
        _import(s, transfer, received, now)
    else:
        transfer.status = Status.REVIEW
    return Status(transfer.status)


# What the webhook's transfer data needs, returned by the confirming UPDATE (no documents).
_DECIDED_COLUMNS = tuple(
    c
    for c in _TRANSFER.c
    if c.name not in ("elmo_xml", "pdf", "results_view", "student_json", "emp_certificates")
)
_DECIDE = (
    update(_TRANSFER)
    .where(_TRANSFER.c.id == bindparam("transfer_id"))
    .where(_TRANSFER.c.student == bindparam("owner"))
    .where(_TRANSFER.c.status == bindparam("waiting"))
    .where(_TRANSFER.c.elmo_xml.is_not(None))
    .values(status=bindparam("decision"), decided_at=bindparam("decided", type_=UtcDateTime()))
    .returning(*_DECIDED_COLUMNS)
)


def confirm_own(
    s: Session, transfer_id: int, student: str, received: Received | ResultsView, now: dt.datetime
) -> Status:
    """``confirm_import`` of the student's own transfer by its id, its status changed in one UPDATE
    that only a transfer still waiting for the decision passes (two confirmations at once: one
    imports, the other is told the results no longer wait)."""
    decision = Status.REVIEW if received.needs_review else Status.IMPORTED
    params = {
        "transfer_id": transfer_id,
        "owner": student,
        "waiting": Status.RECEIVED.value,
        "decision": decision.value,
        "decided": now,
    }
    row = s.execute(_DECIDE, params).first() if valid_id(transfer_id) else None
    if row is None:
        confirm_import(s, owned(s, transfer_id, student), received, now)  # raises why not
        raise TransferError(N_("these results are not waiting for your decision"), "state")
    if decision is Status.IMPORTED:
        import_credentials(s, Transfer(**row._asdict()), received, now)
    return decision


def review(
    s: Session,
    transfer: Transfer,
    received: Received | ResultsView | None,
    *,
    approve: bool,
    reason: str,
    staff: str,
    now: dt.datetime,
) -> None:
    if transfer.status != Status.REVIEW:
        raise TransferError(N_("this transfer is not waiting for review"), "state")
    if not reason.strip():
        raise TransferError(N_("give a reason for the decision"), "reason")
    transfer.review_decision = "approved" if approve else "rejected"
    transfer.review_reason = reason.strip()[:2000]
    transfer.reviewed_by = staff[:255]
    transfer.reviewed_at = now
    if approve:
        if received is None:
            raise TransferError(
                N_("the received document is no longer stored; it cannot be imported"), "state"
            )
        _import(s, transfer, received, now)
    else:
        transfer.status = Status.REJECTED


def _import(s: Session, transfer: Transfer, received: Received | ResultsView, now: dt.datetime) -> None:
    transfer.status = Status.IMPORTED
    import_credentials(s, transfer, received, now)
    s.expire(transfer, ["credentials"])  # written beside the ORM: read again when asked for


_INSERT_CREDENTIALS = insert(_CREDENTIAL)
_INSERT_CREDENTIALS_RETURNING = _INSERT_CREDENTIALS.returning(_CREDENTIAL.c.id, sort_by_parameter_order=True)
_CREDENTIAL_IDS = (
    select(_CREDENTIAL.c.id)
    .where(_CREDENTIAL.c.transfer_id == bindparam("transfer_id"))
    .order_by(_CREDENTIAL.c.id)
)
_INSERT_EVENT = insert(_EVENT)


def _inserted_credentials(s: Session, transfer_id: int, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (the first credentials of the transfer) at once; their ids in order."""
    if not rows:
        return []
    if s.get_bind().dialect.name != "sqlite":
        return list(s.execute(_INSERT_CREDENTIALS_RETURNING, rows).scalars())
    # SQLite returns ids one INSERT a row: one executemany, then the ids (the writer holds the lock).
    s.execute(_INSERT_CREDENTIALS, rows)
    return list(s.execute(_CREDENTIAL_IDS, {"transfer_id": transfer_id}).scalars())


def import_credentials(
    s: Session, transfer: Transfer, received: Received | ResultsView, now: dt.datetime
) -> None:
    """Store the results of ``transfer`` (IMPORTED) that the student has not imported before, and the
    webhook event that tells the SIS, in the open transaction."""
    lock_student(s, transfer.student)
    seen = set(imported_elsewhere(s, transfer, [c.key for c in received.courses]))
    rows: list[dict[str, Any]] = []
    for course in received.courses:
        if course.key in seen:  # imported before, from this document or another: once is enough
            continue
        seen.add(course.key)
        rows.append(
            {
                "transfer_id": transfer.id,
                "student": transfer.student,
                "imported_at": now,
                "issuer": course.issuer,
                "issuer_id": course.issuer_id,
                "issuer_country": course.issuer_country,
                "title": course.title,
                "code": course.code,
                "los_type": course.los_type,
                "grade": course.grade,
                "grading_scheme": course.grading_scheme,
                "credits": str(course.credits) if course.credits is not None else None,
                "credit_scheme": course.credit_scheme,
                "level": course.level,
                "start_date": course.start,
                "end_date": course.end,
                "status": course.status,
            }
        )
    ids = _inserted_credentials(s, transfer.id, rows)
    event_id = secrets.token_hex(16)
    payload = {
        "event_id": event_id,
        "type": "credentials.imported",
        "created_at": now.isoformat(),
        "transfer": transfer_data(transfer),
        "credentials": [credential_json(i, row) for i, row in zip(ids, rows, strict=True)],
    }
    event = {
        "event_id": event_id,
        "transfer_id": transfer.id,
        "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    s.execute(_INSERT_EVENT, event)
