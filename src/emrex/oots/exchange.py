"""One OOTS exchange at the evidence provider, from the first request to the evidence sent, and where
exchanges are kept: a storage Protocol (a deployment stores them in its database) and a memory store."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from emrex.oots.model import Agent, EvidencePart, EvidenceType, NaturalPerson


class State(StrEnum):
    PREVIEW = "preview"  # preview required was answered; the person has not finished
    APPROVED = "approved"  # the person agreed; the evidence waits for the repeated request
    DELIVERED = "delivered"  # the evidence went out (the preview location cannot be used again)
    DECLINED = "declined"  # the person cancelled in the preview
    MISMATCH = "mismatch"  # the person who logged in is not the person the request is about
    NO_RESULTS = "no_results"  # the data provider holds nothing for the person
    FAILED = "failed"  # the data provider could not produce the evidence
    EXPIRED = "expired"  # no answer in time

    @property
    def final(self) -> bool:
        return self not in (State.PREVIEW, State.APPROVED)


@dataclass(frozen=True)
class Exchange:
    """What the provider remembers of a request it answered with "preview required"."""

    token: str  # the secret in the PreviewLocation
    request_id: str
    conversation_id: str | None
    requester: Agent
    person: NaturalPerson
    evidence_type: EvidenceType
    procedure: str | None
    return_location: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    state: State = State.PREVIEW
    subject: str | None = None  # the login (EMP user id) the preview session is bound to
    evidence: tuple[EvidencePart, ...] = field(default=(), repr=False)
    detail: str = ""
    version: int = 0  # bumped by every change; the store refuses a change made from a stale copy

    def advanced(self, **changes: object) -> Exchange:
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]


class ExchangeStore(Protocol):
    """Where exchanges live between the request, the preview pages and the repeated request."""

    def create(self, exchange: Exchange) -> None:
        """Store a new exchange (its token is new)."""

    def get(self, token: str) -> Exchange | None:
        """The exchange of a preview token, or None."""

    def update(self, exchange: Exchange, *, expected_version: int) -> bool:
        """Replace the stored exchange if its version is still ``expected_version``; False otherwise."""


class MemoryExchangeStore:
    """Exchanges in a dict (tests, the demo, a single-process deployment)."""

    def __init__(self) -> None:
        self._exchanges: dict[str, Exchange] = {}
        self._lock = threading.Lock()

    def create(self, exchange: Exchange) -> None:
        with self._lock:
            if exchange.token in self._exchanges:
                raise ValueError("an exchange with this token exists already")
            self._exchanges[exchange.token] = exchange

    def get(self, token: str) -> Exchange | None:
        with self._lock:
            return self._exchanges.get(token)

    def update(self, exchange: Exchange, *, expected_version: int) -> bool:
        with self._lock:
            current = self._exchanges.get(exchange.token)
            if current is None or current.version != expected_version:
                return False
            self._exchanges[exchange.token] = exchange
            return True

    def __len__(self) -> int:
        return len(self._exchanges)
