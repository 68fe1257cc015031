"""Provider sessions (``emp_session``) and statistics records (``emp_event``) in the database.

A provider session is one EMREX request: the client's ``sessionId`` and ``returnUrl``, the flags, the
student's selection, and how it ended. It is bound to the browser that brought it: the web session
holds a secret whose SHA-256 is stored here, so knowing the flow id alone gives nothing. After login
it is also bound to the person (a hash of the login subject). It can be finished once: ``finish``
is a conditional UPDATE, so two racing sends produce one document.

Statistics hold no personal data: the client's host, the institutions, counts, credits, the outcome
and the duration.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Integer, Numeric, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, Database, UtcDateTime, utcnow
from emrex.emp.protocol import EntryRequest, ReturnCode

FLOW_ID_BYTES = 24
PURGE_INTERVAL_SECONDS = 600.0
KEEP_AFTER_EXPIRY = timedelta(days=1)
OPEN = "open"
FINISHED = "finished"
START = "START"
FINISH = "FINISH"


class EmpSessionRow(Base):
    __tablename__ = "emp_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    binding_hash: Mapped[str] = mapped_column(String(64))
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    request_session_id: Mapped[str] = mapped_column(String(64))
    return_url: Mapped[str] = mapped_column(Text)
    allow_pick: Mapped[bool] = mapped_column(Boolean)
    allow_not_passed: Mapped[bool] = mapped_column(Boolean)
    selection: Mapped[str | None] = mapped_column(Text)  # JSON list of item keys
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EmpEventRow(Base):
    __tablename__ = "emp_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    flow_hash: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    client_host: Mapped[str] = mapped_column(String(255))
    institutions: Mapped[str] = mapped_column(String(1024), default="")
    items_offered: Mapped[int] = mapped_column(Integer, default=0)
    credits_offered: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    items_sent: Mapped[int] = mapped_column(Integer, default=0)
    credits_sent: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    outcome: Mapped[str | None] = mapped_column(String(32))
    duration_ms: Mapped[int | None] = mapped_column(Integer)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def subject_hash(subject: str) -> str:
    return _sha256("emp-subject:" + subject)


@dataclass(frozen=True)
class Flow:
    """A provider session as the pages see it."""

    id: str
    request: EntryRequest
    selection: tuple[str, ...] | None
    state: str
    outcome: str | None
    subject_hash: str | None
    created_at: datetime
    expires_at: datetime

    @property
    def finished(self) -> bool:
        return self.state == FINISHED

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Offer:
    """What the student was offered and what went out (for the FINISH record)."""

    institutions: tuple[str, ...] = ()
    items_offered: int = 0
    credits_offered: Decimal = Decimal(0)
    items_sent: int = 0
    credits_sent: Decimal = Decimal(0)


def _flow(row: EmpSessionRow) -> Flow:
    selection = tuple(json.loads(row.selection)) if row.selection else None
    return Flow(
        id=row.id,
        request=EntryRequest(row.request_session_id, row.return_url, row.allow_pick, row.allow_not_passed),
        selection=selection,
        state=row.state,
        outcome=row.outcome,
        subject_hash=row.subject_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


class FlowStore:
    def __init__(self, database: Database, lifetime: timedelta) -> None:
        self.database = database
        self.lifetime = lifetime
        self._last_purge: float | None = None  # None: due at once (the monotonic clock starts at boot)

    def create(
        self, request: EntryRequest, institutions: tuple[str, ...] = (), now: datetime | None = None
    ) -> tuple[Flow, str]:
        """A new provider session and the binding secret the browser's web session must keep."""
        now = now or utcnow()
        self._maybe_purge(now)
        flow_id = secrets.token_urlsafe(FLOW_ID_BYTES)
        secret = secrets.token_urlsafe(32)
        row = EmpSessionRow(
            id=flow_id,
            binding_hash=_sha256(secret),
            subject_hash=None,
            request_session_id=request.session_id,
            return_url=request.return_url,
            allow_pick=request.allow_pick,
            allow_not_passed=request.allow_not_passed,
            selection=None,
            state=OPEN,
            outcome=None,
            created_at=now,
            expires_at=now + self.lifetime,
        )
        with self.database.session() as db:
            db.add(row)
            db.add(
                EmpEventRow(
                    flow_hash=_event_ref(flow_id),
                    kind=START,
                    at=now,
                    client_host=request.client_host,
                    institutions=",".join(institutions)[:1024],
                    items_offered=0,
                    credits_offered=Decimal(0),
                    items_sent=0,
                    credits_sent=Decimal(0),
                )
            )
        return _flow(row), secret

    def load(self, flow_id: str, secret: str | None) -> Flow | None:
        """The flow if it exists and ``secret`` is the one its browser holds; None otherwise."""
        if secret is None or len(flow_id) > 64:
            return None
        with self.database.session() as db:
            row = db.get(EmpSessionRow, flow_id)
            if row is None or not hmac.compare_digest(row.binding_hash, _sha256(secret)):
                return None
            return _flow(row)

    def bind_subject(self, flow_id: str, subject: str) -> bool:
        """Bind the flow to the person on first use; False when it belongs to someone else."""
        wanted = subject_hash(subject)
        with self.database.session() as db:
            db.execute(
                update(EmpSessionRow)
                .where(EmpSessionRow.id == flow_id, EmpSessionRow.subject_hash.is_(None))
                .values(subject_hash=wanted)
            )
            row = db.get(EmpSessionRow, flow_id)
            return row is not None and row.subject_hash == wanted

    def save_selection(self, flow_id: str, keys: list[str]) -> None:
        with self.database.session() as db:
            db.execute(
                update(EmpSessionRow)
                .where(EmpSessionRow.id == flow_id, EmpSessionRow.state == OPEN)
                .values(selection=json.dumps(keys))
            )

    def finish(self, flow: Flow, code: ReturnCode, offer: Offer, now: datetime | None = None) -> bool:
        """Mark the flow finished with ``code`` and record FINISH; False when it was finished already."""
        now = now or utcnow()
        with self.database.session() as db:
            result = db.execute(
                update(EmpSessionRow)
                .where(EmpSessionRow.id == flow.id, EmpSessionRow.state == OPEN)
                .values(state=FINISHED, outcome=code.value, finished_at=now)
            )
            if int(getattr(result, "rowcount", 0) or 0) != 1:
                return False
            db.add(
                EmpEventRow(
                    flow_hash=_event_ref(flow.id),
                    kind=FINISH,
                    at=now,
                    client_host=flow.request.client_host,
                    institutions=",".join(offer.institutions)[:1024],
                    items_offered=offer.items_offered,
                    credits_offered=offer.credits_offered,
                    items_sent=offer.items_sent,
                    credits_sent=offer.credits_sent,
                    outcome=code.value,
                    duration_ms=int((now - flow.created_at).total_seconds() * 1000),
                )
            )
        return True

    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete provider sessions that expired more than ``older_than`` ago (statistics stay)."""
        from sqlalchemy import delete

        cutoff = (now or utcnow()) - older_than
        with self.database.session() as db:
            result = db.execute(delete(EmpSessionRow).where(EmpSessionRow.expires_at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)

    def _maybe_purge(self, now: datetime) -> None:
        # Finished or abandoned sessions are kept a day for support questions, then deleted.
        last = self._last_purge
        if last is None or time.monotonic() - last >= PURGE_INTERVAL_SECONDS:
            self._last_purge = time.monotonic()
            self.purge(KEEP_AFTER_EXPIRY, now)

    def count(self) -> int:
        with self.database.session() as db:
            return int(db.scalar(select(func.count()).select_from(EmpSessionRow)) or 0)


def _event_ref(flow_id: str) -> str:
    # Pairs START and FINISH of one session without keeping the flow id itself.
    return _sha256("emp-event:" + flow_id)[:16]
