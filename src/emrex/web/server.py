"""How every emrex service runs under uvicorn: our settings, and the read timeouts uvicorn lacks.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits forever for a request's
headers and body. Our protocols add three limits: the headers of a request must be complete within
``header_seconds`` of the connection (or of the previous response), no read of the body may wait longer
than ``read_seconds``, and the whole body must arrive within ``body_seconds``. A connection over a limit
is closed with one log line; the app sees the client as gone (``http.disconnect``).

``PROTOCOL`` is ``TimedHttpToolsProtocol`` (uvicorn's protocol on the llhttp parser, in C, with a 16 KB
bound on a request's line and headers) and ``TimedH11Protocol`` (pure Python) where httptools is not
installed; the event loop is uvloop where installed. A whole transfer costs the services less CPU
with them (docs/RELIABILITY.md, "What a transfer costs the servers").

Services call ``run(...)`` (several workers: an import string and ``factory=True``); tests and the
demo build a ``uvicorn.Server`` from ``server_config(app)``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict, dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - no httptools: h11, in pure Python
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from emrex.web.requestlog import logged_path

logger = logging.getLogger("emrex.web.server")
TIMEOUTS_ENV = "EMREX_SERVER_TIMEOUTS"  # how worker processes learn the timeouts of their parent
KEEP_ALIVE_SECONDS = 5
MAX_HEAD_BYTES = 16 * 1024  # a request's line and headers, as h11 (uvicorn's default) allows


@dataclass(frozen=True)
class ServerTimeouts:
    header_seconds: float = 10.0
    read_seconds: float = 30.0
    body_seconds: float = 300.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 86400:
                raise ValueError(f"{name} must be a number of seconds from 0 to 86400, got {value!r}")

    @classmethod
    def from_environment(cls) -> ServerTimeouts:
        text = os.environ.get(TIMEOUTS_ENV)
        if not text:
            return cls()
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            logger.warning("%s is not usable; the default timeouts apply", TIMEOUTS_ENV)
            return cls()


class HeadTooLarge(Exception):
    """A request's line and headers are longer than ``MAX_HEAD_BYTES``."""


class _TimedConnection:
    """What our protocols add to uvicorn's: the header timer and (through ``_Timed``) the body limits.
    Mixed in before a uvicorn protocol class, whose attributes it uses."""

    config: Any
    cycle: Any
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    app: Any

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        timeouts = getattr(self.config, "emrex_timeouts", None)
        self._timeouts = timeouts if isinstance(timeouts, ServerTimeouts) else _process_timeouts()
        self._header_timer: asyncio.TimerHandle | None = None
        self.app = _Timed(self, self.app)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing() and self.cycle is not None and self.cycle.response_complete:
            self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self._timeouts.header_seconds, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            logger.info(
                "closed a connection whose request headers were not complete within %g s",
                self._timeouts.header_seconds,
            )
            self.transport.close()

    def _close_slow_body(self, scope: Scope, what: str) -> None:
        shown = logged_path(scope) if "path" in scope else "-"  # the route, never an identifier
        logger.info("closed a connection: %s (%s %s)", what, scope.get("method", "-"), shown)
        if self.cycle is not None:
            self.cycle.disconnected = True  # at once: the transport reports the loss only later
        if not self.transport.is_closing():
            self.transport.close()


class TimedH11Protocol(_TimedConnection, H11Protocol):
    """uvicorn's h11 protocol (pure Python) with the header, read and body timeouts of ``ServerTimeouts``;
    h11 refuses request headers over 16 KB itself."""


if HttpToolsProtocol is not None:

    class TimedHttpToolsProtocol(_TimedConnection, HttpToolsProtocol):
        """uvicorn's httptools protocol (the llhttp parser, in C) with the same timeouts, and the bound on
        a request's head (line and headers) that h11 has and llhttp lacks: past ``MAX_HEAD_BYTES`` the
        request gets a 400 and its connection is closed, before the app sees it."""

        _head_bytes = 0  # of the request line and headers the parser has passed on
        _raw_head_bytes = 0  # received while the head was not complete (the parser buffers a header)
        _in_head = True

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._raw_head_bytes += len(data)
            super().data_received(data)
            if self._in_head and self._raw_head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
                self._head_too_large()

        def on_message_begin(self) -> None:
            self._head_bytes = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._raw_head_bytes = 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True  # what comes next on the connection is the next request's head

        def _count(self, size: int) -> None:
            self._head_bytes += size
            if self._head_bytes > MAX_HEAD_BYTES:
                # Raised in a parser callback: the parser stops, uvicorn answers 400 and closes.
                logger.info("refused a request whose line and headers passed %d bytes", MAX_HEAD_BYTES)
                raise HeadTooLarge

        def _head_too_large(self) -> None:
            logger.info("refused a request whose line and headers passed %d bytes", MAX_HEAD_BYTES)
            self.send_400_response("Request headers too large.")

    PROTOCOL: type[asyncio.Protocol] = TimedHttpToolsProtocol
else:  # pragma: no cover - httptools has wheels wherever CPython runs
    PROTOCOL = TimedH11Protocol


class _Timed:
    """The app of one connection: stops the header timer when a request starts, bounds its body reads."""

    def __init__(self, protocol: _TimedConnection, app: Any) -> None:
        self.protocol = protocol
        self.inner = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        protocol = self.protocol
        protocol._disarm_header_timer()
        timeouts = protocol._timeouts
        loop = protocol.loop
        deadline = loop.time() + timeouts.body_seconds
        done = False

        async def timed_receive() -> Message:
            nonlocal done
            if done:
                return await receive()
            wait = min(timeouts.read_seconds, deadline - loop.time())
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    message = await receive()
            except TimeoutError:
                slow = wait < timeouts.read_seconds
                protocol._close_slow_body(
                    scope,
                    f"the request body took longer than {timeouts.body_seconds:g} s"
                    if slow
                    else f"no part of the request body came within {timeouts.read_seconds:g} s",
                )
                done = True
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        await self.inner(scope, timed_receive, send)


_PROCESS_TIMEOUTS: list[ServerTimeouts] = []


def _process_timeouts() -> ServerTimeouts:
    if not _PROCESS_TIMEOUTS:
        _PROCESS_TIMEOUTS.append(ServerTimeouts.from_environment())
    return _PROCESS_TIMEOUTS[0]


def server_config(
    app: ASGIApp | str, *, timeouts: ServerTimeouts | None = None, **options: Any
) -> uvicorn.Config:
    """A uvicorn configuration with our protocol and settings; ``options`` override uvicorn's."""
    config = uvicorn.Config(app, **_settings(options))
    config.emrex_timeouts = timeouts or ServerTimeouts()  # type: ignore[attr-defined]
    return config


def run(
    app: ASGIApp | str,
    *,
    host: str,
    port: int,
    workers: int = 1,
    factory: bool = False,
    timeouts: ServerTimeouts | None = None,
    **options: Any,
) -> None:
    """Serve with uvicorn and our settings; worker processes get the timeouts through the environment."""
    timeouts = timeouts or ServerTimeouts()
    os.environ[TIMEOUTS_ENV] = json.dumps(asdict(timeouts))
    uvicorn.run(app, host=host, port=port, workers=workers, factory=factory, **_settings(options))


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "http": PROTOCOL,
        "loop": "auto",  # uvloop where installed (a dependency where it has wheels), else asyncio
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # Our request log has no query strings or personal data; uvicorn's access log would.
        "access_log": False,
        "server_header": False,
        # A trusted-headers login must see the real peer (the proxy), not X-Forwarded-For.
        "proxy_headers": False,
        **options,
    }
