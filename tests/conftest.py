"""Fixtures shared by every test: where the reference data lives, and databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ("tests.elm.fixtures",)

ROOT = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    configured = os.environ.get("EMREX_SHARED_DIR")
    return Path(configured) if configured else ROOT.parent / "shared"


SHARED = _shared_dir()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (or $EMREX_SHARED_DIR); tests needing it skip without it."""
    if not (SHARED / "reference").is_dir():
        pytest.skip(
            f"reference data not found at {SHARED} (clone the shared/ folder beside the project "
            "or set EMREX_SHARED_DIR); tests that read the official schemas and interop corpus skip"
        )
    return SHARED


@pytest.fixture(scope="session")
def interop_dir(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "interop"


@pytest.fixture(scope="session")
def schema_dir(shared_dir: Path) -> Path:
    """The official ELMO schemas laid out as emrex expects: vX.Y.Z/ folders and imports/."""
    return shared_dir / "reference" / "elmo"
