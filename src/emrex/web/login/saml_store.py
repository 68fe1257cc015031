"""What the SAML service provider must remember between requests, in the database for every worker.

``saml_request``: the AuthnRequests and LogoutRequests we sent and are waiting for. The identity
provider's answer arrives as a cross-site POST without our session cookie, so the assertion consumer
finds the request by its id here, stores the checked answer on it, and the browser then collects it
with its own cookie (``take_answer``). ``saml_replay``: ids of responses and assertions already used,
kept until they expire. Only SHA-256 hashes of the ids are stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, Database, UtcDateTime, utcnow
from emrex.errors import EmrexError

LOGIN = "login"
LOGOUT = "logout"
# A used response or assertion id is remembered at least this long, and at most a day.
MIN_REPLAY_WINDOW = timedelta(minutes=10)
MAX_REPLAY_WINDOW = timedelta(days=1)


class SamlRequestRow(Base):
    __tablename__ = "saml_request"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)


class SamlReplayRow(Base):
    __tablename__ = "saml_replay"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Replayed(EmrexError):
    """The identity provider's answer (or its assertion) was used before."""


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


class SamlStore:
    def __init__(self, database: Database, lifetime: timedelta) -> None:
        self.database = database
        self.lifetime = lifetime

    def expect(self, kind: str, request_id: str, now: datetime | None = None) -> None:
        """Remember a request we send; expired ones are forgotten on the way."""
        now = now or utcnow()
        with self.database.session() as db:
            db.execute(delete(SamlRequestRow).where(SamlRequestRow.expires_at <= now))
            db.execute(delete(SamlReplayRow).where(SamlReplayRow.expires_at <= now))
            db.add(SamlRequestRow(id_hash=_hash(kind, request_id), kind=kind, expires_at=now + self.lifetime))

    def is_waiting(self, kind: str, request_id: str, now: datetime | None = None) -> bool:
        """True while the request is unanswered and not expired."""
        now = now or utcnow()
        with self.database.session(readonly=True) as db:
            row = db.get(SamlRequestRow, _hash(kind, request_id))
            return row is not None and row.answer is None and row.expires_at > now

    def answer(
        self,
        request_id: str,
        answer: str,
        used_ids: list[str],
        used_until: datetime,
        now: datetime | None = None,
    ) -> None:
        """Store the checked answer to a login request and mark its message ids as used, at once.

        ``Replayed`` when the request was answered already or an id was used before: then nothing
        is stored.
        """
        now = now or utcnow()
        until = min(max(used_until, now + MIN_REPLAY_WINDOW), now + MAX_REPLAY_WINDOW)
        try:
            with self.database.session() as db:
                db.add_all(SamlReplayRow(id_hash=_hash("used", i), expires_at=until) for i in used_ids)
                db.flush()
                stored = db.execute(
                    update(SamlRequestRow)
                    .where(
                        SamlRequestRow.id_hash == _hash(LOGIN, request_id),
                        SamlRequestRow.answer.is_(None),
                        SamlRequestRow.expires_at > now,
                    )
                    .values(answer=answer)
                )
                if int(getattr(stored, "rowcount", 0) or 0) != 1:
                    raise Replayed("this login answer was used before or its login expired")
        except IntegrityError:
            raise Replayed("this answer from the identity provider was used before") from None

    def take_answer(self, request_id: str, now: datetime | None = None) -> str | None:
        """The stored answer to a login request, once (the request is forgotten)."""
        now = now or utcnow()
        key = _hash(LOGIN, request_id)
        with self.database.session() as db:
            answer = db.scalar(
                select(SamlRequestRow.answer).where(
                    SamlRequestRow.id_hash == key,
                    SamlRequestRow.answer.is_not(None),
                    SamlRequestRow.expires_at > now,
                )
            )
            if answer is None:
                return None
            gone = db.execute(delete(SamlRequestRow).where(SamlRequestRow.id_hash == key))
            if int(getattr(gone, "rowcount", 0) or 0) != 1:
                return None  # another request took it first
            return answer

    def finish(self, kind: str, request_id: str, now: datetime | None = None) -> bool:
        """Forget a waiting request; False when it was not waiting (unknown, expired or answered)."""
        now = now or utcnow()
        with self.database.session() as db:
            gone = db.execute(
                delete(SamlRequestRow).where(
                    SamlRequestRow.id_hash == _hash(kind, request_id),
                    SamlRequestRow.answer.is_(None),
                    SamlRequestRow.expires_at > now,
                )
            )
            return int(getattr(gone, "rowcount", 0) or 0) == 1
