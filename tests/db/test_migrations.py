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


def test_every_package_registers_its_tables_in_its_tables_module() -> None:
    from emrex.db.models import table_modules

    assert set(table_modules()) >= {
        "emrex.db.tables",
        "emrex.emc.tables",
        "emrex.emp.tables",
        "emrex.sis.tables",
        "emrex.web.tables",
    }
    assert {
        "emrex_service",
        "emc_transfer",
        "emc_recognition_case",
        "emp_session",
        "sis_result",
        "web_session",
        "login_attempt",
    } <= set(load_models().tables)


def test_the_stored_student_of_a_transfer_is_converted_both_ways(tmp_path: Path) -> None:
    import datetime as dt
    import json

    from emrex.emc.models import Transfer
    from emrex.emc.student_record import record_of
    from emrex.web.auth import Person

    url = f"sqlite:///{tmp_path}/person.db"
    person = Person(
        "asa", "Åsa", "Lind", "saml", dt.date(1999, 3, 14), {"nationalIdentifier": "1"}, "a@x", {"staff"}
    )
    upgrade(url)
    db = Database(url)
    now = dt.datetime.now(dt.UTC)
    with db.session() as s:
        s.add(
            Transfer(
                session_id="s" * 32,
                student="asa",
                student_name="Åsa Lind",
                student_json=record_of(person),
                status="started",
                created_at=now,
                expires_at=now,
                country_code="SE",
                emp_acronym="E",
                emp_name="E",
                emp_url="https://e.example/",
                emp_certificates="",
            )
        )
    downgrade(url, "5a3e1f0c7d21")
    with db.engine.connect() as connection:
        old = connection.exec_driver_sql("SELECT student_json FROM emc_transfer").scalar_one()
    login_form = Person.from_json(old)  # what the code before this revision read
    assert (login_form.subject, login_form.given_names, login_form.family_name) == ("asa", "Åsa", "Lind")
    assert (login_form.birth_date, dict(login_form.identifiers)) == (
        dt.date(1999, 3, 14),
        {"nationalIdentifier": "1"},
    )
    upgrade(url)
    with db.engine.connect() as connection:
        new = connection.exec_driver_sql("SELECT student_json FROM emc_transfer").scalar_one()
    assert json.loads(new) == json.loads(record_of(person))
    db.dispose()
