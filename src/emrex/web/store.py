"""The ``web_session`` table and the reads and writes a session needs, and ``web_secret``.

Only the SHA-256 of the cookie value is stored, so a copy of the table does not give anyone a
session. Expired rows are deleted when met and, at most every few minutes per process, in bulk. Only
logged-in sessions are stored here; a visitor's session before login is a signed cookie
(``emrex.web.cookies``), whose key is the one row of ``web_secret`` it needs.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Insert, String, Table, Text, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, Database, UtcDateTime, utcnow

PURGE_INTERVAL_SECONDS = 300.0


class WebSessionRow(Base):
    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class WebSecretRow(Base):
    """Random secrets shared by every process of a service (the key of the signed session cookies)."""

    __tablename__ = "web_secret"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


COOKIE_SECRET = "session-cookie"  # noqa: S105 - the name of the secret, not the secret


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    data: dict[str, Any]
    data_json: str
    created_at: datetime
    seen_at: datetime


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    def expiry(self, created_at: datetime, now: datetime) -> datetime:
        return min(now + self.idle, created_at + self.absolute)


_TABLE = cast(Table, WebSessionRow.__table__)
_BY_HASH = _TABLE.c.id_hash == bindparam("key_hash")
# Core statements on the block's connection: a session is read or written on most requests, and the
# ORM's unit of work (identity map, flush) cost more than the statement itself.
_LOAD = select(_TABLE.c.data, _TABLE.c.created_at, _TABLE.c.seen_at, _TABLE.c.expires_at).where(_BY_HASH)
_DELETE = delete(_TABLE).where(_BY_HASH)
_TIMES = {
    "seen_at": bindparam("new_seen_at", type_=UtcDateTime()),
    "expires_at": bindparam("new_expires_at", type_=UtcDateTime()),
}
_TOUCH = update(_TABLE).where(_BY_HASH).values(_TIMES)


def _upsert(dialect: str) -> Insert:
    """Insert the session, or update its data and times when the key is stored: one statement for a
    new key (login) and a changed session alike. Both backends spell it ``ON CONFLICT DO UPDATE``."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(_TABLE).values(
        id_hash=bindparam("key_hash"),
        data=bindparam("new_data", type_=_TABLE.c.data.type),
        created_at=bindparam("new_created_at", type_=_TABLE.c.created_at.type),
        **_TIMES,
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.id_hash],
        set_={"data": new.data, "seen_at": new.seen_at, "expires_at": new.expires_at},
    )


class SessionStore:
    """Loads and saves sessions by cookie value; every method is one short transaction."""

    def __init__(self, database: Database, lifetimes: Lifetimes) -> None:
        self.database = database
        self.lifetimes = lifetimes
        self._upsert = _upsert(database.engine.dialect.name)
        self._last_purge: float | None = None  # None: due at once (the monotonic clock starts at boot)
        self._purge_lock = threading.Lock()
        self._cookie_key: bytes | None = None
        self._key_lock = threading.Lock()

    def load(self, key: str, now: datetime | None = None) -> StoredSession | None:
        now = now or utcnow()
        with self.database.session(readonly=True) as db:
            found = db.connection().execute(_LOAD, {"key_hash": hash_key(key)}).first()
        if found is None:
            return None
        data_json, created_at, seen_at, expires_at = found
        try:
            data = json.loads(data_json) if expires_at > now else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.delete(key)
            return None
        return StoredSession(data, data_json, created_at, seen_at)

    def save(
        self,
        key: str,
        data_json: str,
        *,
        created_at: datetime,
        replaces: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Insert or update the session ``key``; ``replaces`` is an old key deleted in the same step."""
        now = now or utcnow()
        values = {
            "key_hash": hash_key(key),
            "new_data": data_json,
            "new_created_at": created_at,
            "new_seen_at": now,
            "new_expires_at": self.lifetimes.expiry(created_at, now),
        }
        with self.database.session() as db:
            connection = db.connection()
            if replaces is not None:
                connection.execute(_DELETE, {"key_hash": hash_key(replaces)})
            connection.execute(self._upsert, values)
        self._maybe_purge(now)

    def touch(self, key: str, created_at: datetime, now: datetime | None = None) -> None:
        now = now or utcnow()
        values = {
            "key_hash": hash_key(key),
            "new_seen_at": now,
            "new_expires_at": self.lifetimes.expiry(created_at, now),
        }
        with self.database.session() as db:
            db.connection().execute(_TOUCH, values)

    def delete(self, key: str) -> None:
        with self.database.session() as db:
            db.connection().execute(_DELETE, {"key_hash": hash_key(key)})

    def cookie_key(self) -> bytes:
        """The key that signs anonymous session cookies: made once per database, the same in every
        worker; read once per process."""
        with self._key_lock:
            if self._cookie_key is None:
                self._cookie_key = self._shared_secret(COOKIE_SECRET)
            return self._cookie_key

    def _shared_secret(self, name: str) -> bytes:
        with self.database.session(readonly=True) as db:
            row = db.get(WebSecretRow, name)
            if row is not None:
                return bytes.fromhex(row.value)
        try:
            with self.database.session() as db:
                db.add(WebSecretRow(name=name, value=secrets.token_hex(32), created_at=utcnow()))
        except IntegrityError:
            pass  # another worker made it first: theirs counts
        with self.database.session(readonly=True) as db:
            row = db.get(WebSecretRow, name)
            assert row is not None
            return bytes.fromhex(row.value)

    def purge_expired(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        with self.database.session() as db:
            result = db.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
            return int(getattr(result, "rowcount", 0) or 0)

    def _maybe_purge(self, now: datetime) -> None:
        with self._purge_lock:
            last = self._last_purge
            due = last is None or time.monotonic() - last >= PURGE_INTERVAL_SECONDS
            if due:
                self._last_purge = time.monotonic()
        if due:
            self.purge_expired(now)
