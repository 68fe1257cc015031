"""What the wallet tests share: a test PKI, ELM samples, a live server on localhost, and the npm oracles."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emrex.wallet.jose import Json

ROOT = Path(__file__).resolve().parents[2]
ORACLES = ROOT / ".cache" / "wallet-oracles"
SCRIPTS = Path(__file__).resolve().parent / "oracles"
NPM_PACKAGES = (
    "@sd-jwt/sd-jwt-vc@0.19.0",
    "@sd-jwt/crypto-nodejs@0.19.0",
    "@openid4vc/openid4vci@0.4.6",
    "@openid4vc/openid4vp@0.4.6",
    "@openid4vc/oauth2@0.4.6",
    "jose@6",
)
INSTALL_HINT = f"npm install --prefix .cache/wallet-oracles {' '.join(NPM_PACKAGES)}   (or ./run test-tools)"


def oracle(script: str, request: Json, *, timeout: float = 60) -> Json:
    """Run an oracle script (tests/wallet/oracles/SCRIPT.mjs) with ``request`` on stdin; skip the test
    when node or the npm packages are missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            f"node is missing; the npm oracles need it (sudo apt-get install nodejs npm), then {INSTALL_HINT}"
        )
    if not (ORACLES / "node_modules" / "@sd-jwt" / "sd-jwt-vc").is_dir():
        pytest.skip(f"the npm oracles are missing from .cache/wallet-oracles; get them with: {INSTALL_HINT}")
    done = subprocess.run(
        [node, str(SCRIPTS / f"{script}.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "WALLET_ORACLES": str(ORACLES)},
        check=False,
    )
    assert done.stdout, f"{script}.mjs printed nothing: {done.stderr[-2000:]}"
    result: Json = json.loads(done.stdout)
    return result


@contextlib.contextmanager
def listening() -> Iterator[tuple[list[socket.socket], int]]:
    """Sockets on a free port of localhost (IPv4, and IPv6 where the machine has it)."""
    first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    first.bind(("127.0.0.1", 0))
    port = first.getsockname()[1]
    sockets = [first]
    with contextlib.suppress(OSError):
        second = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        second.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            second.bind(("::1", port))
            sockets.append(second)
        except OSError:
            second.close()
    try:
        yield sockets, port
    finally:
        for sock in sockets:
            sock.close()


@contextlib.contextmanager
def serving(app: Any, sockets: list[socket.socket]) -> Iterator[None]:
    """``app`` under uvicorn in a thread, on ``sockets``, until the block ends."""
    import uvicorn

    for sock in sockets:
        sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)
