"""One EMC per test module for the cases that only need a logged-in student (building apps is slow)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.emc import create_emc_app, settings_from_mapping
from tests.emc.conftest import BASE_URL, Keys, config, login


@pytest.fixture(scope="module")
def shared_student(
    tmp_path_factory: pytest.TempPathFactory, keys: Keys, password_hash: str, migrated_template: Path
) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("hostile-emc")
    shutil.copyfile(migrated_template, folder / "emc.db")
    # One student for the whole module: many transfers are left waiting, more than a student may have.
    values = config(folder, keys, password_hash, limits={"max_open_transfers": 500})
    settings = settings_from_mapping(values, {})
    app = create_emc_app(settings, background=False, migrate=False)
    client = TestClient(app, base_url=BASE_URL)
    login(client)
    yield client
    client.close()
    app.state.emc_service.database.dispose()
