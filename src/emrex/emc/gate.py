"""At most a few signature verifications at once in one process.

A verification of a document at the size limit holds its decoded bytes, two trees and the canonical
form in memory: about eight times the document. Bounding how many run at once bounds that memory
whatever arrives; an answer that finds every slot taken waits a while, then is turned away with
nothing stored, so its sender can post it again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from emrex.db.scope import current_scope
from emrex.emc.returns import ReturnRefused

DEFAULT_WAIT_SECONDS = 20.0


class Busy(ReturnRefused):
    """Every verification slot stayed taken for the whole wait."""

    def __init__(self) -> None:
        super().__init__(
            "the service is busy checking other results; nothing was stored, send them again in a minute",
            "busy",
        )


class VerificationGate:
    def __init__(self, slots: int, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        if slots < 1:
            raise ValueError("a verification gate needs at least one slot")
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block; Busy when none was free within the wait.

        A request that has to wait first gives back its database connection (its reads end; what it
        wrote was committed, ``emrex.db.scope``): waiting answers must not hold the pool.
        """
        if not self._semaphore.acquire(blocking=False):
            scope = current_scope()
            if scope is not None:
                scope.release()
            if not self._semaphore.acquire(timeout=self.wait_seconds):
                raise Busy()
        try:
            yield
        finally:
            self._semaphore.release()
