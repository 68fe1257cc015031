"""A real OpenID provider (oidc-provider-mock, a Flask app) on a 127.0.0.1 port.

The ``database`` fixture (migrated SQLite) comes from tests/web/conftest.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)

ANNA = {
    "given_name": "Anna Maria",
    "family_name": "Berg",
    "birthdate": "2000-01-31",
    "email": "anna@uni.example",
    "national_id": "200001319999",
    "groups": ["students"],
}
STAFF = {
    "given_name": "Sven",
    "family_name": "Lund",
    "email": "sven@uni.example",
    "groups": ["emrex-staff", "employees"],
}


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[str]:
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    import werkzeug.serving

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = oidc_provider_mock.app(
        require_nonce=True,
        user_claims=[
            oidc_provider_mock.User(sub="anna", claims=ANNA),
            oidc_provider_mock.User(sub="sven", claims=STAFF),
            oidc_provider_mock.User(sub="nameless", claims={"email": "x@uni.example"}),
        ],
    )
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
