"""The exchanges in the database: the same behaviour as the memory store, across restarts and workers,
on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from emrex.db import Database, upgrade
from emrex.elmo.sample import sample_elmo
from emrex.oots import EvidenceProvider, State
from emrex.oots.request import build_request
from emrex.oots.tables import DatabaseExchangeStore, OotsExchangeRow
from tests.db.conftest import postgres_admin, postgres_schema
from tests.oots.support import CONFIG, START, Clock, Evidence, make_request

__all__ = ["postgres_admin", "postgres_schema"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/oots.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    make: Callable[[], str] = request.getfixturevalue("postgres_schema")
    return make()


@pytest.fixture
def database(url: str) -> Iterator[Database]:
    db = Database(url)
    upgrade(db)
    yield db
    db.dispose()


def _started(store: DatabaseExchangeStore, clock: Clock) -> tuple[EvidenceProvider, str]:
    provider = EvidenceProvider(CONFIG, store, clock=clock)
    answer = provider.answer(build_request(make_request()))
    assert answer.token is not None
    return provider, answer.token


def test_an_exchange_survives_a_restart_and_reads_back_equal(database: Database, evidence: Evidence) -> None:
    clock = Clock()
    provider, token = _started(DatabaseExchangeStore(database), clock)
    provider.bind_person(token, "emp-user-17", sample_elmo(1).learner)
    provider.approve(token, "emp-user-17", elmo=evidence.elmo, pdf=evidence.pdf)
    database.dispose()  # the process ends

    again = Database(database.url)
    try:
        exchange = DatabaseExchangeStore(again).get(token)
        assert exchange is not None
        assert (exchange.state, exchange.subject, exchange.version) == (State.APPROVED, "emp-user-17", 2)
        assert [p.content for p in exchange.evidence] == [evidence.elmo, evidence.pdf]
        assert exchange.person == make_request().person
        assert exchange.requester == make_request().requester
        assert exchange.evidence_type == make_request().evidence_type
        assert exchange.created_at == START and exchange.expires_at.tzinfo is not None
    finally:
        again.dispose()


def test_the_token_itself_is_not_stored(database: Database) -> None:
    _, token = _started(DatabaseExchangeStore(database), Clock())
    with database.session(readonly=True) as db:
        row = db.execute(select(OotsExchangeRow)).scalar_one()
        assert token not in (row.token_hash + row.request)
    assert DatabaseExchangeStore(database).get(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_a_change_from_a_stale_copy_is_refused(database: Database) -> None:
    store = DatabaseExchangeStore(database)
    _, token = _started(store, Clock())
    first = store.get(token)
    assert first is not None
    assert store.update(first.advanced(state=State.DECLINED), expected_version=first.version)
    assert not store.update(first.advanced(state=State.APPROVED), expected_version=first.version)
    assert store.get(token).state is State.DECLINED  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="exists already"):
        store.create(dataclasses.replace(first, version=0))


def test_two_workers_changing_one_exchange_at_once_one_wins(database: Database) -> None:
    store = DatabaseExchangeStore(database)
    _, token = _started(store, Clock())
    current = store.get(token)
    assert current is not None
    won: list[bool] = []
    barrier = threading.Barrier(2)

    def change(state: State) -> None:
        barrier.wait()
        won.append(store.update(current.advanced(state=state), expected_version=current.version))

    threads = [threading.Thread(target=change, args=(s,)) for s in (State.DECLINED, State.NO_RESULTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, True]


def test_purge_drops_late_evidence_then_old_exchanges(database: Database, evidence: Evidence) -> None:
    clock = Clock()
    store = DatabaseExchangeStore(database, retention=dt.timedelta(hours=2))
    provider, token = _started(store, clock)
    provider.bind_person(token, "u", sample_elmo(1).learner)
    provider.approve(token, "u", elmo=evidence.elmo, pdf=evidence.pdf)
    assert store.purge(START + dt.timedelta(minutes=5)) == 0
    assert store.get(token).evidence  # type: ignore[union-attr]

    assert store.purge(START + dt.timedelta(minutes=31)) == 0  # past its deadline: the evidence goes
    late = store.get(token)
    assert late is not None and late.evidence == () and late.state is State.APPROVED
    clock.advance(minutes=40)
    repeated = provider.answer(
        build_request(dataclasses.replace(make_request(), preview_location=CONFIG.preview_location(token)))
    )
    assert repeated.error is not None and repeated.error.code == "EDM:ERR:0005"  # still told: too late

    clock.advance(hours=3)
    _started(store, clock)  # a new exchange purges on the way
    assert store.get(token) is None and len(store) == 1
