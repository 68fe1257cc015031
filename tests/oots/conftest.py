from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emrex.trust import Signer
from emrex.trust.ca import Issued, issue, make_ca
from tests.oots.support import OOTS_DIR, START, Evidence, Loopback, loopback, make_evidence


@pytest.fixture(scope="session")
def oots_dir(shared_dir: Path) -> Path:
    return OOTS_DIR


@pytest.fixture(scope="session")
def oots_key() -> Issued:
    import datetime as dt

    return issue(make_ca("OOTS test CA"), "EMP Nordvik", not_before=START - dt.timedelta(days=1))


@pytest.fixture(scope="session")
def signer(oots_key: Issued) -> Signer:
    return Signer(oots_key.key, oots_key.certificate)


@pytest.fixture(scope="session")
def evidence(signer: Signer) -> Evidence:
    return make_evidence(signer)


@pytest.fixture
def net() -> Iterator[Loopback]:
    yield from loopback()
