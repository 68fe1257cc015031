"""Calendar months for statistics: a bounded period of whole months (UTC) and a column's month in SQL.

A period is written ``YYYY-MM`` to ``YYYY-MM`` (both included) and spans at most ``MAX_MONTHS``.
``month_of(column)`` is the ``YYYY-MM`` of a timestamp column, computed by the database (SQLite
stores UTC text, PostgreSQL is asked for the UTC month), so figures are grouped there, not in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from emrex.errors import EmrexError

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class PeriodError(EmrexError, ValueError):
    """A period that cannot be used; the message is one line saying why."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def of_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    @classmethod
    def parse(cls, text: str, name: str) -> Month:
        found = _MONTH.fullmatch(text.strip())
        if found is None or not 1 <= int(found[2]) <= 12 or not 2000 <= int(found[1]) <= 2999:
            shown = text[:20].encode("ascii", "replace").decode()
            raise PeriodError(f"{name}: expected a month like 2026-03, got {shown!r}")
        return cls(int(found[1]), int(found[2]))

    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    first: Month
    last: Month  # included

    @classmethod
    def parse(cls, first: str | None, last: str | None, *, now: datetime | None = None) -> Period:
        """From ``YYYY-MM`` texts; a missing end is this month, a missing start 12 months before it."""
        today = now or datetime.now(UTC)
        end = Month.parse(last, "to") if last else Month(today.year, today.month)
        start = Month.parse(first, "from") if first else Month.of_index(end.index() - DEFAULT_MONTHS + 1)
        if start > end:
            raise PeriodError(f"from: {start} is after to: {end}")
        if end.index() - start.index() + 1 > MAX_MONTHS:
            raise PeriodError(f"the period spans more than {MAX_MONTHS} months: choose a shorter one")
        return cls(start, end)

    @property
    def since(self) -> datetime:
        return self.first.start()

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return Month.of_index(self.last.index() + 1).start()

    def months(self) -> list[str]:
        return [str(Month.of_index(i)) for i in range(self.first.index(), self.last.index() + 1)]

    def within(self, column: Any) -> ColumnElement[bool]:
        bound: ColumnElement[bool] = (column >= self.since) & (column < self.until)
        return bound


class month_of(FunctionElement[str]):
    """``YYYY-MM`` of a UTC timestamp column, in SQL."""

    type = String()
    inherit_cache = True
    name = "month_of"


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char(timezone('UTC', {compiler.process(element.clauses, **kw)}), 'YYYY-MM')"
