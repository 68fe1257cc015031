"""How long ``emrex demo`` takes until every service answers /health (the issue promises 5 s).

Run: .venv/bin/python bench/demo_bench.py. Starts the demo three times in a temporary folder: once
fresh (keys, databases and seed data are made) and twice reusing the folder; prints the figures and
exits 1 when one is over its budget.
"""

from __future__ import annotations

import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.demo.helpers import free_port_base, start_demo

BUDGET_FRESH_S = 5.0
BUDGET_REUSED_S = 5.0


def main() -> int:
    figures: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo"
        for run in range(3):
            demo = start_demo(data, free_port_base())
            code, _, err = demo.stop(signal.SIGINT)
            if not demo.facts or code != 0:
                print(f"the demo did not start or stop cleanly (exit {code}): {err.strip()}", file=sys.stderr)
                return 1
            name, budget = ("fresh", BUDGET_FRESH_S) if run == 0 else (f"reused {run}", BUDGET_REUSED_S)
            figures.append((name, demo.ready_after, budget))
    over = False
    for name, seconds, budget in figures:
        flag = "OVER BUDGET" if seconds > budget else "ok"
        over |= seconds > budget
        print(f"demo ready, {name:<9} {seconds:6.2f} s  (budget {budget:.1f} s)  {flag}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
