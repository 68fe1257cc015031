"""PostgreSQL for tests: a fresh schema per test session, skipped with a clear message when unreachable.

Connects to $EMREX_TEST_POSTGRES_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test. Tests that
use it are marked ``@pytest.mark.postgres``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from emrex.db import make_engine

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str:
    return os.environ.get("EMREX_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    url = _postgres_url()
    engine = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL not reachable at {shown}; set EMREX_TEST_POSTGRES_URL")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_schema(postgres_admin: Engine) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty schemas and returns a database URL whose search_path is the new schema."""
    created: list[str] = []

    def new_schema() -> str:
        name = f"emrex_test_{secrets.token_hex(6)}"
        with postgres_admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        created.append(name)
        url = postgres_admin.url.update_query_dict({"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    yield new_schema
    with postgres_admin.begin() as connection:
        for name in created:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.fixture(scope="session")
def postgres_url(postgres_schema: Callable[[], str]) -> str:
    """One fresh schema for the whole test session."""
    return postgres_schema()
