"""Cost of the shared web plumbing per request, through the whole middleware stack and SQLite, of
the EMC's credit recognition pages with 1 000 cases in the database, and of making the heavy pages of
both services (bench.page_scenes: the EMP's selection and preview, the EMC's transfer and choose pages,
the login page).

Run: .venv/bin/python -m bench.web_bench [--pages-only] [--against REF] [--rounds 3]. Exits 1 when a
figure is over its budget, or when a page of REF is not byte for byte the page of this checkout.
Figures are medians (plumbing) and 95th percentiles (case pages) over repeated in-process requests
(Starlette TestClient, no network); a page's figure is the best CPU time of its process over repeated
renders, each process a child on the same data (``--against REF``: children with the emrex of a git
revision, alternated with ours ``--rounds`` times; the table shows both and their ratio).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.web import WebSettings, create_web_app, get_session, render

BUDGET_PAGE_MS = 15.0
BUDGET_FORM_POST_MS = 25.0
BUDGET_ELMO_POST_MS_PER_MB = 40.0
BUDGET_CASE_PAGE_P95_MS = 100.0
# CPU ms to make the page (values and template), best of its renders in English and Swedish.
BUDGETS_PAGE_CPU_MS = {
    "EMP selection, 60 courses": 6.0,
    "EMP preview, 60 courses": 4.0,
    "EMP selection, 1000 courses": 70.0,
    "EMP preview, 1000 courses": 35.0,
    "EMP demo login page": 2.0,
    "EMC transfer page, 60 courses": 5.0,
    "EMC transfer page, 1000 courses": 15.0,
    "EMC choose page": 2.0,
}
ROOT = Path(__file__).resolve().parents[1]
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


def plumbing_rows() -> list[tuple[str, float, float]]:
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
    return [
        ("page with session (load, render)", page, BUDGET_PAGE_MS),
        ("form post (CSRF check, save)", post, BUDGET_FORM_POST_MS),
        (f"{ELMO_MB} MB elmo post, per MB", per_mb, BUDGET_ELMO_POST_MS_PER_MB),
        *[(f"{name}, p95", value, BUDGET_CASE_PAGE_P95_MS) for name, value in case_pages()],
    ]


def _pages_child(data: Path, code_root: Path | None) -> dict[str, dict[str, Any]]:
    """bench.page_scenes.measure in a new process, with the emrex of ``code_root`` (default: ours)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str((code_root or ROOT) / "src"), str(ROOT)])
    code = f"from bench.page_scenes import child; child({str(data)!r})"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=1200, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"web_bench: a page child failed: {done.stderr.strip()[-600:]}")
    figures: dict[str, dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def page_rows(against: str | None, rounds: int) -> tuple[list[tuple[str, float, float | None]], bool]:
    """Per page: our best CPU ms and REF's (None without ``against``); and whether every page of REF
    had our bytes."""
    from bench.emp_bench import _checkout
    from bench.page_scenes import make_data

    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch)
        make_data(data)
        runs: list[dict[str, dict[str, Any]]] = []
        theirs: list[dict[str, dict[str, Any]]] = []
        if against is None:
            runs.append(_pages_child(data, None))
        else:
            with _checkout(against) as code:
                for _ in range(rounds):
                    runs.append(_pages_child(data, None))
                    theirs.append(_pages_child(data, code))
    rows = []
    same = True
    for name in runs[0]:
        ours = min(run[name]["cpu_ms"] for run in runs)
        other = min(run[name]["cpu_ms"] for run in theirs) if theirs else None
        digests = {run[name]["sha256"] for run in [*runs, *theirs]}
        if len(digests) != 1:
            same = False
            print(f"web_bench: {name}: the HTML differs between runs or from {against}", file=sys.stderr)
        rows.append((name, ours, other))
    return rows, same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.web_bench")
    parser.add_argument("--pages-only", action="store_true", help="only the pages of the services")
    parser.add_argument("--against", metavar="REF", help="also the pages of this git revision, compared")
    parser.add_argument("--rounds", type=int, default=3, help="children of each side with --against")
    args = parser.parse_args(argv)
    failed = False
    if not args.pages_only:
        for name, value, budget in plumbing_rows():
            over = value > budget
            failed |= over
            print(f"{name:38} {value:8.2f} ms  (budget {budget:g}){'  OVER BUDGET' if over else ''}")
    rows, same = page_rows(args.against, max(1, args.rounds))
    failed |= not same
    ref = args.against or ""
    print(f"\n{'making the page, CPU ms':38} {'ours':>8} {ref[:10]:>10} {'ratio':>6}  budget")
    for name, ours, other in rows:
        budget = BUDGETS_PAGE_CPU_MS[name]
        over = ours > budget
        failed |= over
        theirs = f"{other:10.2f} {ours / other:6.2f}" if other else f"{'':10} {'':6}"
        print(f"{name:38} {ours:8.2f} {theirs}  {budget:g}{'  OVER BUDGET' if over else ''}")
    if args.against:
        print(f"the pages are {'the same bytes as' if same else 'NOT the same bytes as'} {args.against}'s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
