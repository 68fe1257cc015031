"""A backend's side of the WS plugin (submit, list, retrieve) over any transport, and the evidence
provider's backend loop: fetch what waits, answer it, submit the answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from emrex.oots.domibus import (
    build_list_pending,
    build_retrieve,
    build_submit,
    read_message_ids,
    read_retrieve_response,
)
from emrex.oots.ebms import PartInfo, UserMessage, reply
from emrex.oots.errors import AccessPointError, EbmsError, OotsError
from emrex.oots.mime import Part
from emrex.oots.model import Agent
from emrex.oots.names import ACTION_REQUEST, REGREP_MIME
from emrex.oots.provider import EvidenceProvider

_log = logging.getLogger(__name__)


class WsPlugin(Protocol):
    """Carries one SOAP call to the access point's WS plugin and returns its SOAP answer."""

    def call(self, envelope: bytes) -> bytes: ...


class WsClient:
    def __init__(self, plugin: WsPlugin) -> None:
        self.plugin = plugin

    def submit(self, header: UserMessage, parts: Sequence[Part]) -> str:
        ids = read_message_ids(self.plugin.call(build_submit(header, parts)))
        if not ids:
            raise AccessPointError("the access point accepted the message but named no MessageId")
        return ids[0]

    def pending(self, conversation_id: str | None = None) -> list[str]:
        return read_message_ids(self.plugin.call(build_list_pending(conversation_id)))

    def retrieve(self, message_id: str) -> tuple[UserMessage, list[Part]]:
        return read_retrieve_response(self.plugin.call(build_retrieve(message_id)))


def answer_message(
    provider: EvidenceProvider, header: UserMessage, parts: Sequence[Part]
) -> tuple[UserMessage, list[Part]]:
    """The ebMS message answering one received message (its regrep part read as a QueryRequest)."""
    if header.action != ACTION_REQUEST:
        raise EbmsError(f"an evidence provider receives {ACTION_REQUEST}, not {header.action}")
    regrep = next((p for p in parts if p.content_type.split(";")[0].strip() == REGREP_MIME), None)
    if regrep is None:
        raise EbmsError(f"the message carries no {REGREP_MIME} part")
    hint = Agent(header.original_sender)
    answer = provider.answer(regrep.content, requester_hint=hint, conversation_id=header.conversation_id)
    body = Part(f"{provider.new_id()}@{provider.config.cid_domain}", REGREP_MIME, answer.body)
    out = [body, *(Part(a.cid, a.media_type, a.content) for a in answer.attachments)]
    infos = tuple(PartInfo(f"cid:{p.cid}", p.content_type) for p in out)
    return reply(header, action=answer.action, parts=infos, at=provider.now()), out


class ProviderBackend:
    """The evidence provider behind its access point: ``poll`` answers everything that waits."""

    def __init__(self, provider: EvidenceProvider, client: WsClient) -> None:
        self.provider = provider
        self.client = client

    def poll(self) -> int:
        """Answer every request waiting at the access point; a message that cannot be answered (no EDM
        body, not a request) is logged and dropped, and the others are still answered."""
        answered = 0
        for message_id in self.client.pending():
            try:
                header, parts = self.client.retrieve(message_id)
                if header.action != ACTION_REQUEST:
                    raise EbmsError(f"an evidence provider receives {ACTION_REQUEST}, not {header.action}")
                self.client.submit(*answer_message(self.provider, header, parts))
            except OotsError as error:
                _log.warning("OOTS message dropped: %s", error)
                continue
            answered += 1
        return answered
