"""Login rate limiting in the database: per address and per username, over a sliding window."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from emrex.db import Database, upgrade
from emrex.web.login.settings import RateLimit
from emrex.web.login.throttle import Keys, LoginAttemptRow, LoginThrottle, TooManyAttempts

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LIMITS = RateLimit(max_attempts_per_user=3, max_attempts_per_address=5, window_seconds=300)


def test_username_is_blocked_after_its_attempts_with_the_time_to_wait(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    keys = Keys("198.51.100.1", "anna")
    for minute in range(3):
        throttle.attempt(keys, NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts) as caught:
        throttle.attempt(Keys("203.0.113.2", "ANNA"), NOW + timedelta(minutes=3))  # other address, same user
    assert caught.value.retry_after == 120  # the first failure leaves the window at minute 5
    assert "try again in 2 minutes" in str(caught.value)
    throttle.attempt(keys, NOW + timedelta(minutes=5, seconds=1))  # window passed


def test_address_is_blocked_across_usernames(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    for i in range(5):
        throttle.attempt(Keys("198.51.100.1", f"user{i}"), NOW)
    with pytest.raises(TooManyAttempts):
        throttle.check(Keys("198.51.100.1", "someone-new"), NOW)
    with pytest.raises(TooManyAttempts):
        throttle.attempt(Keys("198.51.100.1", "someone-new"), NOW)
    throttle.attempt(Keys("198.51.100.2", "someone-new"), NOW)


def test_success_forgets_the_username_failures_and_itself_but_not_earlier_address_failures(
    database: Database,
) -> None:
    throttle = LoginThrottle(database, LIMITS)
    keys = Keys("198.51.100.1", "anna")
    for _ in range(2):
        throttle.attempt(keys, NOW)
    throttle.succeeded(throttle.attempt(keys, NOW))
    throttle.attempt(keys, NOW)
    throttle.attempt(keys, NOW)
    throttle.check(keys, NOW)  # 2 user failures since the success: under 3
    with database.session() as db:
        rows = db.scalars(select(LoginAttemptRow.id)).all()
    # The first two failures keep their address rows, the last two their address and user rows; the
    # success removed its own rows and the user's earlier ones.
    assert len(rows) == 2 + 4


def test_two_processes_share_the_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    first, second = Database(url), Database(url)
    keys = Keys("198.51.100.1", "anna")
    for _ in range(3):
        LoginThrottle(first, LIMITS).attempt(keys, NOW)
    with pytest.raises(TooManyAttempts):
        LoginThrottle(second, LIMITS).check(keys, NOW)


def test_only_hashes_are_stored(database: Database) -> None:
    LoginThrottle(database, LIMITS).attempt(Keys("198.51.100.1", "anna@uni.example"), NOW)
    with database.session() as db:
        stored = db.scalars(select(LoginAttemptRow.key_hash)).all()
    assert len(stored) == 2
    assert all("anna" not in key and "198.51" not in key and len(key) == 64 for key in stored)


def test_old_attempts_are_purged(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    throttle.attempt(Keys("198.51.100.1"), NOW)
    throttle.attempt(Keys("198.51.100.2"), NOW + timedelta(hours=1))
    with database.session() as db:
        assert len(db.scalars(select(LoginAttemptRow.id)).all()) == 1


def test_an_attempt_is_one_count_and_one_insert_and_old_rows_go_once_a_minute(database: Database) -> None:
    throttle = LoginThrottle(database, LIMITS)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]).split()[0])

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        throttle.attempt(Keys("198.51.100.1", "anna"), NOW)
        first = statements[:]
        statements.clear()
        throttle.succeeded(throttle.attempt(Keys("198.51.100.1", "anna"), NOW + timedelta(seconds=30)))
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert first == ["BEGIN", "SELECT", "DELETE", "INSERT"]
    assert statements == ["BEGIN", "SELECT", "INSERT", "BEGIN", "DELETE"]


@pytest.mark.postgres
def test_throttle_on_postgresql(postgres_schema: Callable[[], str]) -> None:
    url = postgres_schema()
    upgrade(url)
    database = Database(url)
    try:
        throttle = LoginThrottle(database, LIMITS)
        keys = Keys("198.51.100.1", "anna")
        for minute in range(3):
            throttle.attempt(keys, NOW + timedelta(minutes=minute))
        with pytest.raises(TooManyAttempts) as caught:
            throttle.attempt(keys, NOW + timedelta(minutes=3))
        assert caught.value.retry_after == 120
        throttle.succeeded(throttle.attempt(Keys("198.51.100.1", "bert"), NOW + timedelta(minutes=3)))
        throttle.check(Keys("198.51.100.1", "bert"), NOW + timedelta(minutes=3))
    finally:
        database.engine.dispose()


def _parallel_attempts(url: str, workers: int = 4, attempts: int = 40) -> tuple[int, int]:
    """``attempts`` attempts for one user at once, from ``workers`` engines (as worker processes would
    have): how many were let through and how many refused."""
    databases = [Database(url) for _ in range(workers)]
    barrier = threading.Barrier(attempts)

    def one(index: int) -> bool:
        throttle = LoginThrottle(databases[index % workers], LIMITS)
        barrier.wait()
        try:
            throttle.attempt(Keys(f"198.51.100.{index}", "anna"))
        except TooManyAttempts:
            return False
        return True

    try:
        with ThreadPoolExecutor(max_workers=attempts) as pool:
            results = list(pool.map(one, range(attempts)))
    finally:
        for database in databases:
            database.dispose()
    return results.count(True), results.count(False)


def test_parallel_attempts_are_counted_atomically_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'parallel.db'}"
    upgrade(url)
    assert _parallel_attempts(url) == (3, 37)


@pytest.mark.postgres
def test_parallel_attempts_are_counted_atomically_on_postgresql(postgres_schema: Callable[[], str]) -> None:
    url = postgres_schema()
    upgrade(url)
    assert _parallel_attempts(url) == (3, 37)
