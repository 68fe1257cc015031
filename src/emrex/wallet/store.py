"""What the issuer and the verifier keep between requests, behind interfaces a service backs with its
database; ``MemoryStore`` implements both for tests, the CLI and a single process.

Single use is the store's job: ``save_offer`` and ``save_session`` write only when the record still has
the version the caller read (``UPDATE … WHERE id = ? AND version = ?`` in SQL), so two requests racing
with one code cannot both win; ``take_nonce`` removes a nonce and says whether it was there.
Codes, tokens and nonces are kept as SHA-256 digests, never as themselves.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field, replace
from typing import Protocol

from emrex.wallet.jose import Json
from emrex.wallet.statuslist import StatusListFull, list_number

# Offer states, in order: offered -> token (access token handed out) -> issued; locked after too many
# wrong transaction codes or a second use of the pre-authorized code.
OFFERED, TOKEN, ISSUED, LOCKED = "offered", "token", "issued", "locked"
# Presentation session states.
PENDING, VERIFIED, REFUSED = "pending", "verified", "refused"


@dataclass(frozen=True)
class OfferRecord:
    offer_id: str
    code: str  # the pre-authorized code, served in the offer until it is redeemed (then "")
    code_hash: str
    tx_code_hash: str | None
    configuration_id: str
    content: Json  # the ELM credential to issue
    subject_ref: str  # the service's own reference (a transfer id), for revoking later
    expires_at: int
    state: str = OFFERED
    wrong_tx_codes: int = 0
    token_hash: str | None = None
    token_expires_at: int = 0
    version: int = 0


@dataclass(frozen=True)
class IssuedRecord:
    """A credential handed out: where its status lives, for revoking it."""

    list_id: str
    index: int
    subject_ref: str
    issued_at: int


@dataclass(frozen=True)
class SessionRecord:
    """One presentation request of a verifier and, once answered, its outcome."""

    session_id: str
    nonce: str
    state: str  # the OAuth ``state`` the wallet must echo
    encryption_key: Json  # the ephemeral private JWK that decrypts the wallet's response
    expires_at: int
    status: str = PENDING
    result: Json | None = None  # what was verified (VerifiedCredential.summary())
    reason: str | None = None  # why it was refused
    response_code_hash: str | None = None
    version: int = 0


class IssuerStore(Protocol):
    def add_offer(self, offer: OfferRecord) -> None: ...
    def offer(self, offer_id: str) -> OfferRecord | None: ...
    def offer_by_code(self, code_hash: str) -> OfferRecord | None: ...
    def offer_by_token(self, token_hash: str) -> OfferRecord | None: ...
    def save_offer(self, offer: OfferRecord) -> bool:
        """Store ``offer`` (with version + 1) if the stored one still has ``offer.version``."""
        ...

    def add_nonce(self, nonce_hash: str, expires_at: int) -> None: ...
    def take_nonce(self, nonce_hash: str, now: int) -> bool:
        """Remove the nonce; True only if it was there and had not expired."""
        ...

    def allocate_status(self, list_id: str, size: int, subject_ref: str, now: int) -> int:
        """A free index of the list, chosen at random (neighbours say nothing about each other), kept
        with ``subject_ref`` as an IssuedRecord; StatusListFull when none is left."""
        ...

    def latest_status_list(self) -> str | None:
        """The highest-numbered list with an entry taken (where issuing goes on), or None."""
        ...

    def set_status(self, list_id: str, index: int, status: int) -> None: ...
    def statuses(self, list_id: str) -> dict[int, int]:
        """The entries of a list that are not valid (0): index -> status."""
        ...

    def issued_for(self, subject_ref: str) -> list[IssuedRecord]: ...
    def purge(self, now: int) -> None:
        """Forget offers and nonces that expired (issued records and statuses stay for revoking)."""
        ...


class VerifierStore(Protocol):
    def add_session(self, session: SessionRecord) -> None: ...
    def session(self, session_id: str) -> SessionRecord | None: ...
    def session_by_response_code(self, code_hash: str) -> SessionRecord | None: ...
    def save_session(self, session: SessionRecord) -> bool:
        """Store ``session`` (with version + 1) if the stored one still has ``session.version``."""
        ...

    def purge(self, now: int) -> None: ...


@dataclass
class MemoryStore:
    """Both stores in memory, guarded by one lock (tests, the CLI, one process)."""

    offers: dict[str, OfferRecord] = field(default_factory=dict)
    nonces: dict[str, int] = field(default_factory=dict)
    used: dict[str, set[int]] = field(default_factory=dict)
    status_values: dict[str, dict[int, int]] = field(default_factory=dict)
    issued: list[IssuedRecord] = field(default_factory=list)
    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_offer(self, offer: OfferRecord) -> None:
        with self.lock:
            self.offers[offer.offer_id] = offer

    def offer(self, offer_id: str) -> OfferRecord | None:
        return self.offers.get(offer_id)

    def offer_by_code(self, code_hash: str) -> OfferRecord | None:
        return next((o for o in list(self.offers.values()) if o.code_hash == code_hash), None)

    def offer_by_token(self, token_hash: str) -> OfferRecord | None:
        return next((o for o in list(self.offers.values()) if o.token_hash == token_hash), None)

    def save_offer(self, offer: OfferRecord) -> bool:
        with self.lock:
            current = self.offers.get(offer.offer_id)
            if current is None or current.version != offer.version:
                return False
            self.offers[offer.offer_id] = replace(offer, version=offer.version + 1)
            return True

    def add_nonce(self, nonce_hash: str, expires_at: int) -> None:
        with self.lock:
            self.nonces[nonce_hash] = expires_at

    def take_nonce(self, nonce_hash: str, now: int) -> bool:
        with self.lock:
            expires = self.nonces.pop(nonce_hash, None)
        return expires is not None and expires >= now

    def allocate_status(self, list_id: str, size: int, subject_ref: str, now: int) -> int:
        with self.lock:
            used = self.used.setdefault(list_id, set())
            if len(used) >= size:
                raise StatusListFull(f"the status list {list_id} is full")
            index = secrets.randbelow(size)
            if index in used:  # draw again among the free entries only: a nearly full list stays cheap
                index = secrets.choice([i for i in range(size) if i not in used])
            used.add(index)
            self.issued.append(IssuedRecord(list_id, index, subject_ref, now))
            return index

    def latest_status_list(self) -> str | None:
        numbers = [n for n in map(list_number, (k for k, v in self.used.items() if v)) if n is not None]
        return str(max(numbers)) if numbers else None

    def set_status(self, list_id: str, index: int, status: int) -> None:
        with self.lock:
            values = self.status_values.setdefault(list_id, {})
            if status:
                values[index] = status
            else:
                values.pop(index, None)

    def statuses(self, list_id: str) -> dict[int, int]:
        return dict(self.status_values.get(list_id, {}))

    def issued_for(self, subject_ref: str) -> list[IssuedRecord]:
        return [r for r in self.issued if r.subject_ref == subject_ref]

    def add_session(self, session: SessionRecord) -> None:
        with self.lock:
            self.sessions[session.session_id] = session

    def session(self, session_id: str) -> SessionRecord | None:
        return self.sessions.get(session_id)

    def session_by_response_code(self, code_hash: str) -> SessionRecord | None:
        return next((s for s in list(self.sessions.values()) if s.response_code_hash == code_hash), None)

    def save_session(self, session: SessionRecord) -> bool:
        with self.lock:
            current = self.sessions.get(session.session_id)
            if current is None or current.version != session.version:
                return False
            self.sessions[session.session_id] = replace(session, version=session.version + 1)
            return True

    def purge(self, now: int) -> None:
        with self.lock:
            self.offers = {k: o for k, o in self.offers.items() if o.expires_at >= now}
            self.nonces = {k: e for k, e in self.nonces.items() if e >= now}
            self.sessions = {k: s for k, s in self.sessions.items() if s.expires_at >= now}
