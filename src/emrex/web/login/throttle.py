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

from sqlalchemy import BigInteger, Integer, String, delete, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

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


class LoginThrottle:
    def __init__(self, database: Database, limits: RateLimit) -> None:
        self.database = database
        self.limits = limits

    def check(self, keys: Keys, now: datetime | None = None) -> None:
        """Raise ``TooManyAttempts`` when the address or the username has used up its attempts."""
        now = now or utcnow()
        with self.database.session(readonly=True) as db:
            retry = self._retry_after(db, keys, now)
        if retry > 0:
            raise TooManyAttempts(retry)

    def attempt(self, keys: Keys, now: datetime | None = None) -> Attempt:
        """Count an attempt before its password or token is checked: ``TooManyAttempts`` when the keys
        have used up their attempts, else the attempt is recorded as failed until ``succeeded``.

        Counting and recording are one transaction under a lock of the keys (an advisory lock on
        PostgreSQL, the database write lock on SQLite), so parallel attempts cannot all pass the count.
        """
        now = now or utcnow()
        hashed = keys.hashed()
        with self.database.session() as db:
            if db.get_bind().dialect.name == "postgresql":
                for key_hash in sorted(h for h, _ in hashed):  # one order everywhere: no deadlock
                    db.execute(
                        text("SELECT pg_advisory_xact_lock(:space, :key)"),
                        {"space": LOCK_SPACE, "key": _lock_key(key_hash)},
                    )
            retry = self._retry_after(db, keys, now)
            if retry > 0:
                raise TooManyAttempts(retry)
            db.execute(
                delete(LoginAttemptRow).where(
                    LoginAttemptRow.at <= now - timedelta(seconds=self.limits.window_seconds)
                )
            )
            rows = [LoginAttemptRow(key_hash=key_hash, at=now) for key_hash, _ in hashed]
            db.add_all(rows)
            db.flush()
            return Attempt(keys, tuple(row.id for row in rows))

    def succeeded(self, attempt: Attempt) -> None:
        """Forget the username's failures and this attempt (the address keeps its earlier failures)."""
        user_hashes = [key_hash for key_hash, is_user in attempt.keys.hashed() if is_user]
        with self.database.session() as db:
            db.execute(
                delete(LoginAttemptRow).where(
                    LoginAttemptRow.id.in_(attempt.row_ids) | LoginAttemptRow.key_hash.in_(user_hashes)
                )
            )

    def _retry_after(self, db: Session, keys: Keys, now: datetime) -> int:
        window = timedelta(seconds=self.limits.window_seconds)
        retry = 0
        for key_hash, is_user in keys.hashed():
            limit = self.limits.max_attempts_per_user if is_user else self.limits.max_attempts_per_address
            count, oldest = db.execute(
                select(func.count(), func.min(LoginAttemptRow.at)).where(
                    LoginAttemptRow.key_hash == key_hash, LoginAttemptRow.at > now - window
                )
            ).one()
            if count >= limit and oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
                retry = max(retry, math.ceil((oldest + window - now).total_seconds()), 1)
        return retry


def _lock_key(key_hash: str) -> int:
    """A signed 32-bit number from the key's hash (PostgreSQL's two-key advisory locks take int4)."""
    value = int(key_hash[:8], 16)
    return value - (1 << 32) if value >= 1 << 31 else value


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()
