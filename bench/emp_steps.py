"""What each step of an EMP transfer costs the EMP, in-process: SQL statements, transactions (BEGIN),
commits, and CPU milliseconds (``time.process_time``, test client included) or, with ``--calls``,
thousands of Python calls (the same on a busy machine as on a quiet one).

Steps: entry, login (demo accounts), the first page after login (stores the flow, reads the SIS, the
selection page), the selection page again, select, preview, send. Run
``.venv/bin/python -m bench.emp_steps [sqlite|pg] [FLOWS] [--calls] [--sql]``; pg needs the test
PostgreSQL (a schema of its own, dropped afterwards). To compare with another revision, run its tree
(``git archive REF``) with ``PYTHONPATH=<tree>/src:<tree>`` and this file.
"""

from __future__ import annotations

import json
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, text
from tests.emp.conftest import config
from tests.emp.data import document
from tests.emp.helpers import items, login, post, reply, start

from emrex.db import Database, make_engine, upgrade
from emrex.emp.app import create_emp_app
from emrex.emp.config import settings_from_mapping
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import certificate_pem, private_key_pem
from emrex.trust.signer import Signer
from emrex.web.login import hash_password

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
WARM_UP = 2


class Meter:
    """Statements, transactions and commits of one engine, and Python calls of all threads."""

    def __init__(self, database: Database, *, calls: bool) -> None:
        self.counts = {"stmt": 0, "begin": 0, "commit": 0, "calls": 0}
        self.sql: list[str] = []
        event.listen(database.engine, "before_cursor_execute", self._statement)
        event.listen(database.engine, "begin", lambda _c: self._add("begin"))
        event.listen(database.engine, "commit", lambda _c: self._add("commit"))
        if calls:
            threading.setprofile(self._call)
            sys.setprofile(self._call)

    def _add(self, name: str) -> None:
        self.counts[name] += 1

    def _statement(self, _c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.counts["stmt"] += 1
        self.sql.append(" ".join(statement.split())[:120])

    def _call(self, _frame: Any, kind: str, _arg: Any) -> None:
        if kind in ("call", "c_call"):
            self.counts["calls"] += 1


def run(backend: str, flows: int, *, calls: bool, show_sql: bool) -> None:
    tmp = Path(tempfile.mkdtemp())
    ca = make_ca("bench CA")
    key = issue(ca, "EMP bench", organization="Nordvik University", country="SE")
    (tmp / "k.pem").write_bytes(private_key_pem(key.key))
    (tmp / "c.pem").write_bytes(certificate_pem(key.certificate))
    schema = f"emrex_bench_{secrets.token_hex(6)}"
    admin = make_engine(POSTGRES) if backend == "pg" else None
    if admin is not None:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    else:
        url = f"sqlite:///{tmp}/emp.db"
    database = Database(url)
    upgrade(database)
    import_sis(database, parse_sis_json(json.dumps(document()).encode()))
    settings_map = config(hash_password("correct horse", log2_n=10), (tmp / "k.pem", tmp / "c.pem"))
    settings_map["login"]["rate_limit"] = {
        "max_attempts_per_user": 10**6,
        "max_attempts_per_address": 10**6,
        "requests_per_minute": 0,
    }
    settings = settings_from_mapping(settings_map)
    meter = Meter(database, calls=calls)
    rows: dict[str, list[tuple[float, int, int, int]]] = {}
    sql: dict[str, list[str]] = {}

    def step(name: str, action: Callable[[], Any]) -> Any:
        before = dict(meter.counts)
        del meter.sql[:]
        began = time.process_time()
        out = action()
        cost = (time.process_time() - began) * 1000
        after = meter.counts
        if calls:
            cost = (after["calls"] - before["calls"]) / 1000
        counted = (after["stmt"] - before["stmt"], after["begin"] - before["begin"])
        rows.setdefault(name, []).append((cost, *counted, after["commit"] - before["commit"]))
        sql[name] = list(meter.sql)
        return out

    app = create_emp_app(settings, database=database, signer=Signer(key.key, key.certificate), migrate=False)
    with TestClient(app, base_url=settings.base_url, follow_redirects=False) as emp:
        for n in range(flows + WARM_UP):
            emp.cookies.clear()
            flow = step("entry", lambda: start(emp))
            step("login", lambda: login(emp, flow))  # noqa: B023 (called at once)
            page = step("first page after login", lambda: emp.get(flow))  # noqa: B023
            page = step("selection page again", lambda: emp.get(flow))  # noqa: B023
            picked = items(page.text)[:3]
            path = f"{flow}/select"
            step("select", lambda: post(emp, path, page.text, item=picked, action="preview"))  # noqa: B023
            preview = step("preview", lambda: emp.get(f"{flow}/preview"))  # noqa: B023
            form = {"action": "send", "consent": "yes"}
            sent = step("send", lambda: post(emp, f"{flow}/send", preview.text, **form))  # noqa: B023
            assert reply(sent)["returnCode"] == "NCP_OK"
            if n < WARM_UP:
                rows.clear()
    unit = "kcalls" if calls else "cpu ms"
    print(f"tree={Path(__file__).resolve().parents[1].name} src={sys.modules['emrex'].__file__} {backend}")
    print(f"{'step':24} {unit:>8} {'stmts':>6} {'begins':>6} {'commits':>7}")
    total = [0.0, 0, 0, 0]
    for name, measured in rows.items():
        cost = statistics.median(r[0] for r in measured)
        last = measured[-1]
        total = [total[0] + cost, total[1] + last[1], total[2] + last[2], total[3] + last[3]]
        print(f"{name:24} {cost:8.2f} {last[1]:6d} {last[2]:6d} {last[3]:7d}")
    print(f"{'total':24} {total[0]:8.2f} {total[1]:6d} {total[2]:6d} {total[3]:7d}")
    if show_sql:
        for name, lines in sql.items():
            print("==", name, *lines, sep="\n    ")
    database.dispose()
    if admin is not None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    shutil.rmtree(tmp)


def main(argv: list[str]) -> int:
    words = [a for a in argv if not a.startswith("--")]
    backend = words[0] if words else "sqlite"
    flows = int(words[1]) if len(words) > 1 else 10
    run(backend, flows, calls="--calls" in argv, show_sql="--sql" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
