"""Commands that read a service's database (``emp stats``, ``emc purge``, ``db current``) never create or
migrate one, and refuse a database of the other service."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.cli import main
from emrex.db import Database, upgrade
from emrex.db.migrate import current, downgrade, heads
from tests.emc.conftest import (
    Keys,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    ok,
    password_hash,
    start,
)
from tests.emc.test_cli import write_config

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert err.count("\n") <= 1 and "Traceback" not in err
    return code, err


def test_a_missing_database_file_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/nope.db"
    for argv in (["emp", "stats", "--database", url], ["db", "current", "--database", url]):
        code, err = run(capsys, *argv)
        assert code == 2 and "no such database" in err and "nope.db" in err, err
    config = write_config(tmp_path, r="[emc.retention]\nraw_days = 7")  # its database is cli.db
    code, err = run(capsys, "emc", "purge", "--config", str(config))
    assert code == 2 and "no such database" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emc.toml"]


def test_a_database_without_the_schema_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, err = run(capsys, "emp", "stats", "--database", f"sqlite:///{empty}")
    assert code == 2 and "no EMREX tables" in err, err
    assert current(f"sqlite:///{empty}") is None  # not migrated


def test_a_database_at_an_older_revision_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url)
    downgrade(url, "-1")
    before = current(url)
    code, err = run(capsys, "emp", "stats", "--database", url)
    assert code == 2 and "emrex db upgrade" in err and str(before) in err, err
    assert current(url) == before != heads()[0]


def test_the_emcs_database_is_not_taken_for_an_emps(
    make_emc: Callable[..., TestClient], keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    emc = make_emc()
    login(emc)
    ok(emc, keys, start(emc))
    url = database_of(emc).url.render_as_string(hide_password=False)
    code, err = run(capsys, "emp", "stats", "--database", url)
    assert code == 2 and "EMC" in err and "not an EMP's" in err, err


def test_an_unmarked_database_holding_transfers_is_not_taken_for_an_emps(
    make_emc: Callable[..., TestClient], keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    # written before databases were marked with their service: told apart by what they hold
    emc = make_emc()
    login(emc)
    ok(emc, keys, start(emc))
    db = database_of(emc)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM emrex_service")
    code, err = run(capsys, "emp", "stats", "--database", db.url.render_as_string(hide_password=False))
    assert code == 2 and "EMC" in err, err


def test_reading_a_fresh_emp_database_reports_zeros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/emp.db"
    upgrade(url)
    assert main(["emp", "stats", "--database", url]) == 0
    assert "sessions started: 0" in capsys.readouterr().out
    db = Database(url)
    db.dispose()
