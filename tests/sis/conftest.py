"""Databases for the source tests: a migrated SQLite file per test, PostgreSQL when reachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emrex.db import Database, upgrade
from tests.db.conftest import postgres_admin, postgres_schema

__all__ = ["postgres_admin", "postgres_schema"]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path}/sis.db")
    upgrade(db)
    yield db
    db.dispose()
