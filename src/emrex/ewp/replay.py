"""Remembering the request ids already used, so that a captured request cannot be sent again.

A request id needs remembering only while the request's date is inside the verifier's window: after
that the date check refuses the copy anyway. The in-memory cache guards one process; a deployment
with several worker processes or machines gives the verifier a shared implementation (a database
table with a unique key, or Redis ``SET NX PX``) of the same ``ReplayCache`` protocol.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

from emrex.ewp.errors import ReplayCacheFull


class ReplayCache(Protocol):
    def first_use(self, key: str, expires: dt.datetime, now: dt.datetime) -> bool:
        """Record ``key`` until ``expires``; False when it was recorded before and has not expired."""
        ...


class MemoryReplayCache:
    """A bounded in-memory cache; when full of unexpired ids it refuses (ReplayCacheFull) rather than
    forget an id that could then be replayed."""

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError("the replay cache needs room for at least one request id")
        self.max_entries = max_entries
        self._expiry: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def first_use(self, key: str, expires: dt.datetime, now: dt.datetime) -> bool:
        with self._lock:
            known = self._expiry.get(key)
            if known is not None and known > now:
                return False
            if known is None and len(self._expiry) >= self.max_entries:
                self._purge(now)
                if len(self._expiry) >= self.max_entries:
                    raise ReplayCacheFull(
                        f"{self.max_entries} request ids seen in the last minutes; try again shortly"
                    )
            self._expiry[key] = expires
            return True

    def __len__(self) -> int:
        return len(self._expiry)

    def _purge(self, now: dt.datetime) -> None:
        self._expiry = {key: expires for key, expires in self._expiry.items() if expires > now}
