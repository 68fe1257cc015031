"""A simulated eDelivery network of access points (no AS4 security, no PMode, no SMP lookup).

Each access point is a party of the network with a Domibus-style WS plugin for its backend. A message
a backend submits is carried to the access point named in its ``To`` party as a real multipart AS4
message (built and parsed again, so every exchange crosses the MIME form) and waits there until that
access point's backend lists and retrieves it; a retrieved message is gone (Domibus with
``retention_downloaded=0``). The real network signs, encrypts and receipts each hop: that is what is
simulated here, behind the same WS-plugin interface a deployment's real access point offers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from emrex.oots.domibus import (
    LIST_PENDING,
    RETRIEVE,
    SUBMIT,
    build_fault,
    build_list_pending_response,
    build_retrieve_response,
    build_submit_response,
    read_envelope,
    read_submit,
    request_argument,
)
from emrex.oots.errors import AccessPointError, EbmsError
from emrex.oots.mime import DEFAULT_LIMITS, MimeLimits, build_as4, parse_as4

SIMULATED = "simulated eDelivery network: AS4 security, receipts and dynamic discovery are not performed"
MAX_PENDING = 1000  # messages one access point keeps for its backend


class Network:
    def __init__(self, parties: Iterable[str], *, limits: MimeLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._inboxes: dict[str, OrderedDict[str, tuple[str, str, bytes]]] = {
            p: OrderedDict() for p in parties
        }
        self._lock = threading.Lock()

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(self._inboxes)

    def handle(self, party: str, envelope: bytes) -> tuple[int, bytes]:
        """One call of ``party``'s backend to its access point's WS plugin: (HTTP status, SOAP answer);
        a refused call gets a SOAP Fault with a readable reason (400, as SOAP 1.2 answers a sender)."""
        if party not in self._inboxes:
            return 404, build_fault(f"no access point {party[:40]!r} in this network")
        try:
            operation, element, _ = read_envelope(envelope, self.limits)
            if operation == SUBMIT:
                return 200, build_submit_response(self._submit(party, envelope))
            if operation == LIST_PENDING:
                conversation = request_argument(element, "conversationId")
                return 200, build_list_pending_response(self._pending(party, conversation))
            if operation == RETRIEVE:
                return 200, self._retrieve(party, request_argument(element, "messageID") or "")
            return 400, build_fault(f"the operation {operation[:40]} is not offered by this WS plugin")
        except (EbmsError, AccessPointError) as error:
            return 400, build_fault(str(error))

    def _submit(self, party: str, envelope: bytes) -> str:
        header, parts = read_submit(envelope, self.limits)
        if header.from_party.id != party:
            raise AccessPointError(f"the backend of {party} cannot send as {header.from_party.id[:40]}")
        target = header.to_party.id
        if target not in self._inboxes:
            raise AccessPointError(f"no access point {target[:40]!r} is known in this network")
        content_type, wire = build_as4(header, parts)  # the AS4 hop, as bytes on the wire
        with self._lock:
            inbox = self._inboxes[target]
            if len(inbox) >= MAX_PENDING:
                raise AccessPointError(f"the access point {target} holds too many undelivered messages")
            if header.message_id in inbox:
                raise AccessPointError("a message with this MessageId is waiting already")
            inbox[header.message_id] = (header.conversation_id, content_type, wire)
        return header.message_id

    def _pending(self, party: str, conversation_id: str | None) -> list[str]:
        with self._lock:
            return [
                message_id
                for message_id, (conversation, _, _) in self._inboxes[party].items()
                if conversation_id is None or conversation == conversation_id
            ]

    def _retrieve(self, party: str, message_id: str) -> bytes:
        with self._lock:
            stored = self._inboxes[party].pop(message_id, None)
        if stored is None:
            raise AccessPointError("no message with this MessageId waits here")
        _, content_type, wire = stored
        header, parts = parse_as4(content_type, wire, self.limits)
        return build_retrieve_response(header, parts)
