from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from emrex.db import Database, upgrade
from emrex.db.migrate import current, downgrade, heads
from emrex.db.models import load_models


def _diff(url: str) -> list[object]:
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), load_models()))
    finally:
        db.dispose()


def test_the_chain_has_one_head() -> None:
    assert len(heads()) == 1, (
        f"migration chain has several heads {heads()}: set one down_revision to the other"
    )


def test_upgrade_creates_the_tables_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    assert current(url) is None
    upgrade(url)
    upgrade(url)
    assert current(url) == heads()[0]
    db = Database(url)
    assert "web_session" in inspect(db.engine).get_table_names()
    db.dispose()


def test_models_and_migrations_agree_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/diff.db"
    upgrade(url)
    assert _diff(url) == []


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/down.db"
    upgrade(url)
    downgrade(url, "base")
    db = Database(url)
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.dispose()
    upgrade(url)
    assert _diff(url) == []


def test_two_workers_migrating_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/race.db"
    errors = _race(lambda: upgrade(url))
    assert errors == []
    assert current(url) == heads()[0]


@pytest.mark.postgres
def test_models_and_migrations_agree_on_postgres(postgres_url: str) -> None:
    upgrade(postgres_url)
    upgrade(postgres_url)
    assert current(postgres_url) == heads()[0]
    assert _diff(postgres_url) == []


@pytest.mark.postgres
def test_two_workers_migrating_postgres_at_once(postgres_schema: Callable[[], str]) -> None:
    url = postgres_schema()
    errors = _race(lambda: upgrade(url), workers=3)
    assert errors == []
    assert current(url) == heads()[0]


def _race(work: Callable[[], None], workers: int = 2) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def run() -> None:
        start.wait()
        try:
            work()
        except BaseException as error:  # collected and asserted on by the test
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors
