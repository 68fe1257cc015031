"""What each step of a student's transfer costs the EMC: SQL statements, transactions and CPU.

Run: .venv/bin/python -m bench.emc_steps [--postgres URL] [--transfers N] [--courses N] [--json]
Drives the real EMC app in process (TestClient, demo login, a registry file, documents signed with a
test key): start, the EMP's answer posted without cookies, the transfer page, confirm, the page after.
Per step, the median over the transfers of: statements sent to the database (all, and those on the
EMC's own tables), transactions begun, CPU of this process (time.process_time, the client included)
and, on PostgreSQL, CPU of the backends that served it (/proc). Every transfer must end imported.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from tests.emc.conftest import BASE_URL, NORDVIK, Keys, config, csrf, login, signed

from emrex.db import Database, upgrade
from emrex.elmo.codec import encode
from emrex.emc import create_emc_app, settings_from_mapping
from emrex.trust.ca import issue, make_ca
from emrex.web.login import hash_password

TRACE = False
STEPS = ("start", "return", "page", "confirm", "page after")
TICK_MS = 1000 / 100


class Counter:
    """Statements and transactions on one engine, and the PostgreSQL backends it talks to."""

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self.emc_statements = 0
        self.transactions = 0
        self.backends: set[int] = set()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connect)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements += 1
        if TRACE:
            print(f"  SQL {statement[:150]!r}", file=sys.stderr)
        if "emc_" in statement:
            self.emc_statements += 1

    def _begin(self, _conn: Any) -> None:
        self.transactions += 1

    def _connect(self, dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backends.add(cursor.fetchone()[0])

    def backend_ticks(self) -> int:
        total = 0
        for pid in self.backends:
            try:
                raw = Path(f"/proc/{pid}/stat").read_bytes()
            except OSError:
                continue
            fields = raw[raw.rindex(b")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])
        return total

    def snapshot(self) -> tuple[int, int, int, int]:
        return self.statements, self.emc_statements, self.transactions, self.backend_ticks()


def keys() -> Keys:
    ca = make_ca("steps CA")
    nordvik = issue(ca, "Nordvik EMP", organization="Nordvik University", country="SE")
    return Keys(nordvik, issue(ca, "Collina EMP", country="IT"), issue(ca, "Stranger EMP"))


def measure(url: str, transfers: int, courses: int, scratch: Path) -> dict[str, dict[str, float]]:
    issued = keys()
    password_hash = hash_password("pw-for-tests", log2_n=10)
    values = config(scratch, issued, password_hash)
    # A new student for each transfer, as in the load run: the same person as the sample's learner.
    asa = values["login"]["demo"]["accounts"][0]
    values["login"]["demo"]["accounts"] = [{**asa, "username": f"s{n}"} for n in range(transfers + 1)]
    settings = settings_from_mapping({**values, "database_url": url}, {})
    database = Database(url)
    counter = Counter(database.engine)
    upgrade(database)
    app = create_emc_app(settings, database=database, migrate=False, background=False)
    cookieless = TestClient(app, base_url=BASE_URL)
    samples: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    documents = [encode(signed(issued.nordvik, courses=courses)) for _ in range(transfers + 1)]

    def step(name: str, action: Callable[[], Any]) -> Any:
        if TRACE:
            print(f"-- {name}", file=sys.stderr)
        gc.collect()
        before, cpu = counter.snapshot(), time.process_time()
        result = action()
        spent = (time.process_time() - cpu) * 1000
        after = counter.snapshot()
        samples[name].append(
            (
                *(a - b for a, b in zip(after[:3], before[:3], strict=True)),
                spent,
                (after[3] - before[3]) * TICK_MS,
            )
        )
        return result

    for n, document in enumerate(documents):
        emc = TestClient(app, base_url=BASE_URL)
        login(emc, f"s{n}")
        token = csrf(emc.get("/choose?country=SE").text)
        form = {"country": "SE", "emp": NORDVIK, "csrf_token": token}
        started = step("start", partial(emc.post, "/start", data=form))
        session_id = re.search(r'name="sessionId" value="([^"]+)"', started.text).group(1)  # type: ignore[union-attr]
        data = {"sessionId": session_id, "returnCode": "NCP_OK", "returnMessage": "", "elmo": document}
        response = step(
            "return", partial(cookieless.post, "/emrex/return", data=data, follow_redirects=False)
        )
        assert response.status_code == 303, response.text
        path = response.headers["location"]
        page = step("page", partial(emc.get, path))
        assert "Import these results" in page.text, page.text
        form = {"csrf_token": csrf(page.text)}
        done = step("confirm", partial(emc.post, f"{path}/confirm", data=form, follow_redirects=False))
        assert done.status_code == 303, done.text
        after = step("page after", partial(emc.get, path))
        assert "imported" in after.text.lower()
        emc.close()
        if n == 0:  # warm-up
            for kept in samples.values():
                kept.clear()
    cookieless.close()
    database.dispose()
    fields = ("statements", "emc_statements", "transactions", "cpu_ms", "db_cpu_ms")
    return {
        name: {
            f: (statistics.fmean if f == "db_cpu_ms" else statistics.median)(v[i] for v in samples[name])
            for i, f in enumerate(fields)
        }
        for name in STEPS
    }


def postgres_schema(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = create_engine(admin_url)
    name = f"emrex_steps_{secrets.token_hex(6)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()

    url = admin.url.update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.emc_steps")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL URL (a fresh schema is made)")
    parser.add_argument("--transfers", type=int, default=15)
    parser.add_argument("--courses", type=int, default=60)
    parser.add_argument("--trace", action="store_true", help="print each statement")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args()
    global TRACE
    TRACE = options.trace
    with tempfile.TemporaryDirectory() as scratch:
        drop: Callable[[], None] = lambda: None  # noqa: E731
        url = f"sqlite:///{scratch}/emc.db"
        if options.postgres:
            url, drop = postgres_schema(options.postgres)
        try:
            result = measure(url, options.transfers, options.courses, Path(scratch))
        finally:
            drop()
    if options.json:
        print(json.dumps(result))
        return 0
    print(f"{'step':<12}{'stmts':>7}{'emc':>6}{'tx':>5}{'cpu ms':>9}{'db ms':>8}")
    for name, row in result.items():
        print(
            f"{name:<12}{row['statements']:>7.0f}{row['emc_statements']:>6.0f}{row['transactions']:>5.0f}"
            f"{row['cpu_ms']:>9.1f}{row['db_cpu_ms']:>8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
