"""What anonymous visitors cost the EMP: a flood of valid EMREX entries, each followed by its start page
and the login form, as issue 11 found it (5 000 entries in 23 s, three rows each, never purged).

Runs the real EMP app in process (SQLite, Starlette's test client), with the per-address request rate
turned off so that the app itself is measured, then with the default rate. Counts the rows of every
table before and after. Run: ``.venv/bin/python -m bench.anonymous_bench [--entries 5000]``. Exits 1
when a row was stored or a figure is over its budget.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, func, select

from emrex.db import Database, upgrade
from emrex.emp.app import create_emp_app
from emrex.emp.config import settings_from_mapping
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import certificate_pem, private_key_pem
from emrex.trust.signer import Signer
from emrex.web.login import hash_password

BUDGET_ENTRY_MS = 15.0  # one entry (303), median
BASE_URL = "https://emp.bench.example"


def _rows(database: Database) -> int:
    metadata = MetaData()
    metadata.reflect(database.engine)
    with database.engine.connect() as connection:
        return sum(
            int(connection.execute(select(func.count()).select_from(table)).scalar() or 0)
            for table in metadata.tables.values()
        )


def _app(folder: Path, database: Database, signer: Signer, per_minute: int) -> TestClient:
    key, cert = folder / "key.pem", folder / "cert.pem"
    key.write_bytes(private_key_pem(signer.key))
    cert.write_bytes(certificate_pem(signer.certificate))
    account = {
        "username": "anna",
        "password_hash": hash_password("pw", log2_n=10),
        "given_names": "Anna",
        "family_name": "Berg",
    }
    settings = settings_from_mapping(
        {
            "base_url": BASE_URL,
            "production": False,
            "key_file": str(key),
            "certificate_file": str(cert),
            "login": {
                "method": "demo",
                "demo": {"accounts": [account]},
                "rate_limit": {"requests_per_minute": per_minute},
            },
        }
    )
    return TestClient(
        create_emp_app(settings, database=database, signer=signer, migrate=False),
        base_url=BASE_URL,
        follow_redirects=False,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=5000)
    count = parser.parse_args(argv).entries
    issued = issue(make_ca("Bench CA"), "Bench EMP")
    signer = Signer(issued.key, issued.certificate)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database = Database(f"sqlite:///{folder}/emp.db")
        upgrade(database)
        app = _app(folder, database, signer, per_minute=0)
        app.post("/emrex", data={"sessionId": "warm", "returnUrl": "https://emc.example/r"})  # the cookie key
        before = _rows(database)
        times: list[float] = []
        started = time.perf_counter()
        for index in range(count):
            visitor = TestClient(app.app, base_url=BASE_URL, follow_redirects=False)
            entry_started = time.perf_counter()
            response = visitor.post(
                "/emrex", data={"sessionId": f"s{index}", "returnUrl": f"https://emc{index % 97}.example/r"}
            )
            times.append((time.perf_counter() - entry_started) * 1000)
            assert response.status_code == 303, response.status_code
            visitor.get(response.headers["location"])
            visitor.get("/login")
        elapsed = time.perf_counter() - started
        stored = _rows(database) - before

        limited = _app(folder, database, signer, per_minute=60)
        statuses = [
            limited.post(
                "/emrex", data={"sessionId": f"r{i}", "returnUrl": "https://emc.example/r"}
            ).status_code
            for i in range(100)
        ]
        database.dispose()
    median = statistics.median(times)
    over = median > BUDGET_ENTRY_MS
    failed = over or stored != 0
    print(f"{count} entries, each with its start page and the login form: {elapsed:.1f} s")
    flag = "  OVER BUDGET" if over else ""
    print(f"  entry (303), median          {median:8.2f} ms  (budget {BUDGET_ENTRY_MS:g}){flag}")
    print(f"  rows stored                  {stored:8d}     (budget 0){'  STORED' if stored else ''}")
    served, refused = statuses.count(303), statuses.count(429)
    print(f"  default rate, one address:   {served} of 100 served, {refused} refused (429)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
