"""The EWP request ids seen, in the database (``ewp_request_id``): one replay cache for every worker
process and machine of the EMP, so that a captured request cannot be replayed to another worker.

Each id is kept until the end of the verifier's date window (after that the date check refuses a
copy anyway) and purged then. The table is bounded like ``emrex.ewp.MemoryReplayCache``: when it
holds ``max_entries`` unexpired ids, new requests are refused (``ReplayCacheFull``, 503) rather than
an id forgotten.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from sqlalchemy import String, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db import Base, Database, UtcDateTime
from emrex.ewp.errors import ReplayCacheFull

PURGE_SECONDS = 30.0  # how often a process purges expired ids and counts the rest


class EwpRequestId(Base):
    __tablename__ = "ewp_request_id"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # keyId and X-Request-Id
    expires: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)


def insert_ignoring_duplicates(database: Database, table: Any) -> Any:
    """An INSERT that skips a row whose key exists (PostgreSQL and SQLite)."""
    dialect = postgresql if database.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


class DatabaseReplayCache:
    """``ReplayCache`` in the database. Each check is one short transaction of its own (outside any
    request's session): forget this id if it expired, then insert it unless present."""

    def __init__(self, database: Database, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError("the replay cache needs room for at least one request id")
        self.database = database
        self.max_entries = max_entries
        self._checked = -PURGE_SECONDS
        self._full = False
        self._lock = threading.Lock()

    def first_use(self, key: str, expires: dt.datetime, now: dt.datetime) -> bool:
        self._check_room(now)
        table = EwpRequestId.__table__
        with self.database.engine.begin() as c:
            c.execute(delete(EwpRequestId).where(EwpRequestId.key == key, EwpRequestId.expires <= now))
            insert = insert_ignoring_duplicates(self.database, table).values(key=key, expires=expires)
            added = c.execute(insert.returning(table.c.key))
            return added.first() is not None  # rowcount is not reliable on every driver

    def purge(self, now: dt.datetime) -> int:
        """Delete the expired ids; how many unexpired ones remain."""
        with self.database.engine.begin() as c:
            c.execute(delete(EwpRequestId).where(EwpRequestId.expires <= now))
            return int(c.execute(select(func.count()).select_from(EwpRequestId)).scalar_one())

    def _check_room(self, now: dt.datetime) -> None:
        with self._lock:
            moment = time.monotonic()
            if self._full or moment - self._checked >= PURGE_SECONDS:
                self._full = self.purge(now) >= self.max_entries
                self._checked = moment
            if self._full:
                raise ReplayCacheFull(
                    f"{self.max_entries} request ids seen in the last minutes; try again shortly"
                )
