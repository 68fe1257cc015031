"""Periods of whole months: reading them, their bounds, and months counted by SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from emrex.db import Database, upgrade
from emrex.db.months import MAX_MONTHS, Month, Period, PeriodError
from emrex.emp.stats import figures
from emrex.emp.store import FINISH, START, EmpEventRow
from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_a_period_from_month_to_month() -> None:
    period = Period.parse("2025-11", "2026-02", now=NOW)
    assert period.months() == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert period.since == datetime(2025, 11, 1, tzinfo=UTC)
    assert period.until == datetime(2026, 3, 1, tzinfo=UTC)


def test_the_default_is_the_last_twelve_months_with_this_one() -> None:
    period = Period.parse(None, None, now=NOW)
    assert (str(period.first), str(period.last)) == ("2026-01", "2026-12")
    assert (str(Period.parse(None, "2026-03", now=NOW).first)) == "2025-04"
    assert (str(Period.parse("2026-05", None, now=NOW).last)) == "2026-12"


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-13", None, "from: expected a month like 2026-03, got '2026-13'"),
        ("2026-00", None, "from: expected a month like 2026-03"),
        (None, "26-03", "to: expected a month like 2026-03, got '26-03'"),
        ("<script>alert(1)</script>", None, "from: expected a month like 2026-03, got '<script>alert(1)<"),
        ("2026-1", None, "from: expected a month"),
        ("１２３４-05", None, "from: expected a month"),  # digits of another script
        ("1999-12", None, "from: expected a month"),
        ("2026-05", "2026-04", "from: 2026-05 is after to: 2026-04"),
        ("2020-01", "2026-12", f"the period spans more than {MAX_MONTHS} months"),
    ],
)
def test_a_bad_period_is_refused_in_one_line(first: str | None, last: str | None, message: str) -> None:
    with pytest.raises(PeriodError) as refused:
        Period.parse(first, last, now=NOW)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_the_longest_period_is_accepted() -> None:
    period = Period.parse("2024-01", "2026-12", now=NOW)
    assert len(period.months()) == MAX_MONTHS
    assert Month.of_index(Month(2026, 12).index() + 1) == Month(2027, 1)


def _events(database: Database) -> None:
    plus_two = timezone(timedelta(hours=2))
    rows = [
        (START, datetime(2026, 1, 31, 23, 59, tzinfo=UTC), None, 0, "0"),
        # 1 February 01:30 in UTC+2 is still 31 January in UTC
        (FINISH, datetime(2026, 2, 1, 1, 30, tzinfo=plus_two), "NCP_OK", 3, "12.5"),
        (START, datetime(2026, 2, 1, 0, 0, tzinfo=UTC), None, 0, "0"),
        (FINISH, datetime(2026, 2, 28, 12, 0, tzinfo=UTC), "NCP_CANCEL", 0, "0"),
        (START, datetime(2026, 3, 1, 0, 0, tzinfo=UTC), None, 0, "0"),  # after the period
        (START, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), None, 0, "0"),  # before it
    ]
    with database.session() as s:
        for index, (kind, at, outcome, items, credits) in enumerate(rows):
            s.add(
                EmpEventRow(
                    flow_hash=f"f{index}",
                    kind=kind,
                    at=at,
                    client_host="emc.home.example",
                    institutions="nordvik.example",
                    items_sent=items,
                    credits_sent=Decimal(credits),
                    outcome=outcome,
                    duration_ms=1000 * (index + 1) if kind == FINISH else None,
                )
            )


def _check(database: Database) -> None:
    found = figures(database, Period.parse("2026-01", "2026-02", now=NOW))
    assert found.per_month() == [("2026-01", 1, 1), ("2026-02", 1, 1)]
    assert found.credits_per_month() == [("2026-01", Decimal("12.5")), ("2026-02", Decimal(0))]
    assert found.by_outcome() == [("NCP_CANCEL", 1), ("NCP_OK", 1)]
    assert found.institutions == {"nordvik.example": 2}
    assert found.median_duration_ms == 4000


def test_months_are_counted_in_utc_by_sqlite(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'emp.db'}")
    upgrade(database)
    _events(database)
    _check(database)


@pytest.mark.postgres
def test_months_are_counted_in_utc_by_postgresql(postgres_schema: Callable[[], str]) -> None:  # noqa: F811
    url = make_url(postgres_schema())
    # a session in a time zone 14 hours ahead of UTC changes nothing
    options = url.query["options"] + " -ctimezone=Pacific/Kiritimati"
    database = Database(url.update_query_dict({"options": options}))
    upgrade(database)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW timezone").scalar() == "Pacific/Kiritimati"
    _events(database)
    _check(database)
