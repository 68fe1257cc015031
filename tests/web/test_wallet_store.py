"""The issuer's state in the database (``DatabaseIssuerStore``): the issuer's whole test suite
(tests/wallet/test_issuer.py) runs again against it, then what only a database shows: two workers
(two stores on one database) racing for one code or nonce, random status entries, and revoking inside
a transaction that also locks offers not yet redeemed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from emrex.db import Database
from emrex.db.models import load_models
from emrex.wallet import CredentialIssuer, IssuerConfig, SigningKey
from emrex.wallet.jose import Json
from emrex.wallet.store import LOCKED, TOKEN, OfferRecord
from emrex.web.wallet_store import DatabaseIssuerStore, issued_count, revoke_subject_in
from tests.wallet.conftest import Pki, elm_dir, hierarchy_elm, holder_key, pki, uio_elm  # noqa: F401
from tests.wallet.test_issuer import *  # noqa: F403  (the issuer's tests, collected again here)
from tests.wallet.test_issuer import URL, Clock


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path}/wallet.db")
    load_models().create_all(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def issuer(pki: Pki, clock: Clock, database: Database) -> CredentialIssuer:  # noqa: F811
    config = IssuerConfig(URL, pki.issuer, "Lindholm University")
    return CredentialIssuer(config, DatabaseIssuerStore(database), clock=clock)


def _offer(offer_id: str = "o1", subject: str = "transfer:1") -> OfferRecord:
    return OfferRecord(
        offer_id=offer_id,
        code="code",
        code_hash=f"hash-{offer_id}",
        tx_code_hash="tx",
        configuration_id="elm_sd_jwt_vc",
        content={"credentialSubject": {"hasClaim": []}},
        subject_ref=subject,
        expires_at=2_000,
    )


def test_a_record_reads_back_as_it_was_written(database: Database) -> None:
    store = DatabaseIssuerStore(database)
    store.add_offer(_offer())
    assert store.offer("o1") == _offer()
    assert store.offer_by_code("hash-o1") == _offer()
    assert store.offer("nothing") is None and store.offer_by_token("nothing") is None


def test_two_workers_saving_one_version_cannot_both_win(database: Database) -> None:
    first, second = DatabaseIssuerStore(database), DatabaseIssuerStore(database)
    first.add_offer(_offer())
    read_by_first, read_by_second = first.offer("o1"), second.offer("o1")
    assert read_by_first is not None and read_by_second is not None
    assert first.save_offer(replace(read_by_first, state=TOKEN, token_hash="t1"))
    assert not second.save_offer(replace(read_by_second, state=TOKEN, token_hash="t2"))
    stored = second.offer("o1")
    assert stored is not None and (stored.state, stored.token_hash, stored.version) == (TOKEN, "t1", 1)


def test_racing_threads_take_a_nonce_once(database: Database) -> None:
    store = DatabaseIssuerStore(database)
    store.add_nonce("n", 100)
    wins: list[bool] = []
    threads = [threading.Thread(target=lambda: wins.append(store.take_nonce("n", 50))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 5 + [True]
    store.add_nonce("old", 10)
    assert not store.take_nonce("old", 50)  # expired


def test_status_entries_are_distinct_and_revoking_locks_open_offers(database: Database) -> None:
    store = DatabaseIssuerStore(database)
    indexes = {store.allocate_status("1", 64, "transfer:1", 1_000) for _ in range(40)}
    assert len(indexes) == 40  # random draws, never one entry twice
    store.allocate_status("1", 64, "transfer:2", 1_000)
    store.add_offer(_offer("open"))
    with database.session() as s:
        assert revoke_subject_in(s, "transfer:1") == 40
        assert revoke_subject_in(s, "transfer:1") == 0  # already revoked
    assert set(store.statuses("1")) == indexes
    locked = store.offer("open")
    assert locked is not None and (locked.state, locked.content, locked.code) == (LOCKED, {}, "")
    with database.session(readonly=True) as s:
        assert issued_count(s, "transfer:1") == (40, 40)
        assert issued_count(s, "transfer:2") == (1, 0)


def test_purge_forgets_expired_offers_and_nonces(database: Database) -> None:
    store = DatabaseIssuerStore(database)
    store.add_offer(_offer("old"))
    store.add_nonce("n", 1_000)
    store.purge(5_000)
    assert store.offer("old") is None and not store.take_nonce("n", 0)


def test_what_is_not_elm_is_not_offered(issuer: CredentialIssuer, database: Database) -> None:
    """(Replaces the issuer suite's test of the same name, which reads the memory store.)"""
    from sqlalchemy import func, select

    from emrex.wallet import Unreadable
    from emrex.web.wallet_store import WalletOfferRow

    with pytest.raises(Unreadable):
        issuer.create_offer({"not": "elm"}, subject_ref="t")
    with database.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(WalletOfferRow)) == 0


def test_a_list_fills_to_its_last_entry_then_says_it_is_full(database: Database) -> None:
    from emrex.wallet.statuslist import StatusListFull

    store = DatabaseIssuerStore(database)
    assert store.latest_status_list() is None
    taken = {store.allocate_status("9", 16, "transfer:1", 1_000) for _ in range(16)}
    assert taken == set(range(16))  # the last entries are found among the free ones, not by luck
    with pytest.raises(StatusListFull, match="full"):
        store.allocate_status("9", 16, "transfer:1", 1_000)
    store.allocate_status("10", 16, "transfer:1", 1_000)
    assert store.latest_status_list() == "10"  # by number, not by text


def test_two_workers_move_on_to_the_successor_list_together(
    database: Database,
    pki: Pki,  # noqa: F811
    uio_elm: Json,  # noqa: F811
    holder_key: SigningKey,  # noqa: F811
    clock: Clock,
) -> None:
    from emrex.wallet.jose import parse_jwt
    from tests.wallet.test_issuer import _code, _nonce, _proof, _request, _token

    config = IssuerConfig(URL, pki.issuer, "Lindholm University", status_list_size=2)
    workers = [CredentialIssuer(config, DatabaseIssuerStore(database), clock=clock) for _ in range(2)]

    def issue(worker: CredentialIssuer) -> str:
        offer = worker.create_offer(uio_elm, subject_ref="transfer:1")
        token = _token(worker, _code(worker, offer.offer_id), offer.tx_code).body["access_token"]
        reply = worker.credential_reply(f"Bearer {token}", _request([_proof(holder_key, _nonce(worker))]))
        credential = reply.body["credentials"][0]["credential"]  # type: ignore[index]
        uri: str = parse_jwt(credential.split("~")[0], "c").payload["status"]["status_list"]["uri"]
        return uri.rsplit("/", 1)[1]

    first, second = workers
    assert [issue(first), issue(first)] == ["1", "1"]
    assert issue(second) == "2"  # a worker starting now begins at the newest list
    assert issue(first) == "2"  # the other finds its list full and follows
    assert [issue(second), issue(first)] == ["3", "3"]
