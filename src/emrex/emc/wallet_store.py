"""The EMC's OpenID4VP verifier state in the database (``emc_wallet_request``): every worker sees the
same presentation requests, nonces and answers (``DatabaseVerifierStore``, a ``VerifierStore``).

Each request belongs to the student who started it, and, once its answer is stored as a transfer,
names that transfer. A change is an ``UPDATE … WHERE version = expected``: two workers answering one
request cannot both win. The ephemeral decryption key is erased when the request is answered.
"""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import BigInteger, Integer, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from emrex.db import Base, Database
from emrex.wallet.store import SessionRecord

_BIG = BigInteger().with_variant(Integer(), "sqlite")


class WalletRequestRow(Base):
    __tablename__ = "emc_wallet_request"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student: Mapped[str] = mapped_column(String(255), index=True)  # the login subject who started it
    version: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    encryption_key: Mapped[str] = mapped_column(Text)  # JSON private JWK; "{}" once answered
    expires_at: Mapped[int] = mapped_column(_BIG, index=True)
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(Text)  # JSON: what was verified
    reason: Mapped[str | None] = mapped_column(Text)
    response_code_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    transfer_id: Mapped[int | None] = mapped_column(_BIG)  # the transfer the answer became


class DatabaseVerifierStore:
    """A ``VerifierStore``; ``add_session`` files the request under ``student`` (set per request with
    ``for_student``, as the verifier's ``start`` knows nothing of logins)."""

    def __init__(self, database: Database, student: str = "") -> None:
        self.database = database
        self.student = student

    def for_student(self, student: str) -> DatabaseVerifierStore:
        return DatabaseVerifierStore(self.database, student)

    def add_session(self, session: SessionRecord) -> None:
        if not self.student:
            raise ValueError("a wallet request must belong to a student")
        with self.database.session() as db:
            db.add(_row(session, self.student))

    def session(self, session_id: str) -> SessionRecord | None:
        with self.database.session(readonly=True) as db:
            row = db.get(WalletRequestRow, session_id[:64])
            return _record(row) if row is not None else None

    def session_by_response_code(self, code_hash: str) -> SessionRecord | None:
        with self.database.session(readonly=True) as db:
            row = db.scalar(select(WalletRequestRow).where(WalletRequestRow.response_code_hash == code_hash))
            return _record(row) if row is not None else None

    def save_session(self, session: SessionRecord) -> bool:
        with self.database.session() as db:
            result = db.execute(
                update(WalletRequestRow)
                .where(
                    WalletRequestRow.session_id == session.session_id,
                    WalletRequestRow.version == session.version,
                )
                .values(
                    version=session.version + 1,
                    encryption_key=json.dumps(session.encryption_key),
                    status=session.status,
                    result=None if session.result is None else json.dumps(session.result),
                    reason=session.reason,
                    response_code_hash=session.response_code_hash,
                )
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def owner(self, session_id: str) -> tuple[str, int | None] | None:
        """Who started the request and which transfer its answer became; None when unknown."""
        with self.database.session(readonly=True) as db:
            row = db.get(WalletRequestRow, session_id[:64])
            return None if row is None else (row.student, row.transfer_id)

    def purge(self, now: int) -> None:
        """Forget requests an hour past their expiry (their transfers stay)."""
        with self.database.session() as db:
            db.execute(delete(WalletRequestRow).where(WalletRequestRow.expires_at < now - 3600))


def claim(s: Session, session_id: str, transfer_id: int) -> bool:
    """In the transaction that stores the transfer: name it as the request's; False when another
    worker did first (the caller rolls back)."""
    result = s.execute(
        update(WalletRequestRow)
        .where(WalletRequestRow.session_id == session_id, WalletRequestRow.transfer_id.is_(None))
        .values(transfer_id=transfer_id)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _row(session: SessionRecord, student: str) -> WalletRequestRow:
    return WalletRequestRow(
        session_id=session.session_id,
        student=student[:255],
        version=session.version,
        nonce=session.nonce,
        state=session.state,
        encryption_key=json.dumps(session.encryption_key),
        expires_at=session.expires_at,
        status=session.status,
        result=None if session.result is None else json.dumps(session.result),
        reason=session.reason,
        response_code_hash=session.response_code_hash,
        transfer_id=None,
    )


def _record(row: WalletRequestRow) -> SessionRecord:
    record = SessionRecord(
        session_id=row.session_id,
        nonce=row.nonce,
        state=row.state,
        encryption_key=json.loads(row.encryption_key),
        expires_at=row.expires_at,
    )
    return replace(
        record,
        status=row.status,
        result=None if row.result is None else json.loads(row.result),
        reason=row.reason,
        response_code_hash=row.response_code_hash,
        version=row.version,
    )
