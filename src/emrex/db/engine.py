"""Engines and transactional sessions for SQLite (default) and PostgreSQL (psycopg 3).

A pooled PostgreSQL connection is checked at checkout without a round trip: the server ends a
connection by sending its notice and closing the socket (a restart, an administrator, an idle
timeout), so an idle connection whose socket has anything to read, or is closed, is dropped and
another one opened. ``pool_pre_ping`` did the same with a ``SELECT 1``, a transaction of its own at
every checkout. Connections are also replaced after ``POOL_RECYCLE_SECONDS`` (a firewall that drops
idle connections silently sends nothing), and an error that shows a lost connection invalidates
the pool (SQLAlchemy's own handling), so the next request gets fresh connections.
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from emrex.db.scope import current_scope, shared_block
from emrex.errors import EmrexError

SQLITE_BUSY_TIMEOUT_MS = 10_000
POOL_RECYCLE_SECONDS = 1800


class DatabaseError(EmrexError):
    """The database URL is unusable or the database cannot be reached."""


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` and ``postgres://`` use psycopg 3."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as error:
        raise DatabaseError(f"not a database URL: {url!s:.80}") from error
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {parsed.drivername!r}: use sqlite:/// or postgresql://")
    return parsed


def make_engine(url: str | URL, *, reading: bool = False, **options: Any) -> Engine:
    """An engine with our settings: SQLite gets WAL, foreign keys, a busy timeout and real transactions.

    ``reading``: for a command that only reads; an SQLite file keeps the journal mode it has (setting
    WAL writes to the file, and would turn an empty file into a database).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "postgresql":
        options.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
        engine = create_engine(parsed, **options)
        event.listen(engine, "checkout", _drop_if_closed)
        return engine

    in_memory = parsed.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection, or every checkout would see its own empty database.
        options.setdefault("poolclass", StaticPool)
        options.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(parsed, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself, so DDL and migrations are transactional too.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory and not reading:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def server_closed(dbapi_connection: Any) -> bool:
    """Whether the server has ended an idle connection: closed, or its socket readable (the server's
    termination notice or end of file; an idle connection is sent nothing else that we use)."""
    if getattr(dbapi_connection, "closed", False):
        return True
    try:
        descriptor = dbapi_connection.fileno()
    except Exception:  # a connection that cannot name its socket is not usable
        return True
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if server_closed(dbapi_connection):
        # The pool discards this connection and checks out a new one in its place.
        raise DisconnectionError("the database server closed this pooled connection")


class Database:
    """An engine and its session factory; ``session()`` commits as a whole or not at all."""

    def __init__(self, url_or_engine: str | URL | Engine) -> None:
        self.engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine
        if self.engine.dialect.name == "sqlite":
            # Take the write lock at BEGIN: a deferred transaction that reads, then writes, fails at
            # once with "database is locked" when another writer got in between (no busy wait).
            writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writers = sessionmaker(writer, expire_on_commit=False)

    @property
    def url(self) -> URL:
        return self.engine.url

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back entirely if it raises.

        ``readonly=True`` lets SQLite readers run beside a writer; use it only for blocks that never write.
        Inside a request scope (``emrex.db.scope``) the blocks share one session: reads run in the
        transaction that is open and leave it open, a writing block commits what is open when it ends.
        """
        scope = current_scope()
        if scope is not None and (readonly or self.engine.dialect.name != "sqlite"):
            with shared_block(scope.shared(self), readonly=readonly) as shared:
                if shared is not None:
                    yield shared
                    return
        elif scope is not None:
            scope.end_reads(self)  # SQLite: a writer must not follow reads of an older snapshot
        factory = self._readers if readonly else self._writers
        with factory() as session, session.begin():
            yield session

    def new_session(self) -> Session:
        """A session for reading (on PostgreSQL for writing too), not yet in a transaction."""
        return self._readers()

    def ping(self) -> None:
        """``SELECT 1``; raises DatabaseError with a readable line when that fails."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            raise DatabaseError(f"database not reachable: {type(error).__name__}") from error

    def dispose(self) -> None:
        self.engine.dispose()
