"""``bench.load --against REF``: the cost of a complete transfer, this checkout against the code of a
git revision, in the same run. Each round runs one load run of each side (``--quick`` unless told
otherwise, no faults), as child processes whose services import that side's ``emrex``; the sides
alternate, so that what else the machine does falls on both. The medians are compared."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.revision import ROOT, checkout, environment

FIGURES = (
    ("EMP CPU ms", ("cpu_ms", "emp")),
    ("EMC CPU ms", ("cpu_ms", "emc")),
    ("PostgreSQL CPU ms", ("cpu_ms", "db")),
    ("services' CPU ms", ("cpu_ms", "services")),
    ("database transactions", ("db_transactions",)),
)
RUN_TIMEOUT = 1800


def compare(revision: str, rounds: int, load_args: list[str]) -> int:
    """Prints the table; 1 when a run failed, else 0."""
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    with checkout(revision) as code, tempfile.TemporaryDirectory(prefix="emrex-load-ab-") as scratch:
        for index in range(rounds):
            sides = [(ours, None, "this checkout"), (theirs, code, revision)]
            for runs, root, label in sides if index % 2 == 0 else sides[::-1]:
                figures = _one_run(root, load_args, Path(scratch) / f"{len(ours) + len(theirs)}.json")
                if figures is None:
                    print(f"load --against: a run of {label} failed", file=sys.stderr)
                    return 1
                runs.append(figures)
                spent = _get(figures, ("cpu_ms", "services"))
                print(f"   round {index + 1}, {label}: services' CPU {spent:.1f} ms a transfer", flush=True)
    _table(revision, ours, theirs)
    return 0


def _one_run(code_root: Path | None, load_args: list[str], output: Path) -> dict[str, Any] | None:
    command = [sys.executable, "-m", "bench.load", *load_args, "--json", str(output)]
    done = subprocess.run(
        command, cwd=ROOT, env=environment(code_root), capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    # A run that missed a latency budget (exit 1) still measured its cost; a failed audit, or a run
    # that wrote nothing, did not.
    figures = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
    per_transfer, problems = figures.get("per_transfer"), figures.get("audit", {}).get("problems", ["none"])
    if done.returncode not in (0, 1) or problems or not isinstance(per_transfer, dict):
        print(done.stdout[-1500:], done.stderr[-800:], sep="\n", file=sys.stderr)
        return None
    if done.returncode == 1:
        print("   (that run missed a latency budget; its cost is counted)", flush=True)
    return per_transfer


def _get(figures: dict[str, Any], path: tuple[str, ...]) -> float:
    value: Any = figures
    for key in path:
        value = value[key]
    return float(value)


def _table(revision: str, ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    print(f"\n== per complete transfer, medians of {len(ours)} runs a side (range in brackets)")
    print(f"   {'':<24} {revision[:12]:>22} {'this checkout':>22} {'ratio':>7}")
    for name, path in FIGURES:
        old = [_get(f, path) for f in theirs]
        new = [_get(f, path) for f in ours]
        ratio = statistics.median(new) / statistics.median(old) if statistics.median(old) else float("nan")
        print(f"   {name:<24} {_cell(old):>22} {_cell(new):>22} {ratio:>7.2f}")


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"
