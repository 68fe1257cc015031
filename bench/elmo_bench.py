"""ELMO reading, writing and XSD validation speed on sample documents of 60 and 1000 courses.

Run: .venv/bin/python -m bench.elmo_bench [SCHEMA_DIR]. The XSD step runs when the schema folder exists
(argument, $EMREX_ELMO_SCHEMA_DIR or ../shared/reference/elmo). Prints median CPU times against the
budgets and exits 1 when one is missed.

How a case is judged: by the median of one window of consecutive runs. On a shared VM the host slows
the CPU down in phases of a tenth of a second to several seconds, a third of the time or more (seen
here: a plain Python loop timed over a minute took 7.9 ms or 13.5-14.5 ms, nothing between), long
enough to cover a whole window. So every case is measured once, then the cases over budget are
measured again, up to five rounds five seconds apart; the best window counts, and the table says in
which round a case met its budget. A case misses its budget only when all five windows miss it. The
table also gives the fastest single run, and how busy the host was during the window that counts: a
fixed Python loop is timed after every run, and the column "host" is its median time in that window
over its fastest time in the whole benchmark (1.0x: the core was ours; 1.7x: shared, as in the slow
phases above).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo

# (courses, parse budget ms, write budget ms, runs)
CASES = ((60, 3.0, 3.0, 41), (1000, 50.0, 50.0, 15))
XSD_BUDGET_MS = {60: 5.0, 1000: 50.0}
ROUNDS = 5
PAUSE_SECONDS = 5.0  # between rounds, to let a burst of host contention pass


class HostProbe:
    """Times a fixed pure-Python loop (about a millisecond): its slowdown against the fastest time seen
    says how much of the core the host is taking away."""

    def __init__(self) -> None:
        self.fastest = float("inf")

    def sample(self) -> float:
        start = time.process_time()
        total = 0
        for number in range(20_000):
            total += number
        took = time.process_time() - start
        self.fastest = min(self.fastest, took)
        return took


PROBE = HostProbe()


@dataclass
class Case:
    name: str
    size: int
    action: Callable[[], object]
    runs: int
    budget_ms: float
    medians: list[float] = field(default_factory=list)  # one per window
    probes: list[float] = field(default_factory=list)  # the host probe's median time, one per window
    fastest_ms: float = float("inf")

    @property
    def median_ms(self) -> float:
        return min(self.medians)

    @property
    def host_factor(self) -> float:
        """The host probe's slowdown during the window that counts (the one with the best median)."""
        return self.probes[self.medians.index(self.median_ms)] / PROBE.fastest

    @property
    def ok(self) -> bool:
        return bool(self.medians) and self.median_ms <= self.budget_ms

    def measure(self) -> None:
        """One window: the median and the fastest CPU time of ``runs`` calls (after a warm-up call).

        A call's result is released after its time is taken: freeing the model the caller got is the
        caller's work, later (freeing the parser's own tree is inside the call and counts)."""
        self.action()  # warm up caches (and the compiled schema)
        times, probes = [], []
        for _ in range(self.runs):
            start = time.process_time()
            result = self.action()
            times.append(time.process_time() - start)
            del result
            probes.append(PROBE.sample())
        self.medians.append(statistics.median(times) * 1000)
        self.probes.append(statistics.median(probes))
        self.fastest_ms = min(self.fastest_ms, min(times) * 1000)


def schema_dir() -> Path | None:
    if len(sys.argv) > 1:
        candidate = Path(sys.argv[1])
    elif os.environ.get("EMREX_ELMO_SCHEMA_DIR"):
        candidate = Path(os.environ["EMREX_ELMO_SCHEMA_DIR"])
    else:
        candidate = Path(__file__).resolve().parents[2] / "shared" / "reference" / "elmo"
    return candidate if candidate.is_dir() else None


def cases(xsd_dir: Path | None) -> list[Case]:
    validate_xsd: Callable[..., object] | None = None
    if xsd_dir is not None:
        try:
            from emrex.elmo.schema import validate_xsd
        except ImportError:
            validate_xsd = None
    found: list[Case] = []
    for courses, parse_budget, write_budget, runs in CASES:
        elmo = sample_elmo(courses)
        data = write_elmo(elmo)
        assert read_elmo(data).elmo == elmo
        size = len(data)
        found.append(Case(f"parse {courses} courses", size, partial(read_elmo, data), runs, parse_budget))
        found.append(Case(f"write {courses} courses", size, partial(write_elmo, elmo), runs, write_budget))
        if validate_xsd is not None:
            action = partial(validate_xsd, data, xsd_dir, version="1.7.0")
            found.append(Case(f"XSD-validate {courses} courses", size, action, runs, XSD_BUDGET_MS[courses]))
    return found


def main() -> int:
    xsd_dir = schema_dir()
    table = cases(xsd_dir)
    gc.collect()
    for round_ in range(ROUNDS):
        pending = [case for case in table if not case.ok]
        if not pending:
            break
        if round_:
            time.sleep(PAUSE_SECONDS)
        for case in pending:
            case.measure()
    print(f"{'case':<28}{'bytes':>11}{'median ms':>11}{'fastest':>9}{'budget ms':>11}{'host':>7}  result")
    missed = 0
    for case in table:
        missed += not case.ok
        result = "ok" if case.ok else "OVER BUDGET"
        if len(case.medians) > 1:
            result += f" (round {len(case.medians)})" if case.ok else f" (all {ROUNDS} rounds)"
        times = f"{case.median_ms:>11.2f}{case.fastest_ms:>9.2f}{case.budget_ms:>11.1f}"
        print(f"{case.name:<28}{case.size:>11,}{times}{case.host_factor:>6.2f}x  {result}")
    print("host: a fixed Python loop's slowdown during the window that counts (1.0x: the core was ours)")
    if xsd_dir is None:
        print("XSD validation skipped: no schema folder (pass one, or set EMREX_ELMO_SCHEMA_DIR)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
