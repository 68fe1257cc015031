"""EMP speed: building the complete reply for a student with 60 and 1000 courses.

"Complete" is what the send button costs: load the student's results from the SQL SIS, build the
ELMO of the selection (everything), render the PDF transcript, sign, gzip and base64. Run:
``.venv/bin/python -m bench.emp_bench``. Prints a table; exits 1 when a figure is over its budget.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from emrex.db import Database, upgrade
from emrex.emp.document import build, selected_elmo
from emrex.emp.selection import catalogue
from emrex.emp.sources.base import PersonQuery
from emrex.emp.sources.sis_format import parse_sis_json
from emrex.emp.sources.sis_import import import_sis
from emrex.emp.sources.sql import SqlSource
from emrex.transcript import render_transcript
from emrex.trust.ca import issue, make_ca
from emrex.trust.signer import Signer

BUDGETS_MS = {60: 50.0, 1000: 800.0}
BUDGET_PDF_60_MS = 40.0
RUNS = 5


def _document(courses: int) -> dict[str, Any]:
    modules = []
    per_module = 20
    for m in range(0, courses, per_module):
        parts = [
            {
                "id": f"C{n:05d}",
                "type": "Course",
                "titles": {"en": f"Course number {n} in engineering physics", "sv": f"Kurs nummer {n}"},
                "status": "passed",
                "grade": "VG" if n % 3 else "G",
                "gradingScheme": "SE-UG",
                "date": "2024-01-12",
                "term": {"titles": {"en": "Autumn 2023"}, "start": "2023-08-28", "end": "2024-01-14"},
                "credits": {"scheme": "ECTS", "value": 7.5},
                "language": "sv",
                "iscedCode": "0533",
            }
            for n in range(m, min(courses, m + per_module))
        ]
        modules.append(
            {
                "id": f"M{m:05d}",
                "type": "Module",
                "titles": {"en": f"Module {m // per_module + 1}"},
                "parts": parts,
            }
        )
    programme = {
        "institution": "nordvik.example",
        "id": "P1",
        "type": "Degree Programme",
        "titles": {"en": "Master of Science in Engineering Physics"},
        "status": "in-progress",
        "parts": modules,
    }
    return {
        "format": "emrex-sis/1",
        "institutions": [
            {
                "schac": "nordvik.example",
                "country": "SE",
                "url": "https://www.nordvik.example",
                "names": {"en": "Nordvik University", "sv": "Nordviks universitet"},
                "gradingSchemes": [{"id": "SE-UG", "descriptions": {"en": "U, G, VG"}}],
            }
        ],
        "persons": [
            {
                "identifiers": {"nationalIdentifier": f"bench-{courses}"},
                "givenNames": "Åsa",
                "familyName": "Lindqvist",
                "birthDate": "1999-03-14",
                "results": [programme],
            }
        ],
    }


def _best_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    action()  # warm caches (fonts, compiled templates) as a running service has them
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> int:
    issued = issue(make_ca("Bench CA"), "Bench EMP")
    signer = Signer(issued.key, issued.certificate)
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as scratch:
        database = Database(f"sqlite:///{Path(scratch)}/bench.db")
        upgrade(database)
        source = SqlSource(database)
        for courses, budget in BUDGETS_MS.items():
            import_sis(database, parse_sis_json(json.dumps(_document(courses)).encode()))
            person = PersonQuery(identifiers={"nationalIdentifier": f"bench-{courses}"})

            def reply(person: PersonQuery = person) -> str:
                found = catalogue(source.fetch(person), allow_not_passed=False)
                return build(found, found.selectable_keys, signer).transport

            size = len(reply())
            rows.append(
                (f"complete reply, {courses} courses ({size // 1024} KiB sent)", _best_ms(reply), budget)
            )
            if courses == 60:
                found = catalogue(source.fetch(person), allow_not_passed=False)
                elmo = selected_elmo(found, found.selectable_keys, now=dt.datetime.now(dt.UTC))
                rows.append(
                    (
                        "PDF transcript alone, 60 courses",
                        _best_ms(partial(render_transcript, elmo)),
                        BUDGET_PDF_60_MS,
                    )
                )
        database.dispose()
    failed = False
    print(f"{'figure':<48} {'best ms':>9} {'budget':>8}")
    for name, value, budget in rows:
        over = value > budget
        failed |= over
        print(f"{name:<48} {value:>9.1f} {budget:>8.0f}{'  OVER BUDGET' if over else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
