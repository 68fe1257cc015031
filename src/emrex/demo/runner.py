"""Several uvicorn servers in one asyncio loop: bound before anything starts, checked ready through
their /health, and stopped together on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from emrex.demo.folder import DemoError
from emrex.demo.services import Service
from emrex.web.server import server_config

LOOPBACK = "127.0.0.1"
READY_SECONDS = 10.0


def bind(listeners: Sequence[tuple[str, str, int]]) -> list[list[socket.socket]]:
    """Listening sockets for every (name, host, port): IPv4 loopback, and ::1 too for ``localhost``
    where the machine has IPv6. DemoError names the first port that is taken; nothing is left open."""
    bound: list[list[socket.socket]] = []
    try:
        for listener in listeners:
            sockets = [_listen(socket.AF_INET, LOOPBACK, listener[2])]
            bound.append(sockets)
            if listener[1] == "localhost":
                with contextlib.suppress(OSError):
                    sockets.append(_listen(socket.AF_INET6, "::1", listener[2]))
    except OSError as error:
        close(bound)
        raise DemoError(
            f"port {listener[2]} ({listener[0]}) cannot be used: {error.strerror}; "
            "is another demo running? Stop it, or choose other ports with --port-base"
        ) from None
    return bound


def close(bound: Sequence[Sequence[socket.socket]]) -> None:
    for sockets in bound:
        for sock in sockets:
            sock.close()


def _listen(family: socket.AddressFamily, address: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def run(
    services: Sequence[Service],
    sockets: Sequence[Sequence[socket.socket]],
    on_ready: Callable[[], None],
    on_stop: Callable[[], None] = lambda: None,
) -> None:
    """Serve until a signal (or a server's failure); ``on_ready`` runs once every /health answers."""
    asyncio.run(_serve(services, sockets, on_ready, on_stop))


def _server_class() -> type[Any]:
    import uvicorn

    class QuietServer(uvicorn.Server):
        # One set of signal handlers for all servers is installed by _serve.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer


async def _serve(
    services: Sequence[Service],
    sockets: Sequence[Sequence[socket.socket]],
    on_ready: Callable[[], None],
    on_stop: Callable[[], None],
) -> None:
    server_class = _server_class()
    servers = [
        server_class(
            server_config(
                service.app,
                log_level="warning",
                lifespan="off",  # no demo service needs start-up or shutdown hooks
                timeout_graceful_shutdown=3,
            )
        )
        for service in services
    ]
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def stop() -> None:
        for server in servers:
            if server.should_exit:
                server.force_exit = True  # a second Ctrl-C: do not wait for open connections
            server.should_exit = True
        stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    tasks = [
        asyncio.create_task(server.serve(sockets=list(socks)), name=service.name)
        for server, service, socks in zip(servers, services, sockets, strict=True)
    ]
    try:
        problem = await _until_ready(services, servers, tasks, stopping)
        if problem is not None:
            stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise DemoError(problem)
        if not stopping.is_set():
            on_ready()
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        failed = [t for t in done if not stopping.is_set() and (t.cancelled() or t.exception() is not None)]
        stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        if failed:
            error = None if failed[0].cancelled() else failed[0].exception()
            raise DemoError(f"{failed[0].get_name()} stopped unexpectedly: {error!r}; the demo stopped")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        close(sockets)
        on_stop()


async def _until_ready(
    services: Sequence[Service],
    servers: Sequence[Any],
    tasks: Sequence[asyncio.Task[None]],
    stopping: asyncio.Event,
) -> str | None:
    """None when every service answers /health with 200; otherwise what went wrong."""
    import httpx

    deadline = time.monotonic() + READY_SECONDS
    pending = list(range(len(services)))
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        while pending and not stopping.is_set():
            for index in list(pending):
                if tasks[index].done():
                    error = None if tasks[index].cancelled() else tasks[index].exception()
                    return f"{services[index].name} did not start: {error!r}"
                if not servers[index].started:
                    continue
                url = f"http://{LOOPBACK}:{services[index].port}/health"
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        pending.remove(index)
            if time.monotonic() > deadline:
                names = ", ".join(services[i].name for i in pending)
                return f"not ready after {READY_SECONDS:.0f} s: {names} (their /health did not answer 200)"
            if pending:
                await asyncio.sleep(0.05)
    return None
