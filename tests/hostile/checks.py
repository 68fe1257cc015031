"""What every hostile case asserts besides its outcome: no traceback, nothing stored, clean logs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import MetaData, func, select

from emrex.db import Database

# Planted in attacker input where a name or an identifier would go; must never reach a log line.
MARKER = "Zzyzx-Personal-4711"
MARKER_ID = "19990314-4711"
MARKERS = (MARKER, MARKER_ID)
# The test's own HTTP client logs the URLs it requests: that is the attacker's side, not ours.
CLIENT_LOGGERS = ("httpx", "httpcore")
TRACE_WORDS = ("Traceback (most recent call last)", 'File "/', "site-packages")


def no_traceback(*texts: str | bytes) -> None:
    for value in texts:
        shown = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        for word in TRACE_WORDS:
            assert word not in shown, f"a traceback or source path is shown: {shown[:400]}"


def one_line(message: str) -> None:
    assert message.strip(), "the error has no message"
    assert "\n" not in message.strip(), f"the error is not one line: {message!r}"
    no_traceback(message)


def table_counts(db: Database) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(db.engine)
    with db.engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(table)).scalar() or 0)
            for name, table in metadata.tables.items()
        }


@contextmanager
def nothing_stored(db: Database, *, allowed: Iterable[str] = ()) -> Iterator[None]:
    """Row counts of every table are the same afterwards (``allowed`` tables may change)."""
    skip = set(allowed)
    before = table_counts(db)
    yield
    after = table_counts(db)
    changed = {k: (before.get(k), v) for k, v in after.items() if k not in skip and before.get(k) != v}
    assert not changed, f"rows were stored: {changed}"


def logs_clean(caplog: pytest.LogCaptureFixture, markers: Iterable[str] = MARKERS) -> None:
    """No planted marker in any log line, and no unexpected exception was logged."""
    for record in caplog.records:
        if record.name.split(".")[0] in CLIENT_LOGGERS:
            continue
        line = record.getMessage()
        assert not record.exc_info, f"an unexpected exception was logged by {record.name}: {line[:300]}"
        for marker in markers:
            assert marker not in line, f"personal data in a log line of {record.name}: {line[:300]}"


@pytest.fixture
def watch_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog
