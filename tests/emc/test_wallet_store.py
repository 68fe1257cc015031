"""The EMC's OpenID4VP requests in the database: filed under a student, changed only from the version
read (two workers cannot both answer), the transfer claimed once, expired requests purged."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from emrex.db import Database, upgrade
from emrex.emc.wallet_store import DatabaseVerifierStore, claim
from emrex.wallet.store import VERIFIED, SessionRecord


@pytest.fixture
def store(tmp_path: Path) -> DatabaseVerifierStore:
    database = Database(f"sqlite:///{tmp_path}/emc.db")
    upgrade(database)
    return DatabaseVerifierStore(database)


def _record(session_id: str = "s-1", expires_at: int = 2_000) -> SessionRecord:
    return SessionRecord(session_id, "nonce-1", "state-1", {"kty": "EC", "d": "secret"}, expires_at)


def test_a_request_needs_a_student_and_keeps_every_field(store: DatabaseVerifierStore) -> None:
    with pytest.raises(ValueError, match="student"):
        store.add_session(_record())
    store.for_student("asa").add_session(_record())
    assert store.session("s-1") == _record()
    assert store.owner("s-1") == ("asa", None)
    assert store.session("nobody") is None and store.owner("nobody") is None


def test_only_the_version_read_can_be_changed(store: DatabaseVerifierStore) -> None:
    store.for_student("asa").add_session(_record())
    read = store.session("s-1")
    assert read is not None
    answered = replace(
        read, status=VERIFIED, result={"issuer": "x"}, encryption_key={}, response_code_hash="h"
    )
    assert store.save_session(answered)
    assert not store.save_session(answered)  # a second worker with the same read loses
    now = store.session("s-1")
    assert now is not None and (now.version, now.status, now.result) == (1, VERIFIED, {"issuer": "x"})
    assert now.encryption_key == {}
    assert store.session_by_response_code("h") == now


def test_a_transfer_is_claimed_once(store: DatabaseVerifierStore) -> None:
    store.for_student("asa").add_session(_record())
    with store.database.session() as s:
        assert claim(s, "s-1", 7)
    with store.database.session() as s:
        assert not claim(s, "s-1", 8)
    assert store.owner("s-1") == ("asa", 7)


def test_requests_an_hour_past_their_expiry_are_purged(store: DatabaseVerifierStore) -> None:
    asa = store.for_student("asa")
    asa.add_session(_record("old", expires_at=1_000))
    asa.add_session(_record("recent", expires_at=4_000))
    store.purge(5_000)
    assert store.session("old") is None and store.session("recent") is not None
