"""Login rate limiting in the database: per address and per username, over a sliding window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from emrex.db import Database, upgrade
from emrex.web.login.settings import RateLimit
from emrex.web.login.throttle import Keys, LoginAttemptRow, LoginThrottle, TooManyAttempts

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LIMITS = RateLimit(max_attempts_per_user=3, max_attempts_per_address=5, window_seconds=300)


def test_username_is_blocked_after_its_attempts_with_the_time_to_wait(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    keys = Keys("198.51.100.1", "anna")
    for minute in range(3):
        throttle.check(keys, NOW + timedelta(minutes=minute))
        throttle.failed(keys, NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts) as caught:
        throttle.check(Keys("203.0.113.2", "ANNA"), NOW + timedelta(minutes=3))  # other address, same user
    assert caught.value.retry_after == 120  # the first failure leaves the window at minute 5
    assert "try again in 2 minutes" in str(caught.value)
    throttle.check(keys, NOW + timedelta(minutes=5, seconds=1))  # window passed


def test_address_is_blocked_across_usernames(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    for i in range(5):
        throttle.failed(Keys("198.51.100.1", f"user{i}"), NOW)
    with pytest.raises(TooManyAttempts):
        throttle.check(Keys("198.51.100.1", "someone-new"), NOW)
    throttle.check(Keys("198.51.100.2", "someone-new"), NOW)


def test_success_forgets_the_username_failures_but_not_the_address(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    keys = Keys("198.51.100.1", "anna")
    for _ in range(2):
        throttle.failed(keys, NOW)
    throttle.succeeded(keys)
    throttle.failed(keys, NOW)
    throttle.failed(keys, NOW)
    throttle.check(keys, NOW)  # 2 user failures since the success: under 3


def test_two_processes_share_the_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    first, second = Database(url), Database(url)
    keys = Keys("198.51.100.1", "anna")
    for _ in range(3):
        LoginThrottle(first, LIMITS).failed(keys, NOW)
    with pytest.raises(TooManyAttempts):
        LoginThrottle(second, LIMITS).check(keys, NOW)


def test_only_hashes_are_stored(database: Database) -> None:
    LoginThrottle(database, LIMITS).failed(Keys("198.51.100.1", "anna@uni.example"), NOW)
    with database.session() as db:
        stored = db.scalars(select(LoginAttemptRow.key_hash)).all()
    assert len(stored) == 2
    assert all("anna" not in key and "198.51" not in key and len(key) == 64 for key in stored)


def test_old_attempts_are_purged(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    throttle.failed(Keys("198.51.100.1"), NOW)
    throttle.failed(Keys("198.51.100.2"), NOW + timedelta(hours=1))
    with database.session() as db:
        assert len(db.scalars(select(LoginAttemptRow.id)).all()) == 1


@pytest.mark.postgres
def test_throttle_on_postgresql(postgres_schema: Callable[[], str]) -> None:
    url = postgres_schema()
    upgrade(url)
    database = Database(url)
    try:
        throttle = LoginThrottle(database, LIMITS)
        keys = Keys("198.51.100.1", "anna")
        for minute in range(3):
            throttle.failed(keys, NOW + timedelta(minutes=minute))
        with pytest.raises(TooManyAttempts) as caught:
            throttle.check(keys, NOW + timedelta(minutes=3))
        assert caught.value.retry_after == 120
        throttle.succeeded(keys)
        throttle.check(keys, NOW + timedelta(minutes=3))
    finally:
        database.engine.dispose()
