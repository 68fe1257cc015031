"""Engines and transactional sessions for SQLite (default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from emrex.errors import EmrexError

SQLITE_BUSY_TIMEOUT_MS = 10_000


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
        return create_engine(parsed, pool_pre_ping=True, **options)

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
        """
        factory = self._readers if readonly else self._writers
        with factory() as session, session.begin():
            yield session

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
