"""A case as JSON data, for the SIS API and the webhook events ``recognition.submitted`` and
``recognition.decided`` (written in the same transaction as the change they tell about)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy.orm import Session

from emrex.emc.models import WebhookEvent
from emrex.emc.recognition.models import Basis, Case, Item


def case_data(case: Case) -> dict[str, Any]:
    """Everything about a case but its attachments' bytes and its audit trail (the SIS has its own)."""
    return {
        "id": case.id,
        "number": case.number,
        "student": case.student,
        "student_name": case.student_name,
        "status": case.status,
        "created_at": _time(case.created_at),
        "submitted_at": _time(case.submitted_at),
        "decided_at": _time(case.decided_at),
        "registered_at": _time(case.registered_at),
        "decided_by": case.decided_by,
        "sis_reference": case.sis_reference,
        "motivation": case.motivation,
        "expert": {"name": case.expert_name, "statement": case.expert_statement}
        if case.expert_name
        else None,
        "bases": [basis_data(b) for b in case.bases],
        "items": [item_data(i) for i in case.items],
        "attachments": [
            {"id": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256} for a in case.attachments
        ],
    }


def basis_data(b: Basis) -> dict[str, Any]:
    return {
        "id": b.id,
        "source": b.source,
        "ref": b.source_ref,
        "issuer": {"name": b.issuer, "id": b.issuer_id, "country": b.issuer_country},
        "code": b.code,
        "title": b.title,
        "grade": b.grade,
        "credits": b.credits,
        "credit_scheme": b.credit_scheme,
        "level": b.level,
        "end_date": b.end_date.isoformat() if b.end_date else None,
    }


def item_data(i: Item) -> dict[str, Any]:
    """A target and its decision; a credited course carries no grade, so there is none here."""
    return {
        "id": i.id,
        "target": {
            "kind": i.kind,
            "course_code": i.code,
            "titles": json.loads(i.titles) if i.code else {},
            "description": None if i.code else i.title(""),
            "credits": i.credits,
        },
        "basis_ids": i.basis_ids,
        "decision": {"outcome": i.outcome, "credits": i.granted_credits, "reason": i.reason}
        if i.outcome
        else None,
    }


def add_webhook_event(s: Session, kind: str, case: Case, now: dt.datetime) -> None:
    event_id = secrets.token_hex(16)
    payload = {"event_id": event_id, "type": kind, "created_at": now.isoformat(), "case": case_data(case)}
    s.add(
        WebhookEvent(
            event_id=event_id,
            transfer_id=None,
            payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            state="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
