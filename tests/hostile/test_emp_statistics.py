"""Hostile input to the EMP's statistics: the period parameters of the page and its downloads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.emp.conftest import (
    database,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    seeded_template,
    signer,
)
from tests.emp.helpers import login, start
from tests.hostile.cases import exercised
from tests.hostile.checks import logs_clean, nothing_stored, watch_logs
from tests.hostile.test_emc_statistics import check_period_refusals

__all__ = [
    "database",
    "emp_ca",
    "emp_key",
    "key_files",
    "make_emp",
    "password_hash",
    "seeded_template",
    "signer",
    "watch_logs",
]
exercised("emp-pages-stats-period-hostile")


def test_hostile_periods_are_refused_clearly_and_store_nothing(
    make_emp: Callable[..., TestClient], watch_logs: pytest.LogCaptureFixture
) -> None:
    staff = make_emp()
    login(staff, start(staff), "staff")
    emp = staff.app.state.emrex_emp  # type: ignore[attr-defined]
    with nothing_stored(emp.database):
        check_period_refusals(staff, "/admin/stats", "This period cannot be shown")
    logs_clean(watch_logs)
