"""How long hostile documents keep the verifier busy before it refuses them.

Run: .venv/bin/python -m bench.hostile_bench. Exits 1 when a figure is over its budget. Each hostile
document is posted as it is by anyone holding a sessionId (any student who started a transfer); the
refusal must cost no more than verifying a real document of the same size. Before the namespace
check, libxml2's C14N needed minutes for the first document and 14 s for the second.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.errors import EmrexError
from emrex.trust import Signer, verify
from emrex.trust.ca import issue, make_ca

BUDGET_MS = 250.0


def _flood(signed: bytes, declarations: int, elements: int) -> bytes:
    text = signed.decode()
    start = text.index("<elmo ") + len("<elmo ")
    declared = " ".join(f'xmlns:n{i}="urn:x:{i}"' for i in range(declarations))
    text = text[:start] + declared + " " + text[start:]
    filler = "<extension>" + "<a/>" * elements + "</extension>"
    return text.replace("<report", filler + "<report", 1).encode()


def _median_ms(run: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.suppress(EmrexError):  # the hostile ones are refused: that is the point
            run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    ca = make_ca("Bench CA")
    emp = issue(ca, "Bench EMP")
    signed = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(courses=3)))
    real = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(courses=1000)))
    cases = {
        "2000 namespaces, 20 000 elements": _flood(signed, 2000, 20_000),
        "20 000 namespaces on the root": _flood(signed, 20_000, 0),
        "3000 namespaces, 30 000 elements": _flood(signed, 3000, 30_000),
        "a real document (1000 courses)": real,
    }
    failed = False
    print(f"{'document':36} {'size':>9} {'ms':>8}  budget {BUDGET_MS:g} ms")
    for name, document in cases.items():
        took = _median_ms(partial(verify, document, emp.certificate))
        ok = took <= BUDGET_MS
        failed |= not ok
        print(f"{name:36} {len(document) // 1024:>6} KB {took:>8.1f}  {'ok' if ok else 'OVER'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
