"""PDF transcript speed and size: 60 courses (the usual transfer) and 1000 (a long study history).

Run: .venv/bin/python -m bench.transcript_bench. Times are the median CPU time of this process
(one core; other work on a shared machine does not count), wall time beside it. The first render,
which loads the font and the locale data once per process, is measured apart. Exits 1 when a figure
is over its budget.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable

from emrex.elmo.sample import sample_elmo
from emrex.transcript import render_transcript

WHEN = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
# courses -> (budget for the median CPU ms, budget for the size in bytes, repeats)
CASES = {60: (40.0, 40_000, 25), 1000: (500.0, 200_000, 5)}
BUDGET_FIRST_MS = 400.0


def _measure(action: Callable[[], bytes], repeat: int) -> tuple[float, float, bytes]:
    cpu, wall = [], []
    result = b""
    for _ in range(repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        result = action()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start_wall) * 1000)
    return statistics.median(cpu), statistics.median(wall), result


def _pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n")


def _row(case: str, cpu: float, wall: float, budget: float, pages: str, size: str, status: str) -> None:
    print(f"{case:<24} {cpu:8.1f} {wall:8.1f} {budget:8.0f} {pages:>6} {size:>8}  {status}")


def main() -> int:
    print(f"{'case':<24} {'cpu ms':>8} {'wall ms':>8} {'budget':>8} {'pages':>6} {'bytes':>8}  status")
    first_cpu, first_wall, _ = _measure(lambda: render_transcript(sample_elmo(1), generated_at=WHEN), 1)
    over = first_cpu > BUDGET_FIRST_MS
    _row(
        "first render (1 course)",
        first_cpu,
        first_wall,
        BUDGET_FIRST_MS,
        "",
        "",
        "OVER BUDGET" if over else "ok",
    )
    for courses, (budget_ms, budget_bytes, repeat) in CASES.items():
        elmo = sample_elmo(courses)
        cpu, wall, pdf = _measure(lambda elmo=elmo: render_transcript(elmo, generated_at=WHEN), repeat)
        fine = cpu <= budget_ms and len(pdf) <= budget_bytes
        over = over or not fine
        status = "ok" if fine else f"OVER BUDGET (size budget {budget_bytes} bytes)"
        _row(f"{courses} courses", cpu, wall, budget_ms, str(_pages(pdf)), str(len(pdf)), status)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
