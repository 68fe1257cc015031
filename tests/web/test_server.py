"""The services' uvicorn settings: timeouts from the environment for worker processes, our protocol."""

from __future__ import annotations

import json

import pytest

from emrex.web.server import PROTOCOL, TIMEOUTS_ENV, ServerTimeouts, TimedHttpToolsProtocol, server_config


def test_worker_processes_read_the_timeouts_of_their_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUTS_ENV, json.dumps({"header_seconds": 2, "read_seconds": 3, "body_seconds": 4}))
    assert ServerTimeouts.from_environment() == ServerTimeouts(2, 3, 4)


@pytest.mark.parametrize("value", ["", "not json", '{"header_seconds": -1}', '{"idle": 3}'])
def test_unusable_timeouts_in_the_environment_fall_back_to_the_defaults(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    monkeypatch.setenv(TIMEOUTS_ENV, value)
    assert ServerTimeouts.from_environment() == ServerTimeouts()
    assert bool(value) == any("default timeouts apply" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("field", ["header_seconds", "read_seconds", "body_seconds"])
def test_timeouts_must_be_positive_numbers(field: str) -> None:
    for bad in (0, -1, 86401, True, "10"):
        with pytest.raises(ValueError, match=field):
            ServerTimeouts(**{field: bad})  # type: ignore[arg-type]


def test_the_config_uses_our_protocol_without_access_log_or_proxy_headers() -> None:
    config = server_config("module:app", timeouts=ServerTimeouts(1, 2, 3))
    assert config.http is PROTOCOL is TimedHttpToolsProtocol  # httptools is a dependency
    assert config.access_log is False and config.proxy_headers is False and config.server_header is False
    assert config.emrex_timeouts == ServerTimeouts(1, 2, 3)  # type: ignore[attr-defined]
