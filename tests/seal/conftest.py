"""Keys, certificates and credentials for the seal tests (made once per session)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from emrex.seal import Sealer
from emrex.seal.sample import sample_credential
from emrex.trust.ca import Issued, certify, issue, make_ca, new_ec_key

ORG_ID = "NTRSE-2021001234"


@pytest.fixture(scope="session")
def ca() -> Issued:
    return make_ca("Seal Test CA")


@pytest.fixture(scope="session")
def rsa_seal(ca: Issued) -> Issued:
    return issue(
        ca, "Nordvik University seal", organization="Nordvik University", organization_identifier=ORG_ID
    )


@pytest.fixture(scope="session")
def ec_seal(ca: Issued) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = new_ec_key()
    return key, certify(ca, key.public_key(), "Nordvik University EC seal", organization_identifier=ORG_ID)


@pytest.fixture(scope="session")
def sealer(rsa_seal: Issued) -> Sealer:
    return Sealer(rsa_seal.key, rsa_seal.certificate)


@pytest.fixture(scope="session")
def credential() -> dict[str, Any]:
    return sample_credential(6, issuer_identifier=ORG_ID)


@pytest.fixture(scope="session")
def sealed(sealer: Sealer, credential: dict[str, Any]) -> bytes:
    return sealer.seal(credential)


@pytest.fixture(scope="session")
def edc_examples(shared_dir: Path) -> Path:
    return shared_dir / "samples-elm" / "edc-examples"


def xvals(sealed: dict[str, Any]) -> list[x509.Certificate]:
    """The certificates a sample carries in its unsigned xVals (the CA certificates of its chain)."""
    from emrex.seal.properties import read_unsigned

    return list(read_unsigned(sealed["signatures"][0]["header"]).certificates)


def parts(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JWS JSON and its decoded protected header."""
    from emrex.seal.jades import b64url_decode

    document = json.loads(data)
    return document, json.loads(b64url_decode(document["signatures"][0]["protected"]))
