"""One database session a web request: the request's blocks share a connection and their reads one
transaction.

Without a scope every ``database.session()`` block checks out a connection and is a transaction of
its own, so a page that loads the web session, reads a transfer and checks for duplicates cost three
transactions. Inside ``request_scope()`` (the web session middleware opens one per request) the
blocks of one ``Database`` share one ORM session:

- a read-only block joins the transaction that is open, or begins one, and leaves it open;
- a writing block joins it too and commits when it ends, as it did alone: what a handler wrote is
  stored when its block ends, never later, and an exception rolls back what the block did (with the
  reads before it, which changed nothing);
- each block starts with an empty identity map, so it reads rows afresh as a new session would;
- ``release()`` ends what is open (a transaction of reads only) and returns the connection to the pool.

On PostgreSQL (READ COMMITTED) every statement sees what was committed before it, in a shared
transaction as alone. SQLite readers keep the snapshot of their transaction, so there a writing block
first ends the shared reads and runs alone with ``BEGIN IMMEDIATE`` as without a scope. A block
inside another block, or from a second thread while the first is in a block, runs alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from emrex.db.engine import Database


class _Shared:
    """The session a request shares for one database, and whether a block is using it now."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock = threading.Lock()


class RequestScope:
    """The shared sessions of one request, one per ``Database``, made when first needed."""

    def __init__(self) -> None:
        self._shared: dict[int, _Shared] = {}
        self._guard = threading.Lock()

    @property
    def holds_connections(self) -> bool:
        return bool(self._shared)

    def shared(self, database: Database) -> _Shared:
        with self._guard:
            found = self._shared.get(id(database))
            if found is None:
                found = self._shared[id(database)] = _Shared(database.new_session())
            return found

    def end_reads(self, database: Database) -> None:
        """Commit the shared transaction of ``database`` if one is open (SQLite, before a writer)."""
        with self._guard:
            found = self._shared.get(id(database))
        if found is not None and found.lock.acquire(blocking=False):
            try:
                if found.session.in_transaction():
                    found.session.commit()
            finally:
                found.lock.release()

    def release(self) -> None:
        """End the open transactions (reads only: writing blocks committed) and give the connections
        back to their pools. The scope stays usable: a later block opens a new session."""
        with self._guard:
            shared, self._shared = list(self._shared.values()), {}
        for item in shared:
            item.session.close()


_SCOPE: ContextVar[RequestScope | None] = ContextVar("emrex_db_scope", default=None)


def current_scope() -> RequestScope | None:
    return _SCOPE.get()


@contextmanager
def request_scope() -> Iterator[RequestScope]:
    """A scope for the blocks run in this context (threads started with a copy of it included);
    released when the block ends."""
    scope = RequestScope()
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)
        scope.release()


@contextmanager
def shared_block(shared: _Shared, *, readonly: bool) -> Iterator[Session | None]:
    """One block on the request's shared session; yields None when that session is in use (nested
    block, other thread): the caller then runs the block alone."""
    if not shared.lock.acquire(blocking=False):
        yield None
        return
    session = shared.session
    try:
        session.expunge_all()
        if not session.in_transaction():
            session.begin()
        try:
            yield session
            if not readonly:
                session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        shared.lock.release()
