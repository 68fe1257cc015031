"""Official-XSD validation speed: compile once, then validate a 1.3 MB document.

Run: .venv/bin/python bench/bench_schema.py [SCHEMA_DIR]  (default: $EMREX_ELMO_SCHEMA_DIR or
../shared/reference/elmo). Exits 1 when a figure is over its budget.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from emrex.elmo.schema import compile_schema, validate_xsd
from emrex.xml import localname

BUDGET_COMPILE_MS = 100.0
BUDGET_VALIDATE_LARGE_MS = 50.0
BUDGET_VALIDATE_SMALL_MS = 5.0
LARGE_BYTES = 1_300_000


def _schema_dir() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    configured = os.environ.get("EMREX_ELMO_SCHEMA_DIR")
    return (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "shared" / "reference" / "elmo"
    )


def _large(example: bytes) -> bytes:
    root = etree.fromstring(example)
    report = next(el for el in root if localname(el) == "report")
    specs = [el for el in report if localname(el) == "learningOpportunitySpecification"]
    anchor = specs[-1]
    data = etree.tostring(root)
    while len(data) < LARGE_BYTES:
        for spec in specs:
            anchor.addnext(copy.deepcopy(spec))
        data = etree.tostring(root)
    return data


def _best_ms(action: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def main() -> int:
    folder = _schema_dir()
    example = (folder / "v1.7.0" / "example.xml").read_bytes()
    large = _large(example)
    assert validate_xsd(large, folder).valid, "the enlarged example should stay valid"
    figures = [
        ("compile v1.7.0", _best_ms(lambda: compile_schema(folder, "1.7.0"), 5), BUDGET_COMPILE_MS),
        (
            f"validate {len(large) // 1000} kB",
            _best_ms(lambda: validate_xsd(large, folder), 5),
            BUDGET_VALIDATE_LARGE_MS,
        ),
        ("validate example", _best_ms(lambda: validate_xsd(example, folder), 20), BUDGET_VALIDATE_SMALL_MS),
    ]
    over = False
    for name, ms, budget in figures:
        status = "ok" if ms <= budget else "OVER BUDGET"
        over = over or ms > budget
        print(f"{name:<22} {ms:8.2f} ms  (budget {budget:.0f} ms) {status}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
