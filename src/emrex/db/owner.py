"""Which service a database belongs to, and opening one for a command that only reads it.

Every table is in one migration chain, so an EMC's database has the EMP's tables too (empty). The
services mark their database when they start (``emrex_service``); a reading command (``emp stats``,
``emc purge``, ``db current``) opens a database only if it exists, is at this version's schema and,
when marked, belongs to the service it asks about. It never creates or migrates one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import String, inspect, literal, select, table
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from emrex.db.base import Base, UtcDateTime, utcnow
from emrex.db.engine import Database, DatabaseError, make_engine, normalize_url
from emrex.db.migrate import current, heads

SERVICES = {"emp": "an EMP's", "emc": "the EMC's"}
# Tables that only a service of that kind fills, for databases written before they were marked.
FILLED_BY = {
    "emp": ("emp_session", "emp_event", "sis_person"),
    "emc": ("emc_transfer",),
}


class ServiceMark(Base):
    __tablename__ = "emrex_service"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # "emp" or "emc"
    first_started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


def mark_service(db: Database, name: str) -> None:
    """Record that service ``name`` uses this database (once; repeating it changes nothing)."""
    try:
        with db.session() as s:
            if s.get(ServiceMark, name) is None:
                s.add(ServiceMark(name=name, first_started_at=utcnow()))
    except IntegrityError:
        pass  # another worker marked it at the same moment


def services_of(db: Database) -> set[str]:
    with db.session(readonly=True) as s:
        return set(s.scalars(select(ServiceMark.name)))


def require_file(url: str) -> None:
    """DatabaseError when ``url`` names an SQLite file that does not exist (connecting would make it)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    name = parsed.database or ""
    if name in ("", ":memory:"):
        raise DatabaseError("an in-memory SQLite database holds nothing to read")
    if not Path(name).is_file():
        raise DatabaseError(f"{name}: no such database file (this command reads one; it creates none)")


def open_for_reading(url: str, service: str, *, write: bool = False) -> Database:
    """The database at ``url``, checked to be ``service``'s ("emp" or "emc") at this version's schema;
    DatabaseError with one line otherwise. Nothing is created or migrated; the checks write nothing.
    ``write``: the database is returned for a command that changes rows (``emc purge``)."""
    require_file(url)
    db = Database(make_engine(url, reading=True))
    try:
        shown = db.url.render_as_string(hide_password=True)
        revision = current(db)
        if revision is None:
            raise DatabaseError(
                f"{shown} holds no EMREX tables: not a database of an EMREX service (or one never started)"
            )
        if revision not in heads():
            raise DatabaseError(
                f"{shown} is at schema revision {revision}, not this version's {heads()[0]}: run "
                f"`emrex db upgrade --database URL` first (reading commands never migrate)"
            )
        _check_owner(db, service, shown)
    except BaseException:
        db.dispose()
        raise
    if write:
        db.dispose()
        return Database(url)
    return db


def _check_owner(db: Database, service: str, shown: str) -> None:
    other = next(name for name in SERVICES if name != service)
    try:
        marks = services_of(db)
        if not marks:  # written before marks: told apart by what it holds
            marks = {name for name in SERVICES if _holds_rows(db, FILLED_BY[name])}
    except SQLAlchemyError as error:
        raise DatabaseError(f"{shown} cannot be read: {type(error).__name__}") from None
    if other in marks and service not in marks:
        raise DatabaseError(f"{shown} is {SERVICES[other]} database, not {SERVICES[service]}")


def _holds_rows(db: Database, tables: tuple[str, ...]) -> bool:
    present = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        for name in tables:
            if name in present and connection.scalar(select(literal(1)).select_from(table(name)).limit(1)):
                return True
    return False
