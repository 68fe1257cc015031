"""The catalogue itself: every case is exercised by a test, and docs/SECURITY.md shows the current table."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

from tests.hostile.cases import CASES, ENTRY_POINTS, exercised_ids
from tests.hostile.doc import SECURITY_MD, with_table

# Every test module of this folder (a new one cannot be forgotten here).
MODULES = tuple(
    sorted(path.stem for path in Path(__file__).parent.glob("test_*.py") if path.stem != "test_catalogue")
)


def test_every_case_is_exercised_and_every_exercised_id_is_catalogued() -> None:
    for name in MODULES:
        importlib.import_module(f"tests.hostile.{name}")
    catalogued = [case.id for case in CASES]
    assert [i for i, n in Counter(catalogued).items() if n > 1] == []
    assert set(catalogued) - exercised_ids() == set(), "cases without a test"
    assert exercised_ids() - set(catalogued) == set(), "tests of cases missing from the catalogue"


def test_the_catalogue_covers_every_entry_point() -> None:
    assert len(CASES) >= 60
    per_entry = Counter(case.entry for case in CASES)
    assert set(per_entry) == set(ENTRY_POINTS)
    assert all(case.attack.strip() and case.expected.strip() for case in CASES)


def test_security_md_shows_the_current_table() -> None:
    page = SECURITY_MD.read_text(encoding="utf-8")
    assert with_table(page) == page, "docs/SECURITY.md is out of date: run python -m tests.hostile.doc"
