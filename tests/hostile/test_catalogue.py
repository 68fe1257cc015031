"""The catalogue itself: every case is exercised by a test, and docs/SECURITY.md shows the current table."""

from __future__ import annotations

import importlib
from collections import Counter

from tests.hostile.cases import CASES, ENTRY_POINTS, exercised_ids
from tests.hostile.doc import SECURITY_MD, with_table

MODULES = (
    "test_emp_entry",
    "test_emp_pages",
    "test_emc_return",
    "test_emc_pages",
    "test_emc_staff",
    "test_emc_statistics",
    "test_emp_statistics",
    "test_emc_api",
    "test_library",
    "test_cli",
    "test_registry",
    "test_sis_json",
    "test_seals",
    "test_oots",
    "test_oots_pages",
    "test_ewp_api",
    "test_wallet",
    "test_elm",
    "test_recognition",
    "test_server",
    "test_saml",
    "test_emc_verify",
    "test_emc_ewp_fetch",
    "test_emc_wallet",
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
