from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from emrex.db import Database, NaiveDatetimeError, UtcDateTime, utcnow

HELSINKI = timezone(timedelta(hours=3))


class _TestBase(DeclarativeBase):
    pass


class Event(_TestBase):
    __tablename__ = "event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


def _sqlite(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path}/types.db")
    _TestBase.metadata.create_all(db.engine)
    return db


def _postgres(postgres_schema: Callable[[], str]) -> Database:
    db = Database(postgres_schema())
    _TestBase.metadata.create_all(db.engine)
    return db


def _roundtrip(db: Database) -> None:
    local = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=HELSINKI)
    with db.session() as session:
        session.add(Event(name="exam", at=local))
    with db.session() as session:
        stored = session.scalars(select(Event.at)).one()
    assert stored == local
    assert stored.tzinfo == UTC
    assert stored.hour == 9


def _refuses_naive(db: Database) -> None:
    with pytest.raises(StatementError) as raised, db.session() as session:
        session.add(Event(name="naive", at=datetime(2026, 3, 1, 12, 0)))
        session.flush()
    assert isinstance(raised.value.orig, NaiveDatetimeError)
    with db.session() as session:
        assert session.scalars(select(Event)).all() == []


def test_sqlite_returns_aware_utc(tmp_path: Path) -> None:
    _roundtrip(_sqlite(tmp_path))


def test_sqlite_refuses_naive_datetimes(tmp_path: Path) -> None:
    _refuses_naive(_sqlite(tmp_path))


def test_comparisons_in_queries_use_utc(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    now = utcnow()
    with db.session() as session:
        session.add(Event(name="past", at=now - timedelta(hours=1)))
        session.add(Event(name="future", at=(now + timedelta(hours=1)).astimezone(HELSINKI)))
    with db.session() as session:
        later = session.scalars(select(Event.name).where(Event.at > now)).all()
    assert later == ["future"]


@pytest.mark.postgres
def test_postgres_returns_aware_utc(postgres_schema: Callable[[], str]) -> None:
    _roundtrip(_postgres(postgres_schema))


@pytest.mark.postgres
def test_postgres_refuses_naive_datetimes(postgres_schema: Callable[[], str]) -> None:
    _refuses_naive(_postgres(postgres_schema))
