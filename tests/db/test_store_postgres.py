"""The session store on PostgreSQL (what production runs): expiry comparisons, rotation, purge."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from emrex.db import Database, upgrade, utcnow
from emrex.web.store import Lifetimes, SessionStore, WebSessionRow, hash_key

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url: str) -> SessionStore:
    upgrade(postgres_url)
    return SessionStore(Database(postgres_url), Lifetimes(timedelta(minutes=30), timedelta(hours=8)))


def test_save_load_replace_and_expire(store: SessionStore) -> None:
    created = utcnow()
    first, second = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.save(first, '{"name":"Åsa"}', created_at=created)
    loaded = store.load(first)
    assert loaded is not None and loaded.data == {"name": "Åsa"} and loaded.created_at == created

    store.save(second, '{"name":"Åsa"}', created_at=created, replaces=first)
    assert store.load(first) is None
    assert store.load(second) is not None
    assert store.load(second, now=created + timedelta(minutes=31)) is None
    assert store.load(second) is None


def test_expired_sessions_are_purged_when_sessions_are_saved(store: SessionStore, postgres_url: str) -> None:
    expired = secrets.token_urlsafe(32)
    store.save(expired, '{"a":1}', created_at=utcnow() - timedelta(hours=9))
    other_worker = SessionStore(Database(postgres_url), store.lifetimes)
    other_worker.save(secrets.token_urlsafe(32), '{"b":2}', created_at=utcnow())
    with store.database.session(readonly=True) as db:
        assert db.get(WebSessionRow, hash_key(expired)) is None
    assert store.purge_expired() == 0
