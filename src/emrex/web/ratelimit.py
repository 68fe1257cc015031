"""Requests per client address on the paths anyone may call without logging in (the EMREX protocol
entry, the login pages): a token bucket per address, in the memory of each worker process.

A flood from one address gets a 429 page with ``Retry-After`` before its body is read or a session is
loaded. The counts are per process (with N workers an address gets up to N times the rate) and bounded
in memory: at most ``MAX_ADDRESSES`` buckets, the least recently used forgotten first. IPv6 addresses
count per /64 (one subscriber's network). It complements a limit at the reverse proxy, which sees
every worker's traffic.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_ADDRESSES = 10_000


def address_key(address: str) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class RequestLimiter:
    """``per_minute`` requests per address, in bursts of up to ``per_minute``; thread-safe."""

    def __init__(self, per_minute: int, *, max_addresses: int = MAX_ADDRESSES) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.max_addresses = max_addresses
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_seconds(self, address: str, now: float | None = None) -> int:
        """0 when the request may go ahead (and is counted), else whole seconds until it may."""
        now = time.monotonic() if now is None else now
        key = address_key(address)
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
            wait = 0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = max(1, math.ceil((1 - tokens) / self.refill_per_second))
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_addresses:
                self._buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    """Applies ``limiter`` to requests for ``paths``; the others pass untouched."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        paths: Collection[str],
        limiter: RequestLimiter,
        address_of: Callable[[Request], str],
        refused: Callable[[Request, int], Response],
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.limiter = limiter
        self.address_of = address_of
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        wait = self.limiter.wait_seconds(self.address_of(request))
        if wait:
            await self.refused(request, wait)(scope, receive, send)
            return
        await self.app(scope, receive, send)
