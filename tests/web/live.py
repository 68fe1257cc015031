"""A real uvicorn server on a free 127.0.0.1 port, in a thread of the test process, for tests that need
real sockets and real concurrency (parallel requests, slow clients, disconnects)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from emrex.web.server import server_config


@contextmanager
def live_server(app: ASGIApp, **options: Any) -> Iterator[tuple[str, int]]:
    """Serve ``app`` with the services' uvicorn settings (``options`` override them); yields
    (host, port) once the server accepts connections, and stops it afterwards."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(app, **options)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
