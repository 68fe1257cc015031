"""ELMO reading, writing and XSD validation speed on sample documents of 60 and 1000 courses.

Run: .venv/bin/python -m bench.elmo_bench [SCHEMA_DIR]. The XSD step runs when the schema folder exists
(argument, $EMREX_ELMO_SCHEMA_DIR or ../shared/reference/elmo). Prints median times against the
budgets and exits 1 when one is missed.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo

# (courses, parse budget ms, write budget ms, runs)
CASES = ((60, 3.0, 3.0, 41), (1000, 50.0, 50.0, 15))
XSD_BUDGET_MS = {60: 5.0, 1000: 50.0}


def median_ms(action: Callable[[], object], runs: int) -> float:
    """Median CPU time of one call: the budgets are for one core, and the machine may be shared.

    A call's result is released after its time is taken: freeing the model the caller got is the
    caller's work, later (freeing the parser's own tree is inside the call and counts)."""
    action()  # warm up caches (and the compiled schema)
    times = []
    for _ in range(runs):
        start = time.process_time()
        result = action()
        times.append(time.process_time() - start)
        del result
    return statistics.median(times) * 1000


def schema_dir() -> Path | None:
    if len(sys.argv) > 1:
        candidate = Path(sys.argv[1])
    elif os.environ.get("EMREX_ELMO_SCHEMA_DIR"):
        candidate = Path(os.environ["EMREX_ELMO_SCHEMA_DIR"])
    else:
        candidate = Path(__file__).resolve().parents[2] / "shared" / "reference" / "elmo"
    return candidate if candidate.is_dir() else None


def main() -> int:
    xsd_dir = schema_dir()
    validate_xsd: Callable[..., object] | None = None
    if xsd_dir is not None:
        try:
            from emrex.elmo.schema import validate_xsd
        except ImportError:
            xsd_dir = None
    rows: list[tuple[str, int, float, float]] = []
    for courses, parse_budget, write_budget, runs in CASES:
        elmo = sample_elmo(courses)
        data = write_elmo(elmo)
        assert read_elmo(data).elmo == elmo
        gc.collect()
        size = len(data)
        rows.append(
            (f"parse {courses} courses", size, median_ms(partial(read_elmo, data), runs), parse_budget)
        )
        rows.append(
            (f"write {courses} courses", size, median_ms(partial(write_elmo, elmo), runs), write_budget)
        )
        if validate_xsd is not None and xsd_dir is not None:
            ms = median_ms(partial(validate_xsd, data, xsd_dir, version="1.7.0"), runs)
            rows.append((f"XSD-validate {courses} courses", size, ms, XSD_BUDGET_MS[courses]))
    print(f"{'case':<28}{'bytes':>11}{'median ms':>12}{'budget ms':>12}  result")
    missed = 0
    for name, size, ms, budget in rows:
        ok = ms <= budget
        missed += not ok
        print(f"{name:<28}{size:>11,}{ms:>12.2f}{budget:>12.1f}  {'ok' if ok else 'OVER BUDGET'}")
    if xsd_dir is None:
        print("XSD validation skipped: no schema folder (pass one, or set EMREX_ELMO_SCHEMA_DIR)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
