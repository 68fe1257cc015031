"""Provider sessions: nothing stored before login, the browser secret, the person binding, a single
finish under a race, the answer kept until expiry, purging."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from emrex.db import Database, utcnow
from emrex.emp.protocol import EntryRequest, ReturnCode
from emrex.emp.store import FINISH, START, EmpEventRow, EmpSessionRow, FlowStore, Offer, PendingFlow

REQUEST = EntryRequest("sid", "https://emc.example.org/return")
ANSWER = [("sessionId", "sid"), ("returnCode", "NCP_OK"), ("returnMessage", ""), ("elmo", "H4sI...")]


def _counts(database: Database) -> tuple[int, int]:
    with database.session() as db:
        sessions = db.scalar(select(func.count()).select_from(EmpSessionRow))
        events = db.scalar(select(func.count()).select_from(EmpEventRow))
    return int(sessions or 0), int(events or 0)


def _stored(store: FlowStore, subject: str = "anna@uni.example", **when: object) -> tuple[PendingFlow, str]:
    pending = store.pending(REQUEST, **when)  # type: ignore[arg-type]
    flow = store.materialise(pending, subject)
    assert flow is not None
    return pending, pending.secret


def test_a_pending_flow_stores_nothing_and_reads_back_from_the_session(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    pending = store.pending(REQUEST)
    assert _counts(database) == (0, 0)
    again = PendingFlow.from_dict(pending.id, pending.to_dict())
    assert again is not None and again.request == REQUEST and again.secret == pending.secret
    assert abs((again.expires_at - again.created_at) - timedelta(minutes=30)) < timedelta(seconds=1)
    stored = pending.to_dict()
    for broken in (None, "secret", {}, {**stored, "at": "yesterday"}, {**stored, "s": 1}):
        assert PendingFlow.from_dict(pending.id, broken) is None


def test_materialising_stores_the_flow_bound_to_the_person_and_counts_it(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    pending = store.pending(REQUEST)
    flow = store.materialise(pending, "anna@uni.example")
    assert flow is not None and flow.id == pending.id and flow.created_at == pending.created_at
    assert _counts(database) == (1, 1)
    assert store.load(flow.id, pending.secret) == flow
    # Twice (two tabs after one login): the first one counts, nothing is stored twice.
    assert store.materialise(pending, "anna@uni.example") == flow
    assert _counts(database) == (1, 1)
    assert not store.bind_subject(flow.id, "mallory@uni.example")
    assert store.bind_subject(flow.id, "anna@uni.example")


def test_a_flow_opens_only_with_its_secret(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    pending, secret = _stored(store)
    assert store.load(pending.id, None) is None
    assert store.load(pending.id, secret + "x") is None
    _, other_secret = _stored(store)
    assert store.load(pending.id, other_secret) is None
    assert store.load("x" * 65, secret) is None
    forged = PendingFlow(pending.id, "another secret", REQUEST, pending.created_at, pending.expires_at)
    assert store.materialise(forged, "mallory@uni.example") is None


def test_racing_finishes_end_a_flow_once(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    pending, secret = _stored(store)
    flow = store.load(pending.id, secret)
    assert flow is not None
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def finish() -> None:
        barrier.wait()
        results.append(store.finish(flow, ReturnCode.OK, Offer(items_sent=1), ANSWER))

    threads = [threading.Thread(target=finish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert not store.finish(flow, ReturnCode.CANCEL, Offer())
    assert store.answer(flow.id) == ANSWER


def test_the_answer_is_kept_until_the_flow_expires(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    pending, secret = _stored(store)
    flow = store.load(pending.id, secret)
    assert flow is not None and store.finish(flow, ReturnCode.OK, Offer(), ANSWER)
    assert store.answer(flow.id, now=flow.expires_at - timedelta(seconds=1)) == ANSWER
    assert store.answer(flow.id, now=flow.expires_at) is None
    store.purge(timedelta(days=1), now=flow.expires_at + timedelta(minutes=1))
    with database.session() as db:
        row = db.get(EmpSessionRow, flow.id)
        assert row is not None and row.answer is None  # the row stays a day, the results do not


def test_expired_flows_and_their_unfinished_starts_are_purged_a_day_later(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    long_ago = utcnow() - timedelta(days=2)
    abandoned, abandoned_secret = _stored(store, now=long_ago)
    finished, finished_secret = _stored(store, now=long_ago)
    flow = store.load(finished.id, finished_secret)
    assert flow is not None and store.finish(flow, ReturnCode.CANCEL, Offer(), now=long_ago)
    fresh, fresh_secret = _stored(store)
    assert store.purge(timedelta(days=1)) == 2
    assert store.load(abandoned.id, abandoned_secret) is None
    assert store.load(fresh.id, fresh_secret) is not None
    with database.session() as db:
        kinds = sorted(db.scalars(select(EmpEventRow.kind)))
    # The abandoned START went with its session; the finished pair and the fresh START stay.
    assert kinds == sorted([START, FINISH, START])


def test_the_first_flow_purges_even_just_after_the_machine_booted(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The monotonic clock counts from boot: a worker started on a fresh machine must still purge.
    from emrex.emp import store as store_module

    monkeypatch.setattr(store_module.time, "monotonic", lambda: 12.0)
    old = FlowStore(database, timedelta(minutes=30))
    stale, secret = _stored(old, now=utcnow() - timedelta(days=2))
    store = FlowStore(database, timedelta(minutes=30))
    _stored(store)
    assert store.count() == 1
    assert store.load(stale.id, secret) is None
