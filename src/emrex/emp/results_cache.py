"""What one provider session fetched from the results source, kept for its next pages.

A transfer shows the student three pages (select, preview, send) that all need the same results. For the
REST and VIRTA sources each fetch is a call to another service, so the answer is kept for a few minutes:
one call per session instead of one per page, and the preview and the sent document come from the same
answer. It is kept only in this worker's memory (never stored), keyed by the session and the person,
bounded in sessions and in total weight (results), and dropped when the session ends. Another worker,
an evicted or an expired entry simply fetches again. Failures are never kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Generic, TypeVar

T = TypeVar("T")
DEFAULT_MAX_SESSIONS = 64
DEFAULT_MAX_WEIGHT = 20_000  # results (rows) in all: about 20 students with 1000 results each


class ResultsCache(Generic[T]):
    def __init__(
        self,
        lifetime: timedelta,
        *,
        weigh: Callable[[T], int] = lambda _: 1,
        max_weight: int = DEFAULT_MAX_WEIGHT,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime = lifetime.total_seconds()
        self.weigh = weigh
        self.max_weight = max_weight
        self.max_sessions = max_sessions
        self.clock = clock
        # (session, person) -> (when kept, weight, value); least recently used first
        self._entries: OrderedDict[tuple[str, str], tuple[float, int, T]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.lifetime > 0 and self.max_sessions > 0

    def kept(self, flow_id: str, subject: str) -> T | None:
        """The kept answer for this session and person, if there is one (never loads)."""
        if not self.enabled:
            return None
        key = (flow_id, subject)
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.lifetime:
                self._entries.move_to_end(key)
                return entry[2]
        return None

    def fetch(self, flow_id: str, subject: str, load: Callable[[], T]) -> T:
        """The kept answer for this session and person, or ``load()``'s (kept when it returns)."""
        if not self.enabled:
            return load()
        found = self.kept(flow_id, subject)
        if found is not None:
            return found
        key = (flow_id, subject)
        value = load()  # outside the lock: a slow source must not hold up other sessions
        weight = self.weigh(value)
        if weight > self.max_weight:
            return value  # too big to keep at all
        with self._lock:
            self._remove(key)
            self._entries[key] = (self.clock(), weight, value)
            self._weight += weight
            while len(self._entries) > self.max_sessions or self._weight > self.max_weight:
                self._remove(next(iter(self._entries)))
        return value

    def drop(self, flow_id: str) -> None:
        """Forget everything kept for a session (it has ended)."""
        with self._lock:
            for key in [key for key in self._entries if key[0] == flow_id]:
                self._remove(key)

    @property
    def weight(self) -> int:
        return self._weight

    def _remove(self, key: tuple[str, str]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry[1]

    def __len__(self) -> int:
        return len(self._entries)
