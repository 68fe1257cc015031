"""Provider sessions: the browser secret, the person binding, a single finish under a race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from emrex.db import Database, utcnow
from emrex.emp.protocol import EntryRequest, ReturnCode
from emrex.emp.store import FlowStore, Offer

REQUEST = EntryRequest("sid", "https://emc.example.org/return")


def test_a_flow_opens_only_with_its_secret(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    flow, secret = store.create(REQUEST)
    assert store.load(flow.id, secret) == flow
    assert store.load(flow.id, None) is None
    assert store.load(flow.id, secret + "x") is None
    _, other_secret = store.create(REQUEST)
    assert store.load(flow.id, other_secret) is None
    assert store.load("x" * 65, secret) is None


def test_the_first_person_keeps_the_flow(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    flow, _ = store.create(REQUEST)
    assert store.bind_subject(flow.id, "anna@uni.example")
    assert store.bind_subject(flow.id, "anna@uni.example")
    assert not store.bind_subject(flow.id, "mallory@uni.example")


def test_racing_finishes_end_a_flow_once(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    flow, _ = store.create(REQUEST)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def finish() -> None:
        barrier.wait()
        results.append(store.finish(flow, ReturnCode.OK, Offer(items_sent=1)))

    threads = [threading.Thread(target=finish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert not store.finish(flow, ReturnCode.CANCEL, Offer())


def test_expired_flows_are_purged_a_day_later(database: Database) -> None:
    store = FlowStore(database, timedelta(minutes=30))
    flow, secret = store.create(REQUEST, now=utcnow() - timedelta(days=2))
    assert flow.expired(utcnow())
    fresh, fresh_secret = store.create(REQUEST)
    assert store.purge(timedelta(days=1)) == 1
    assert store.load(flow.id, secret) is None
    assert store.load(fresh.id, fresh_secret) is not None


def test_the_first_flow_purges_even_just_after_the_machine_booted(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The monotonic clock counts from boot: a worker started on a fresh machine must still purge.
    from emrex.emp import store as store_module

    monkeypatch.setattr(store_module.time, "monotonic", lambda: 12.0)
    old = FlowStore(database, timedelta(minutes=30))
    stale, secret = old.create(REQUEST, now=utcnow() - timedelta(days=2))
    store = FlowStore(database, timedelta(minutes=30))
    store.create(REQUEST)
    assert store.count() == 1
    assert store.load(stale.id, secret) is None
