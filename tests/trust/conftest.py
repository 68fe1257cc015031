"""Keys, certificates and documents for the signature tests (made once per session)."""

from __future__ import annotations

import pytest

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.signer import Signer


@pytest.fixture(scope="session")
def ca() -> Issued:
    return make_ca("Test CA")


@pytest.fixture(scope="session")
def emp(ca: Issued) -> Issued:
    return issue(ca, "EMP Nordvik", organization="Nordvik University", country="SE")


@pytest.fixture(scope="session")
def other(ca: Issued) -> Issued:
    """A second EMP of the same network: trusted by nobody who expects ``emp``."""
    return issue(ca, "EMP Elsewhere")


@pytest.fixture(scope="session")
def signer(emp: Issued) -> Signer:
    return Signer(emp.key, emp.certificate)


@pytest.fixture(scope="session")
def elmo() -> bytes:
    return write_elmo(sample_elmo(courses=6))


@pytest.fixture(scope="session")
def signed(signer: Signer, elmo: bytes) -> bytes:
    return signer.sign(elmo)
