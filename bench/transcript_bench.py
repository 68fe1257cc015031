"""PDF transcript speed and size: 60 courses (the usual transfer) and 1000 (a long study history).

Run: .venv/bin/python -m bench.transcript_bench. Times are the median CPU time of this process
(one core; other work on a shared machine does not count), wall time beside it. The first render,
which loads the font and the locale data once per process, is measured apart. Beside ours, in the same
run: the median CPU time with ReportLab's pure-Python helpers (a child process without rl-accel), and
whether that child made the very same bytes. Exits 1 when a figure is over its budget or the bytes
differ.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from emrex.elmo.sample import sample_elmo
from emrex.transcript import render_transcript

WHEN = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
# courses -> (budget for the median CPU ms, budget for the size in bytes, repeats)
CASES = {60: (40.0, 40_000, 25), 1000: (500.0, 200_000, 5)}
BUDGET_FIRST_MS = 400.0
ROOT = Path(__file__).resolve().parents[1]


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


def _row(
    case: str, cpu: float, pure: str, wall: float, budget: float, pages: str, size: str, status: str
) -> None:
    print(f"{case:<24} {cpu:8.1f} {pure:>9} {wall:8.1f} {budget:8.0f} {pages:>6} {size:>8}  {status}")


def child() -> None:
    """Run where ReportLab's C helpers cannot be imported: prints median CPU ms and sha256 per case."""
    from reportlab.lib import rl_accel

    assert not rl_accel._c_funcs, "the C helpers were imported"
    render_transcript(sample_elmo(1), generated_at=WHEN)
    figures = {}
    for courses, (_, _, repeat) in CASES.items():
        elmo = sample_elmo(courses)
        cpu, _, pdf = _measure(lambda elmo=elmo: render_transcript(elmo, generated_at=WHEN), repeat)
        figures[courses] = (cpu, hashlib.sha256(pdf).hexdigest())
    print(json.dumps(figures))


def _pure() -> dict[int, tuple[float, str]]:
    code = "import sys; sys.modules['_rl_accel'] = None\nfrom bench.transcript_bench import child; child()"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(
            f"transcript_bench: the run without rl-accel failed: {done.stderr.strip()[-300:]}",
            file=sys.stderr,
        )
        return {}
    return {int(k): (v[0], v[1]) for k, v in json.loads(done.stdout).items()}


def main() -> int:
    pure = _pure()
    columns = f"{'cpu ms':>8} {'no accel':>9} {'wall ms':>8} {'budget':>8} {'pages':>6} {'bytes':>8}"
    print(f"{'case':<24} {columns}  status")
    first_cpu, first_wall, _ = _measure(lambda: render_transcript(sample_elmo(1), generated_at=WHEN), 1)
    over = first_cpu > BUDGET_FIRST_MS
    _row(
        "first render (1 course)",
        first_cpu,
        "",
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
        status = "ok" if fine else f"OVER BUDGET (size budget {budget_bytes} bytes)"
        if courses in pure and pure[courses][1] != hashlib.sha256(pdf).hexdigest():
            fine, status = False, "NOT THE SAME BYTES as without rl-accel"
        over = over or not fine
        without = f"{pure[courses][0]:.1f}" if courses in pure else "-"
        _row(f"{courses} courses", cpu, without, wall, budget_ms, str(_pages(pdf)), str(len(pdf)), status)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
