"""Cost of the shared web plumbing per request, through the whole middleware stack and SQLite, and of
the EMC's credit recognition pages with 1 000 cases in the database.

Run: .venv/bin/python -m bench.web_bench. Exits 1 when a figure is over its budget.
Figures are medians (plumbing) and 95th percentiles (case pages) over repeated in-process requests
(Starlette TestClient, no network).
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.web import WebSettings, create_web_app, get_session, render

BUDGET_PAGE_MS = 15.0
BUDGET_FORM_POST_MS = 25.0
BUDGET_ELMO_POST_MS_PER_MB = 40.0
BUDGET_CASE_PAGE_P95_MS = 100.0
CASES = 1000
ELMO_MB = 20
PAGE = (
    '{% extends "base.html" %}{% block content %}<form method="post">{{ csrf_field() }}</form>{% endblock %}'
)


def _app(database: Database, templates: Path) -> TestClient:
    settings = WebSettings(base_url="https://bench.example")
    app = create_web_app(
        settings, database, title="Bench", templates_dirs=[templates], exempt_paths=["/return"]
    )

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        return render(request, "page.html")

    @app.post("/save")
    def save(request: Request, value: str = Form(...)) -> PlainTextResponse:
        get_session(request).set("value", value)
        return PlainTextResponse("ok")

    @app.post("/return")
    def protocol_return(elmo: str = Form("")) -> PlainTextResponse:
        return PlainTextResponse(str(len(elmo)))

    return TestClient(app, base_url=settings.base_url)


def _times_ms(action: Callable[[], object], rounds: int) -> list[float]:
    action()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _median_ms(action: Callable[[], object], rounds: int) -> float:
    return statistics.median(_times_ms(action, rounds))


def _p95_ms(action: Callable[[], object], rounds: int) -> float:
    return statistics.quantiles(_times_ms(action, rounds), n=20, method="inclusive")[18]


def case_pages(rounds: int = 60) -> list[tuple[str, float]]:
    """p95 of the recognition pages (queue, one case, the student's list and case) among CASES cases."""
    from bench.recognition_cases import case_pages_client

    with tempfile.TemporaryDirectory() as scratch:
        staff, student, busy, own = case_pages_client(Path(scratch), CASES)
        try:
            return [
                ("staff queue (waiting, 50 rows)", _p95_ms(lambda: staff.get("/staff/recognition"), rounds)),
                (
                    "staff queue (all, by institution)",
                    _p95_ms(lambda: staff.get("/staff/recognition?status=all&institution=univ"), rounds),
                ),
                (
                    "staff case with earlier decisions",
                    _p95_ms(lambda: staff.get(f"/staff/recognition/{busy}"), rounds),
                ),
                ("student's applications", _p95_ms(lambda: student.get("/recognition"), rounds)),
                (
                    "student's draft with a search",
                    _p95_ms(lambda: student.get(f"/recognition/cases/{own}?q=algebra"), rounds),
                ),
            ]
        finally:
            for client in (staff, student):
                client.close()
            staff.app.state.emc_service.database.dispose()  # type: ignore[attr-defined]


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        templates = Path(scratch) / "templates"
        templates.mkdir()
        (templates / "page.html").write_text(PAGE, encoding="utf-8")
        url = f"sqlite:///{scratch}/bench.db"
        upgrade(url)
        database = Database(url)
        client = _app(database, templates)
        match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
        assert match
        token = match.group(1)
        counter = iter(range(10**9))

        page = _median_ms(lambda: client.get("/"), 200)
        post = _median_ms(
            lambda: client.post("/save", data={"value": str(next(counter)), "csrf_token": token}), 200
        )
        elmo = "H" * (ELMO_MB * 1024 * 1024)
        big = _median_ms(lambda: client.post("/return", data={"sessionId": "s" * 32, "elmo": elmo}), 5)
        client.close()
        database.dispose()

    per_mb = big / ELMO_MB
    rows = [
        ("page with session (load, render)", page, BUDGET_PAGE_MS, "ms"),
        ("form post (CSRF check, save)", post, BUDGET_FORM_POST_MS, "ms"),
        (f"{ELMO_MB} MB elmo post, per MB", per_mb, BUDGET_ELMO_POST_MS_PER_MB, "ms"),
        *[(f"{name}, p95", value, BUDGET_CASE_PAGE_P95_MS, "ms") for name, value in case_pages()],
    ]
    failed = False
    for name, value, budget, unit in rows:
        over = value > budget
        failed |= over
        print(f"{name:38} {value:8.2f} {unit}  (budget {budget:g}){'  OVER BUDGET' if over else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
