"""Fixtures of the SAML tests: keys, a federation with a real pysaml2 identity provider, sites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emrex.db import Database
from tests.web.login.saml.support import Federation, Keys, Site, SiteFactory, new_federation, new_keys


@pytest.fixture(scope="session")
def saml_keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return new_keys(tmp_path_factory.mktemp("saml-keys"))


@pytest.fixture
def federation(saml_keys: Keys, tmp_path: Path) -> Federation:
    return new_federation(saml_keys, tmp_path)


@pytest.fixture
def make_site(database: Database, federation: Federation) -> Iterator[SiteFactory]:
    factory = SiteFactory(database, federation)
    yield factory
    factory.close()


@pytest.fixture
def site(make_site: SiteFactory) -> Site:
    return make_site()
