"""Hostile clients of the HTTP server itself, over real sockets against a real uvicorn running the EMP:
slow headers, slow bodies, idle connections, uploads cut off. Each is closed within its limit, with one
log line and no traceback."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from emrex.web.server import ServerTimeouts
from tests.emp.conftest import (
    database,
    emp,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    seeded_template,
    signer,
)
from tests.emp.helpers import SESSION_ID
from tests.hostile.cases import exercised
from tests.hostile.checks import TRACE_WORDS, nothing_stored, watch_logs
from tests.web.live import live_server

__all__ = [
    "database",
    "emp",
    "emp_ca",
    "emp_key",
    "key_files",
    "make_emp",
    "password_hash",
    "seeded_template",
    "signer",
    "watch_logs",
]
TIMEOUTS = ServerTimeouts(header_seconds=1.0, read_seconds=1.0, body_seconds=2.5)
# Set to "h11" to run these cases against uvicorn's own protocol (without our timeouts).
PROTOCOL = os.environ.get("EMREX_TEST_SERVER_PROTOCOL")
exercised(
    "server-idle-connection",
    "server-slow-headers",
    "server-stalled-body",
    "server-trickled-body",
    "server-upload-cut-off",
    "server-huge-headers",
)


@pytest.fixture
def server(emp: TestClient) -> Iterator[tuple[str, int]]:
    options = {"http": PROTOCOL} if PROTOCOL else {}
    with live_server(emp.app, timeouts=TIMEOUTS, **options) as address:
        yield address


def _closed_within(sock: socket.socket, seconds: float, *, trickle: bytes = b"", every: float = 0.3) -> float:
    """Seconds until the server closed ``sock`` (reading EOF or a reset), sending ``trickle`` one byte
    at a time meanwhile; fails when it is still open after ``seconds``."""
    started = time.monotonic()
    sock.settimeout(every)
    pending = list(trickle)
    while time.monotonic() - started < seconds:
        try:
            if not sock.recv(65536):
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        if pending:
            try:
                sock.sendall(bytes([pending.pop(0)]))
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started
    raise AssertionError(f"the connection was still open after {seconds} s")


def _one_line_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = []
    for record in caplog.records:
        if record.name.split(".")[0] in ("httpx", "httpcore", "asyncio"):
            continue
        text = record.getMessage()
        assert not record.exc_info, f"{record.name} logged a traceback: {text[:300]}"
        assert record.levelno < logging.ERROR, f"{record.name} logged an error: {text[:300]}"
        assert "\n" not in text.strip() and not any(word in text for word in TRACE_WORDS), text[:300]
        lines.append(text)
    return lines


def test_an_idle_connection_is_closed(server: tuple[str, int], watch_logs: pytest.LogCaptureFixture) -> None:
    with socket.create_connection(server) as sock:
        assert _closed_within(sock, 6) < 3
    assert any("request headers were not complete" in line for line in _one_line_logs(watch_logs))


def test_headers_sent_a_byte_at_a_time_are_cut_off(
    server: tuple[str, int], watch_logs: pytest.LogCaptureFixture
) -> None:
    request = b"GET / HTTP/1.1\r\nHost: emp\r\n" + b"X-Slow: " + b"a" * 200
    with socket.create_connection(server) as sock:
        assert _closed_within(sock, 6, trickle=request, every=0.2) < 3
    assert any("request headers were not complete" in line for line in _one_line_logs(watch_logs))


def _start_post(sock: socket.socket, length: int, first: bytes) -> None:
    head = (
        f"POST /emrex HTTP/1.1\r\nHost: emp\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    sock.sendall(head.encode() + first)


def test_a_body_that_stops_coming_is_cut_off(
    server: tuple[str, int], watch_logs: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(server) as sock:
        _start_post(sock, 100_000, f"sessionId={SESSION_ID}&returnUrl=".encode())
        assert _closed_within(sock, 6) < 3
    lines = _one_line_logs(watch_logs)
    assert any("no part of the request body came within" in line for line in lines), lines


def test_a_body_trickled_to_stay_under_the_read_timeout_is_cut_off(
    server: tuple[str, int], watch_logs: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(server) as sock:
        _start_post(sock, 100_000, b"sessionId=")
        assert _closed_within(sock, 8, trickle=b"x" * 100, every=0.4) < 4.5
    lines = _one_line_logs(watch_logs)
    assert any("the request body took longer than" in line for line in lines), lines


def test_an_upload_cut_off_by_the_client_logs_one_line(
    emp: TestClient, server: tuple[str, int], watch_logs: pytest.LogCaptureFixture
) -> None:
    with nothing_stored(emp.app.state.emrex_emp.database):  # type: ignore[attr-defined]
        with socket.create_connection(server) as sock:
            _start_post(sock, 1_000_000, b"sessionId=" + SESSION_ID.encode() + b"&elmo=" + b"H" * 300_000)
            time.sleep(0.3)
        time.sleep(0.5)  # the server notices, and logs
    lines = _one_line_logs(watch_logs)
    assert any("went away" in line for line in lines), lines


def _answer(sock: socket.socket, request: bytes, *, piece: int = 0) -> bytes:
    """Send ``request`` (in pieces of ``piece`` bytes, if given) and read until the server closes."""
    sock.settimeout(5)
    try:
        if piece:
            for start in range(0, len(request), piece):
                sock.sendall(request[start : start + piece])
        else:
            sock.sendall(request)
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed while we were still sending: what was answered is read below
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def test_many_headers_past_the_limit_get_a_400(
    server: tuple[str, int], watch_logs: pytest.LogCaptureFixture
) -> None:
    headers = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(40))
    with socket.create_connection(server) as sock:
        answer = _answer(sock, b"GET /health HTTP/1.1\r\nHost: emp\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    _one_line_logs(watch_logs)


def test_one_endless_header_sent_in_pieces_is_cut_off(
    server: tuple[str, int], watch_logs: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(server) as sock:
        answer = _answer(sock, b"GET /health HTTP/1.1\r\nHost: emp\r\nX-Big: " + b"a" * 2_000_000, piece=4096)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    _one_line_logs(watch_logs)


def test_headers_under_the_limit_are_served(server: tuple[str, int]) -> None:
    cookie = b"Cookie: other=" + b"c" * 8000 + b"\r\n"
    with socket.create_connection(server) as sock:
        head = b"GET /health HTTP/1.1\r\nHost: emp\r\nConnection: close\r\n" + cookie
        answer = _answer(sock, head + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
