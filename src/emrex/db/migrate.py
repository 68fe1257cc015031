"""Alembic migrations shipped inside the package, run from code.

Services call ``upgrade(database_url)`` at start. It is idempotent, and two workers starting at
once are safe: on PostgreSQL the upgrade runs in one transaction under an advisory lock, on SQLite
under ``BEGIN IMMEDIATE``; the second worker waits, then finds the schema at head.

There is one migration chain for every table. To add a table or a column:

1. Define or change the model (a subclass of ``emrex.db.Base``, columns of date and time as
   ``UtcDateTime``) in, or imported by, the ``tables`` module of its package (``emrex/<package>/tables.py``,
   found by ``emrex.db.models.load_models``).
2. Generate the revision against a scratch SQLite database brought to the current head::

       .venv/bin/emrex db revision -m "emc transfers"

   (or ``emrex.db.migrate.new_revision("emc transfers")``). It writes
   ``src/emrex/db/migrations/versions/<date>_<rev>_<slug>.py``.
3. Read the generated file: keep only your change, make sure ``downgrade()`` undoes it, and give
   server defaults to new NOT NULL columns of existing tables. Use ``op.batch_alter_table`` to alter
   columns (SQLite cannot ALTER them in place).
4. Run ``pytest tests/db``: it checks that the chain has one head and that models and migrations
   agree (an empty autogenerate diff) on SQLite and, when reachable, PostgreSQL.

If two people add revisions at the same time, the chain gets two heads and the test says so: rebase
yours by setting its ``down_revision`` to the other one.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import InterfaceError, OperationalError

from emrex.db.engine import Database, DatabaseError

SCRIPT_LOCATION = "emrex.db:migrations"
# Arbitrary constant shared by every emrex process: "emrexmig" as a number.
ADVISORY_LOCK_KEY = 0x656D7265786D6967


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade(database: str | URL | Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: head); does nothing when it is there already."""
    _locked(database, lambda config: command.upgrade(config, revision))


def downgrade(database: str | URL | Database, revision: str) -> None:
    """Undo migrations down to ``revision`` (``"base"``: drop every table); for development and tests."""
    _locked(database, lambda config: command.downgrade(config, revision))


def _locked(database: str | URL | Database, run: Callable[[Config], None]) -> None:
    owned = not isinstance(database, Database)
    db = Database(database) if not isinstance(database, Database) else database
    try:
        with _connect(db) as connection:
            if connection.dialect.name == "sqlite":
                connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
                run(alembic_config(connection))
    finally:
        if owned:
            db.dispose()


def current(database: str | URL | Database) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    owned = not isinstance(database, Database)
    db = Database(database) if not isinstance(database, Database) else database
    try:
        with _connect(db) as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            db.dispose()


def _connect(db: Database) -> Connection:
    try:
        return db.engine.connect()
    except (OperationalError, InterfaceError) as error:
        shown = db.url.render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise DatabaseError(f"database not reachable at {shown}: {reason}") from error


def new_revision(message: str) -> Path:
    """Autogenerate a revision for the model changes not yet migrated; returns the new file."""
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{scratch}/scratch.db")
        try:
            upgrade(db)
            with db.engine.connect() as connection, connection.begin():
                script = command.revision(alembic_config(connection), message=message, autogenerate=True)
        finally:
            db.dispose()
    assert script is not None and not isinstance(script, list)
    path = Path(script.path)
    _tidy(path)
    return path


def _tidy(path: Path) -> None:
    """Drop unused imports and format the generated file with ruff, when ruff is installed."""
    if importlib.util.find_spec("ruff") is None:
        return
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "--quiet", "--fix", "--select", "F401,I", str(path)], check=False)  # noqa: S603
    subprocess.run([*ruff, "format", "--quiet", str(path)], check=False)  # noqa: S603
