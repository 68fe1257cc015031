from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey, Integer, String, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from emrex.db import Database, DatabaseError, make_engine, normalize_url


class _TestBase(DeclarativeBase):
    pass


class Student(_TestBase):
    __tablename__ = "student"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Credit(_TestBase):
    __tablename__ = "credit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/engine.db")
    _TestBase.metadata.create_all(database.engine)
    return database


def test_sqlite_pragmas(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(Credit(student_id=999))


def test_session_commits_everything_or_nothing(db: Database) -> None:
    with db.session() as session:
        session.add(Student(name="anna"))
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(Student(name="bert"))
        session.flush()
        session.add(Student(name="anna"))  # duplicate: the whole block must roll back
    with db.session() as session:
        assert session.scalars(select(Student.name)).all() == ["anna"]


def test_an_exception_in_the_block_rolls_back(db: Database) -> None:
    with pytest.raises(ValueError), db.session() as session:
        session.add(Student(name="carl"))
        session.flush()
        raise ValueError("bad input")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Student)) == 0


def test_in_memory_database_is_shared_between_sessions() -> None:
    db = Database("sqlite://")
    _TestBase.metadata.create_all(db.engine)
    with db.session() as session:
        session.add(Student(name="dora"))
    with db.session() as session:
        assert session.scalars(select(Student.name)).all() == ["dora"]


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert normalize_url("postgresql://u@db/emrex").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@db/emrex").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "message"),
    [("not a url", "not a database URL: not a url"), ("mysql://u@db/emrex", "unsupported database 'mysql'")],
)
def test_bad_urls_are_named(url: str, message: str) -> None:
    with pytest.raises(DatabaseError, match=re.escape(message)):
        make_engine(url)


def test_ping_reports_an_unreachable_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/missing-dir/x.db")
    with pytest.raises(DatabaseError, match="not reachable"):
        db.ping()


def test_concurrent_read_then_write_blocks_do_not_fail_on_sqlite(db: Database) -> None:
    with db.session() as session:
        session.add(Student(name="0"))

    errors: list[BaseException] = []

    def increment_many() -> None:
        for _ in range(25):
            try:
                with db.session() as session:
                    student = session.scalars(select(Student)).one()
                    student.name = str(int(student.name) + 1)
            except BaseException as error:  # collected and asserted on below
                errors.append(error)

    threads = [threading.Thread(target=increment_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db.session(readonly=True) as session:
        assert session.scalars(select(Student.name)).one() == "100"
