"""Results sources: the built-in SQL SIS with 1,000 courses, and the VIRTA mapping.

Run: .venv/bin/python bench/sources_bench.py. Exits 1 when a figure is over its budget. The EMP's
whole response for 1,000 courses (fetch, PDF, signing) has 800 ms; the fetch may take a small part.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emrex.db import Database, upgrade
from emrex.emp.sources import PersonQuery
from emrex.emp.sources.virta import load_issuers, virta_to_elmo
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.sis.source import SqlSource

COURSES = 1000
BUDGET_FETCH_MS = 100.0
BUDGET_IMPORT_MS = 6000.0
BUDGET_VIRTA_MS = 20.0
VIRTA = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "interop" / "virta"


def _document() -> dict[str, Any]:
    courses = [
        {
            "id": f"C{i:05d}",
            "type": "Course",
            "titles": {"en": f"Course {i}", "sv": f"Kurs {i}"},
            "status": "passed",
            "grade": "G",
            "gradingScheme": "SE",
            "date": "2024-01-12",
            "term": {"titles": {"en": "Autumn 2023"}, "start": "2023-08-28", "end": "2024-01-14"},
            "credits": {"value": 7.5},
            "eqfLevel": 6,
            "language": "sv",
        }
        for i in range(COURSES)
    ]
    modules = [
        {
            "id": f"M{m}",
            "type": "Module",
            "titles": {"en": f"Module {m}"},
            "parts": courses[m * 50 : m * 50 + 50],
        }
        for m in range(COURSES // 50)
    ]
    return {
        "format": "emrex-sis/1",
        "institutions": [
            {
                "schac": "bench.example",
                "url": "https://bench.example",
                "names": {"en": "Bench University"},
                "gradingSchemes": [{"id": "SE", "descriptions": {"en": "U, G, VG"}}],
            }
        ],
        "persons": [
            {
                "identifiers": {"nationalIdentifier": "B-1"},
                "givenNames": "Bench",
                "familyName": "Student",
                "results": [
                    {
                        "institution": "bench.example",
                        "id": "P",
                        "type": "Degree Programme",
                        "titles": {"en": "Programme"},
                        "parts": modules,
                    }
                ],
            }
        ],
    }


def _best_ms(action: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> int:
    figures = []
    data = json.dumps(_document()).encode()
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{scratch}/bench.db")
        upgrade(db)
        figures.append(
            (
                f"import {COURSES} courses into SQLite (first time)",
                _best_ms(lambda: import_sis(db, parse_sis_json(data)), runs=1),
                BUDGET_IMPORT_MS,
            )
        )
        figures.append(
            (
                f"re-import the same {COURSES} courses",
                _best_ms(lambda: import_sis(db, parse_sis_json(data)), runs=1),
                BUDGET_IMPORT_MS,
            )
        )
        source = SqlSource(db)
        query = PersonQuery({"nationalIdentifier": "B-1"})
        assert sum(1 for _ in source.fetch(query).reports[0].iter_los()) == COURSES + COURSES // 50 + 1
        figures.append(
            (
                f"SQL SIS fetch, {COURSES} courses (SQLite)",
                _best_ms(lambda: source.fetch(query)),
                BUDGET_FETCH_MS,
            )
        )
        db.dispose()
    if VIRTA.is_dir():
        answer = (VIRTA / "fi-ncp__OpiskelijanKaikkiTiedotResponse.xml").read_bytes()
        issuers = load_issuers(VIRTA / "fi-ncp__issuers.txt")
        figures.append(
            (
                "VIRTA answer to ELMO (42 records)",
                _best_ms(lambda: virta_to_elmo(answer, issuers)),
                BUDGET_VIRTA_MS,
            )
        )
    status = 0
    for label, value, budget in figures:
        verdict = "ok" if value <= budget else "OVER BUDGET"
        status |= value > budget
        print(f"{label:<48} {value:9.1f} ms  (budget {budget:.0f} ms)  {verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
