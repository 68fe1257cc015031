"""Login rate limiting, kept in the database so that every worker process sees the same counts.

Attempts are counted per client address and per username in a sliding window, each one before its
password or token is checked (``attempt``), and forgotten when it succeeds; only SHA-256 hashes of
the keys are stored (no addresses or usernames in the table).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, Database, UtcDateTime, utcnow
from emrex.errors import EmrexError
from emrex.web.login.settings import RateLimit

# The first key of PostgreSQL advisory locks taken for login keys: "emrl" as a number.
LOCK_SPACE = 0x656D726C


class LoginAttemptRow(Base):
    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class TooManyAttempts(EmrexError):
    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"too many failed login attempts; try again in {minutes} minute{'s' if minutes > 1 else ''}"
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Keys:
    address: str
    username: str | None = None

    def hashed(self) -> list[tuple[str, bool]]:
        """(hash, is_user) for each key."""
        keys = [(_hash("address", self.address), False)]
        if self.username:
            keys.append((_hash("user", self.username.casefold()), True))
        return keys


@dataclass(frozen=True)
class Attempt:
    """A login attempt that was counted before it was checked (``LoginThrottle.attempt``)."""

    keys: Keys
    row_ids: tuple[int, ...]


_TABLE = cast(Table, LoginAttemptRow.__table__)
_HASH, _AT = _TABLE.c.key_hash.type, _TABLE.c.at.type
# Core statements made once: a login is two short transactions, and building ORM statements cost more
# than running them. A username-less attempt passes its address hash as ``user`` too.
_COUNT = (
    select(_TABLE.c.key_hash, func.count(), func.min(_TABLE.c.at))
    .where(
        _TABLE.c.key_hash.in_([bindparam("address", type_=_HASH), bindparam("user", type_=_HASH)]),
        _TABLE.c.at > bindparam("since"),
    )
    .group_by(_TABLE.c.key_hash)
)
_RECORD = {
    count: insert(_TABLE)
    .values(
        [
            {"key_hash": bindparam(f"key{i}", type_=_HASH), "at": bindparam("at", type_=_AT)}
            for i in range(count)
        ]
    )
    .returning(_TABLE.c.id)
    for count in (1, 2)
}
# ``user`` None (no username) matches no row.
_FORGET = delete(_TABLE).where(
    _TABLE.c.id.in_(bindparam("ids", expanding=True)) | (_TABLE.c.key_hash == bindparam("user"))
)
_PURGE = delete(_TABLE).where(_TABLE.c.at <= bindparam("cutoff"))
# Two advisory locks in one statement, taken left to right (the keys are sorted: no deadlock).
_LOCK = {
    count: text("SELECT " + ", ".join(f"pg_advisory_xact_lock({LOCK_SPACE}, :key{i})" for i in range(count)))
    for count in (1, 2)
}
# Rows older than the window count for nothing; a process deletes them at most this often.
PURGE_INTERVAL = timedelta(minutes=1)


class LoginThrottle:
    def __init__(self, database: Database, limits: RateLimit) -> None:
        self.database = database
        self.limits = limits
        self._window = timedelta(seconds=limits.window_seconds)
        self._locks = database.engine.dialect.name == "postgresql"
        self._purged_at: datetime | None = None

    def check(self, keys: Keys, now: datetime | None = None) -> None:
        """Raise ``TooManyAttempts`` when the address or the username has used up its attempts."""
        now = now or utcnow()
        with self.database.session(readonly=True) as db:
            retry = self._retry_after(db.connection(), keys, now)
        if retry > 0:
            raise TooManyAttempts(retry)

    def attempt(self, keys: Keys, now: datetime | None = None) -> Attempt:
        """Count an attempt before its password or token is checked: ``TooManyAttempts`` when the keys
        have used up their attempts, else the attempt is recorded as failed until ``succeeded``.

        Counting and recording are one transaction under a lock of the keys (an advisory lock on
        PostgreSQL, the database write lock on SQLite), so parallel attempts cannot all pass the count.
        """
        now = now or utcnow()
        hashes = sorted(key_hash for key_hash, _ in keys.hashed())  # one order everywhere: no deadlock
        numbered = {f"key{i}": key_hash for i, key_hash in enumerate(hashes)}
        with self.database.session() as db:
            connection = db.connection()
            if self._locks:
                locks = {name: _lock_key(key_hash) for name, key_hash in numbered.items()}
                connection.execute(_LOCK[len(hashes)], locks)
            retry = self._retry_after(connection, keys, now)
            if retry > 0:
                raise TooManyAttempts(retry)
            if self._purge_due(now):
                connection.execute(_PURGE, {"cutoff": now - self._window})
            ids = connection.execute(_RECORD[len(hashes)], {"at": now, **numbered}).scalars().all()
            return Attempt(keys, tuple(ids))

    def succeeded(self, attempt: Attempt) -> None:
        """Forget the username's failures and this attempt (the address keeps its earlier failures)."""
        user = next((key_hash for key_hash, is_user in attempt.keys.hashed() if is_user), None)
        with self.database.session() as db:
            db.connection().execute(_FORGET, {"ids": list(attempt.row_ids), "user": user})

    def _purge_due(self, now: datetime) -> bool:
        last = self._purged_at
        if last is not None and abs(now - last) < PURGE_INTERVAL:
            return False
        self._purged_at = now
        return True

    def _retry_after(self, connection: Connection, keys: Keys, now: datetime) -> int:
        hashed = keys.hashed()
        address = hashed[0][0]
        user = hashed[1][0] if len(hashed) > 1 else address
        limits = {address: self.limits.max_attempts_per_address}
        if user != address:
            limits[user] = self.limits.max_attempts_per_user
        retry = 0
        found = connection.execute(_COUNT, {"address": address, "user": user, "since": now - self._window})
        for key_hash, count, oldest in found:
            if count >= limits[key_hash] and oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
                retry = max(retry, math.ceil((oldest + self._window - now).total_seconds()), 1)
        return retry


def _lock_key(key_hash: str) -> int:
    """A signed 32-bit number from the key's hash (PostgreSQL's two-key advisory locks take int4)."""
    value = int(key_hash[:8], 16)
    return value - (1 << 32) if value >= 1 << 31 else value


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()
