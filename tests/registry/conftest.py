from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.registry.helpers import Switchable, serve


@pytest.fixture
def http_source() -> Iterator[tuple[Switchable, str]]:
    """A local HTTP server whose answer a test can switch (good list, garbage, errors, slowness)."""
    state = Switchable()
    server, base = serve(state)
    yield state, base
    server.shutdown()
    server.server_close()
