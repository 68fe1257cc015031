"""Storage: SQLAlchemy 2 models on one declarative base, and the Alembic chain that creates them.

Services use ``Database(url)`` and ``with database.session() as s: ...`` (commits on success, rolls
back everything on an exception) and call ``upgrade(url)`` once at start. See ``emrex.db.migrate``
for how to add a table.
"""

from __future__ import annotations

from emrex.db.base import Base, NaiveDatetimeError, UtcDateTime, utcnow
from emrex.db.engine import Database, DatabaseError, make_engine, normalize_url
from emrex.db.migrate import upgrade

__all__ = [
    "Base",
    "Database",
    "DatabaseError",
    "NaiveDatetimeError",
    "UtcDateTime",
    "make_engine",
    "normalize_url",
    "upgrade",
    "utcnow",
]
