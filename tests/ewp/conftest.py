"""Fixtures for the EWP tests: a fresh Fjordby server per test, and XSD validation that skips,
saying why, when an official schema is not available locally."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from emrex.ewp import SchemaUnavailable
from emrex.ewp.schema import validate
from tests.ewp.network import XSD_ROOTS, Fjordby, extra_xsd_root

Validator = Callable[..., list[str]]


@pytest.fixture
def fjordby() -> Fjordby:
    return Fjordby()


@pytest.fixture(scope="session")
def xsd_roots(shared_dir: Path) -> tuple[Path, ...]:
    extra = extra_xsd_root()
    return (*XSD_ROOTS, extra) if extra is not None else XSD_ROOTS


@pytest.fixture(scope="session")
def xsd(xsd_roots: tuple[Path, ...]) -> Validator:
    """``xsd(document, *schema_paths)``: the violations; skips when a schema is not available."""

    def check(document: bytes, *paths: str) -> list[str]:
        try:
            return validate(document, paths, xsd_roots)
        except SchemaUnavailable as exc:
            pytest.skip(
                f"{exc}. The shared folder holds the ToRs, catalogue and common-types XSDs; for the "
                "others (echo, discovery manifest, sec-intro) set EMREX_EWP_SCHEMA_DIR to a folder "
                "laid out as <repository>/<path>"
            )

    return check
