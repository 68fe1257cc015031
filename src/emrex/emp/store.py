"""Provider sessions (``emp_session``) and statistics records (``emp_event``) in the database.

A provider session is one EMREX request: the client's ``sessionId`` and ``returnUrl``, the flags, the
student's selection, and how it ended. Until someone logs in it is only a ``PendingFlow`` in the
browser's session (a signed cookie): an anonymous request stores nothing. At the first page after
login it is stored (``materialise``), bound to the person (a hash of the login subject) and to the
browser that brought it: the web session holds a secret whose SHA-256 is stored here, so knowing the
flow id alone gives nothing. It can be finished once: ``finish`` is a conditional UPDATE, so two racing
sends produce one document; the answer sent is kept until the session expires, so that the student can
post it again.

Statistics hold no personal data: the client's host, the institutions, counts, credits, the outcome
and the duration. A session is counted (START) when it is stored, at login; START records that never
got a FINISH are purged with their session. A student's export at the EMP (``emp.export``) is counted
as a session of the client ``export:<format>`` that started and ended at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    Numeric,
    Row,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from emrex.db import Base, Database, UtcDateTime, utcnow
from emrex.emp.protocol import EntryRequest, ReturnCode

FLOW_ID_BYTES = 24
PURGE_INTERVAL_SECONDS = 600.0
KEEP_AFTER_EXPIRY = timedelta(days=1)
PENDING = "pending"
OPEN = "open"
FINISHED = "finished"
START = "START"
FINISH = "FINISH"
EXPORT_CLIENT = "export:"  # the client of an export's statistics records: export:elmo, export:wallet, …


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
    # The fields posted back to the client, kept until expiry so the student can post them again.
    answer: Mapped[str | None] = mapped_column(Text)


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


# The statements of a transfer's steps, built once: Core on the tables, no ORM objects to make per
# request, and the same SQL text every time (psycopg prepares what it sees repeatedly).
_SESSIONS = cast(Table, EmpSessionRow.__table__)
_EVENTS = cast(Table, EmpEventRow.__table__)
_LOAD = select(_SESSIONS).where(_SESSIONS.c.id == bindparam("flow_id"))
_STORE = insert(_SESSIONS)
_COUNT = insert(_EVENTS)
_SAVE_SELECTION = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("flow_id"), _SESSIONS.c.state == OPEN)
    .values(selection=bindparam("keys"))
)
_FINISH = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("flow_id"), _SESSIONS.c.state == OPEN)
    .values(
        state=FINISHED,
        outcome=bindparam("code"),
        finished_at=bindparam("now"),
        answer=bindparam("fields"),
    )
)
_BIND = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("flow_id"), _SESSIONS.c.subject_hash.is_(None))
    .values(subject_hash=bindparam("wanted"))
)
_SUBJECT = select(_SESSIONS.c.subject_hash).where(_SESSIONS.c.id == bindparam("flow_id"))
_ANSWER = select(_SESSIONS.c.answer, _SESSIONS.c.expires_at).where(_SESSIONS.c.id == bindparam("flow_id"))


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


@dataclass(frozen=True)
class PendingFlow:
    """An EMREX request that nobody has logged in for yet: kept in the browser's session only."""

    id: str
    secret: str
    request: EntryRequest
    created_at: datetime
    expires_at: datetime

    def flow(self) -> Flow:
        return Flow(self.id, self.request, None, PENDING, None, None, self.created_at, self.expires_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "s": self.secret,
            "sid": self.request.session_id,
            "url": self.request.return_url,
            "pick": self.request.allow_pick,
            "np": self.request.allow_not_passed,
            "at": self.created_at.timestamp(),
            "exp": self.expires_at.timestamp(),
        }

    @classmethod
    def from_dict(cls, flow_id: str, data: object) -> PendingFlow | None:
        """The pending flow the session holds; None for anything else (the session was signed by us,
        but a value of an older version may not fit)."""
        if not isinstance(data, dict):
            return None
        try:
            request = EntryRequest(str(data["sid"]), str(data["url"]), bool(data["pick"]), bool(data["np"]))
            created = datetime.fromtimestamp(float(data["at"]), UTC)
            expires = datetime.fromtimestamp(float(data["exp"]), UTC)
            secret = data["s"]
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            return None
        return cls(flow_id, secret, request, created, expires) if isinstance(secret, str) else None


def _flow(row: EmpSessionRow | Row[Any]) -> Flow:
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

    def pending(self, request: EntryRequest, now: datetime | None = None) -> PendingFlow:
        """A new provider session, not stored: the browser's session keeps it until login."""
        now = now or utcnow()
        flow_id = secrets.token_urlsafe(FLOW_ID_BYTES)
        return PendingFlow(flow_id, secrets.token_urlsafe(32), request, now, now + self.lifetime)

    def materialise(
        self,
        pending: PendingFlow,
        subject: str,
        institutions: tuple[str, ...] = (),
        now: datetime | None = None,
    ) -> Flow | None:
        """Store ``pending`` for the person who logged in, and count it (START); the stored flow, also
        when another request stored it first; None when its id belongs to another browser."""
        self._maybe_purge(now or utcnow())
        request = pending.request
        bound = subject_hash(subject)
        flow = Flow(pending.id, request, None, OPEN, None, bound, pending.created_at, pending.expires_at)
        stored = {
            "id": pending.id,
            "binding_hash": _sha256(pending.secret),
            "subject_hash": bound,
            "request_session_id": request.session_id,
            "return_url": request.return_url,
            "allow_pick": request.allow_pick,
            "allow_not_passed": request.allow_not_passed,
            "selection": None,
            "state": OPEN,
            "outcome": None,
            "created_at": pending.created_at,
            "expires_at": pending.expires_at,
            "finished_at": None,
            "answer": None,
        }
        try:
            with self.database.session() as db:
                connection = _connection(db)
                connection.execute(_STORE, stored)
                connection.execute(
                    _COUNT, _event(pending.id, START, pending.created_at, request.client_host, institutions)
                )
        except IntegrityError:  # two tabs after one login: the other one stored it
            return self.load(pending.id, pending.secret)
        return flow

    def load(self, flow_id: str, secret: str | None) -> Flow | None:
        """The flow if it exists and ``secret`` is the one its browser holds; None otherwise."""
        if secret is None or len(flow_id) > 64:
            return None
        with self.database.session(readonly=True) as db:
            row = _connection(db).execute(_LOAD, {"flow_id": flow_id}).first()
        if row is None or not hmac.compare_digest(row.binding_hash, _sha256(secret)):
            return None
        return _flow(row)

    def bind_subject(self, flow_id: str, subject: str) -> bool:
        """Bind the flow to the person on first use; False when it belongs to someone else."""
        wanted = subject_hash(subject)
        with self.database.session() as db:
            connection = _connection(db)
            connection.execute(_BIND, {"flow_id": flow_id, "wanted": wanted})
            return connection.execute(_SUBJECT, {"flow_id": flow_id}).scalar() == wanted

    def save_selection(self, flow_id: str, keys: list[str]) -> None:
        with self.database.session() as db:
            _connection(db).execute(_SAVE_SELECTION, {"flow_id": flow_id, "keys": json.dumps(keys)})

    def finish(
        self,
        flow: Flow,
        code: ReturnCode,
        offer: Offer,
        answer: Sequence[tuple[str, str]] = (),
        now: datetime | None = None,
    ) -> bool:
        """Mark the flow finished with ``code``, keep the ``answer`` fields posted back to the client, and
        record FINISH; False when it was finished already."""
        now = now or utcnow()
        fields = json.dumps([list(field) for field in answer]) if answer else None
        with self.database.session() as db:
            connection = _connection(db)
            changed = {"flow_id": flow.id, "code": code.value, "now": now, "fields": fields}
            result = connection.execute(_FINISH, changed)
            if int(getattr(result, "rowcount", 0) or 0) != 1:
                return False
            counted = _event(flow.id, FINISH, now, flow.request.client_host, offer.institutions)
            counted.update(
                items_offered=offer.items_offered,
                credits_offered=offer.credits_offered,
                items_sent=offer.items_sent,
                credits_sent=offer.credits_sent,
                outcome=code.value,
                duration_ms=int((now - flow.created_at).total_seconds() * 1000),
            )
            connection.execute(_COUNT, counted)
        return True

    def answer(self, flow_id: str, now: datetime | None = None) -> list[tuple[str, str]] | None:
        """The fields the finished flow posted back to its client, while the flow has not expired."""
        now = now or utcnow()
        with self.database.session(readonly=True) as db:
            row = _connection(db).execute(_ANSWER, {"flow_id": flow_id}).first()
        stored = row.answer if row is not None and row.expires_at > now else None
        if not stored:
            return None
        fields = json.loads(stored)
        return [(str(name), str(value)) for name, value in fields]

    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete provider sessions that expired more than ``older_than`` ago, and the START records
        that never got a FINISH (the other statistics stay); forget the answers of expired sessions."""
        now = now or utcnow()
        cutoff = now - older_than
        finished = select(EmpEventRow.flow_hash).where(EmpEventRow.kind == FINISH)
        with self.database.session() as db:
            result = db.execute(delete(EmpSessionRow).where(EmpSessionRow.expires_at < cutoff))
            db.execute(
                update(EmpSessionRow)
                .where(EmpSessionRow.expires_at <= now, EmpSessionRow.answer.is_not(None))
                .values(answer=None)
            )
            db.execute(
                delete(EmpEventRow).where(
                    EmpEventRow.kind == START,
                    EmpEventRow.at < cutoff - self.lifetime,
                    EmpEventRow.flow_hash.not_in(finished),
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _maybe_purge(self, now: datetime) -> None:
        # Finished or abandoned sessions are kept a day for support questions, then deleted.
        last = self._last_purge
        if last is None or time.monotonic() - last >= PURGE_INTERVAL_SECONDS:
            self._last_purge = time.monotonic()
            self.purge(KEEP_AFTER_EXPIRY, now)

    def record_export(self, kind: str, offer: Offer, now: datetime | None = None) -> None:
        """Count a student's export at the EMP (``emp.export``): a START and a FINISH at once, under
        the client ``export:<kind>``, so the statistics show exports beside each client's transfers."""
        now = now or utcnow()
        ref = _event_ref("export:" + secrets.token_urlsafe(16))
        client = f"{EXPORT_CLIENT}{kind}"
        with self.database.session() as db:
            db.add(EmpEventRow(flow_hash=ref, kind=START, at=now, client_host=client, institutions=""))
            db.add(
                EmpEventRow(
                    flow_hash=ref,
                    kind=FINISH,
                    at=now,
                    client_host=client,
                    institutions=",".join(offer.institutions)[:1024],
                    items_offered=offer.items_offered,
                    credits_offered=offer.credits_offered,
                    items_sent=offer.items_sent,
                    credits_sent=offer.credits_sent,
                    outcome=ReturnCode.OK.value,
                    duration_ms=None,
                )
            )

    def count(self) -> int:
        with self.database.session() as db:
            return int(db.scalar(select(func.count()).select_from(EmpSessionRow)) or 0)


def _connection(db: Session) -> Connection:
    # Core statements run on the session's connection, in its transaction, past the ORM's machinery.
    return db.connection()


def _event(
    flow_id: str, kind: str, at: datetime, client: str, institutions: tuple[str, ...]
) -> dict[str, Any]:
    """The columns of a statistics record with nothing offered or sent yet."""
    return {
        "flow_hash": _event_ref(flow_id),
        "kind": kind,
        "at": at,
        "client_host": client,
        "institutions": ",".join(institutions)[:1024],
        "items_offered": 0,
        "credits_offered": Decimal(0),
        "items_sent": 0,
        "credits_sent": Decimal(0),
        "outcome": None,
        "duration_ms": None,
    }


def _event_ref(flow_id: str) -> str:
    # Pairs START and FINISH of one session without keeping the flow id itself.
    return _sha256("emp-event:" + flow_id)[:16]
