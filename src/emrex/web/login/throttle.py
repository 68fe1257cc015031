"""Login rate limiting, kept in the database so that every worker process sees the same counts.

Failed attempts are counted per client address and per username in a sliding window; only SHA-256
hashes of the keys are stored (no addresses or usernames in the table).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, Database, UtcDateTime, utcnow
from emrex.errors import EmrexError
from emrex.web.login.settings import RateLimit


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


class LoginThrottle:
    def __init__(self, database: Database, limits: RateLimit) -> None:
        self.database = database
        self.limits = limits

    def check(self, keys: Keys, now: datetime | None = None) -> None:
        """Raise ``TooManyAttempts`` when the address or the username has used up its attempts."""
        now = now or utcnow()
        window = timedelta(seconds=self.limits.window_seconds)
        retry = 0
        with self.database.session() as db:
            for key_hash, is_user in keys.hashed():
                limit = self.limits.max_attempts_per_user if is_user else self.limits.max_attempts_per_address
                count, oldest = db.execute(
                    select(func.count(), func.min(LoginAttemptRow.at)).where(
                        LoginAttemptRow.key_hash == key_hash, LoginAttemptRow.at > now - window
                    )
                ).one()
                if count >= limit and oldest is not None:
                    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
                    retry = max(retry, math.ceil((oldest + window - now).total_seconds()))
        if retry > 0:
            raise TooManyAttempts(retry)

    def failed(self, keys: Keys, now: datetime | None = None) -> None:
        now = now or utcnow()
        with self.database.session() as db:
            db.execute(
                delete(LoginAttemptRow).where(
                    LoginAttemptRow.at <= now - timedelta(seconds=self.limits.window_seconds)
                )
            )
            db.add_all(LoginAttemptRow(key_hash=key_hash, at=now) for key_hash, _ in keys.hashed())

    def succeeded(self, keys: Keys) -> None:
        """Forget the username's failures (the address keeps its count)."""
        user_hashes = [key_hash for key_hash, is_user in keys.hashed() if is_user]
        if user_hashes:
            with self.database.session() as db:
                db.execute(delete(LoginAttemptRow).where(LoginAttemptRow.key_hash.in_(user_hashes)))


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()
