"""One database session a request (emrex.db.scope) and the pooled connections' liveness check."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, event, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from emrex.db import Database
from emrex.db.engine import server_closed
from emrex.db.scope import current_scope, request_scope


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "scope_row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


def _sqlite(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/scope.db")
    _Base.metadata.create_all(database.engine)
    return database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = _sqlite(tmp_path)
    else:
        new_schema: Callable[[], str] = request.getfixturevalue("postgres_schema")
        database = Database(new_schema())
        _Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def _counted(database: Database) -> dict[str, int]:
    counts = {"begin": 0, "commit": 0, "rollback": 0, "checkout": 0}
    for name in ("begin", "commit", "rollback"):
        event.listen(database.engine, name, lambda *_a, n=name: counts.__setitem__(n, counts[n] + 1))
    event.listen(
        database.engine.pool, "checkout", lambda *_a: counts.__setitem__("checkout", counts["checkout"] + 1)
    )
    return counts


def _names(database: Database) -> list[str]:
    with database.session(readonly=True) as s:
        return sorted(s.scalars(select(Row.name)))


def test_reads_of_a_request_share_one_transaction_and_one_connection(db: Database) -> None:
    with db.session() as s:
        s.add(Row(name="a"))
    counts = _counted(db)
    with request_scope():
        for _ in range(3):
            with db.session(readonly=True) as s:
                assert s.scalar(select(func.count()).select_from(Row)) == 1
    assert counts["begin"] == 1 and counts["checkout"] == 1
    assert counts["commit"] + counts["rollback"] <= 1  # ended once, by closing the session


def test_a_writing_block_commits_when_it_ends_as_alone(db: Database) -> None:
    with request_scope():
        with db.session(readonly=True) as s:
            assert s.scalar(select(func.count()).select_from(Row)) == 0
        with db.session() as s:
            s.add(Row(name="written"))
        # Another connection sees it before the request ends: it was committed with its block.
        outside = Database(db.engine.url)
        try:
            assert _names(outside) == ["written"]
        finally:
            outside.dispose()


def test_an_exception_rolls_back_its_block_and_keeps_what_was_committed(db: Database) -> None:
    with request_scope():
        with db.session() as s:
            s.add(Row(name="kept"))
        with pytest.raises(RuntimeError), db.session() as s:
            s.add(Row(name="dropped"))
            s.flush()
            raise RuntimeError("the handler failed")
        with db.session(readonly=True) as s:  # the scope is usable after the failure
            assert sorted(s.scalars(select(Row.name))) == ["kept"]
    assert _names(db) == ["kept"]


def test_each_block_reads_rows_afresh(db: Database) -> None:
    with db.session() as s:
        s.add(Row(id=1, name="before"))
    with request_scope():
        with db.session(readonly=True) as s:
            row = s.get(Row, 1)
            assert row is not None and row.name == "before"
        with db.engine.begin() as connection:  # another worker changes it meanwhile
            connection.execute(text("UPDATE scope_row SET name = 'after' WHERE id = 1"))
        with db.session() as s:
            again = s.get(Row, 1)
            assert again is not None and again.name == "after" and again is not row


def test_a_block_inside_a_block_runs_alone(db: Database) -> None:
    with request_scope(), db.session(readonly=True) as outer:
        assert outer.scalar(select(func.count()).select_from(Row)) == 0
        with db.session() as inner:
            assert inner is not outer
            inner.add(Row(name="inner"))
    assert _names(db) == ["inner"]


def test_release_gives_the_connection_back(db: Database) -> None:
    with request_scope() as scope:
        assert current_scope() is scope
        with db.session(readonly=True) as s:
            s.execute(select(1))
        assert scope.holds_connections
        scope.release()
        assert not scope.holds_connections
    assert current_scope() is None
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_without_a_scope_each_block_is_its_own_transaction(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    counts = _counted(db)
    for _ in range(2):
        with db.session(readonly=True) as s:
            s.execute(select(1))
    assert counts["begin"] == 2 and counts["commit"] == 2


class _Socket:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False

    def fileno(self) -> int:
        return self.sock.fileno()


def test_a_connection_the_server_ended_is_seen_without_a_round_trip() -> None:
    ours, theirs = socket.socketpair()
    try:
        connection = _Socket(ours)
        assert not server_closed(connection)  # idle, nothing to read: usable
        theirs.sendall(b"E")  # the server's notice that it terminates the connection
        assert server_closed(connection)
    finally:
        ours.close()
        theirs.close()
    other, peer = socket.socketpair()
    try:
        peer.close()  # end of file
        assert server_closed(_Socket(other))
        closed = _Socket(other)
        closed.closed = True
        assert server_closed(closed)
    finally:
        other.close()


@pytest.mark.postgres
def test_postgres_connections_ended_by_the_server_are_replaced(postgres_schema: Callable[[], str]) -> None:
    db = Database(postgres_schema())
    try:
        with db.session(readonly=True) as s:
            pid = s.scalar(text("SELECT pg_backend_pid()"))
        other = Database(db.engine.url)
        try:
            with other.session() as s:
                s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            other.dispose()
        time.sleep(0.5)  # the backend sends its notice and exits
        # The pooled connection is dead; the checkout sees it and opens another: no error.
        with db.session(readonly=True) as s:
            assert s.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        db.dispose()
