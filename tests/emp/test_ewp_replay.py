"""The EWP request ids seen, in the database: one replay cache for every worker, bounded, purged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from emrex.db import Database, upgrade
from emrex.emp import ewp_replay
from emrex.emp.ewp_replay import DatabaseReplayCache
from emrex.ewp.errors import ReplayCacheFull
from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)


def _cases(database: Database) -> None:
    worker_1, worker_2 = DatabaseReplayCache(database), DatabaseReplayCache(database)
    assert worker_1.first_use("k 1", LATER, NOW)
    assert not worker_1.first_use("k 1", LATER, NOW)
    assert not worker_2.first_use("k 1", LATER, NOW + dt.timedelta(minutes=4))  # the other worker knows it
    assert worker_2.first_use("k 2", LATER, NOW)
    after = LATER + dt.timedelta(seconds=1)  # the date window is over: the date check refuses copies
    assert worker_2.first_use("k 1", after + dt.timedelta(minutes=5), after)
    assert worker_1.purge(after) == 1  # "k 2" expired and went; "k 1" again until later


def test_two_workers_share_the_request_ids_on_sqlite(database: Database) -> None:
    _cases(database)


@pytest.fixture
def postgres(postgres_schema: Callable[[], str]) -> Iterator[Database]:  # noqa: F811
    db = Database(postgres_schema())
    upgrade(db)
    yield db
    db.dispose()


def test_two_workers_share_the_request_ids_on_postgresql(postgres: Database) -> None:
    _cases(postgres)


def test_full_of_unexpired_ids_it_refuses_and_recovers_when_they_expire(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DatabaseReplayCache(database, max_entries=2)
    assert cache.first_use("a", LATER, NOW) and cache.first_use("b", LATER, NOW)
    monkeypatch.setattr(ewp_replay, "PURGE_SECONDS", 0.0)  # count at every request
    with pytest.raises(ReplayCacheFull, match="2 request ids"):
        cache.first_use("c", LATER, NOW)
    assert cache.first_use("c", LATER + dt.timedelta(minutes=5), LATER)  # a and b expired and went
    with pytest.raises(ValueError, match="at least one"):
        DatabaseReplayCache(database, max_entries=0)
