"""The evidence requester's side (a procedure portal, an admissions office): send a request through
its access point, and read and check what comes back. Used by the tests, the benchmark and the demo."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from emrex.oots.backend import WsClient
from emrex.oots.check import CheckResult, Kind, check_tree, parse_edm
from emrex.oots.ebms import Party, UserMessage, new_message_id, regrep_part
from emrex.oots.edm_error import error_from_tree
from emrex.oots.errors import EbmsError
from emrex.oots.mime import Part
from emrex.oots.model import ErrorResponse, Identifier, QueryRequest, QueryResponse
from emrex.oots.names import ACTION_REQUEST, REGREP_MIME
from emrex.oots.request import build_request
from emrex.oots.response import response_from_tree


@dataclass(frozen=True)
class Received:
    """One answer that arrived: the header, what the body says, its check, and the documents."""

    header: UserMessage
    check: CheckResult
    response: QueryResponse | None = None
    error: ErrorResponse | None = None
    documents: dict[str, Part] = field(default_factory=dict, repr=False)  # by cid

    @property
    def preview_location(self) -> str | None:
        exception = self.error.exception if self.error else None
        return exception.preview_location if exception else None

    @property
    def code(self) -> str | None:
        exception = self.error.exception if self.error else None
        return exception.code if exception else None

    def document(self, media_type: str) -> bytes | None:
        """The bytes of the listed document of ``media_type`` (found through its cid: reference)."""
        for listed in self.response.documents if self.response else ():
            if media_type in listed.formats and listed.href:
                part = self.documents.get(listed.href.removeprefix("cid:"))
                if part is not None:
                    return part.content
        return None


class EvidenceRequester:
    def __init__(
        self,
        client: WsClient,
        *,
        party: Party,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.client = client
        self.party = party
        self._clock = clock

    def send(
        self, request: QueryRequest, *, to: Party, conversation_id: str | None = None
    ) -> tuple[str, str]:
        """Submit ``request`` to the access point ``to``: (MessageId, ConversationId)."""
        if request.requester is None or request.provider is None:
            raise ValueError("the request names neither its requester nor its provider")
        conversation = conversation_id or str(uuid.uuid4())
        cid = f"{request.id.removeprefix('urn:uuid:')}@{self.party.id.lower()}.oots"
        header = UserMessage(
            message_id=new_message_id(),
            timestamp=self._clock(),
            from_party=self.party,
            to_party=to,
            action=ACTION_REQUEST,
            conversation_id=conversation,
            original_sender=request.requester.identifier,
            final_recipient=Identifier(request.provider.identifier.value, request.provider.identifier.scheme),
            parts=(regrep_part(cid),),
            exchange_id=str(uuid.uuid4()),
            specification=request.specification,
        )
        return self.client.submit(header, [Part(cid, REGREP_MIME, build_request(request))]), conversation

    def receive(self, conversation_id: str | None = None) -> list[Received]:
        """Everything that waits for us (of one conversation), read and checked."""
        return [read_received(*self.client.retrieve(m)) for m in self.client.pending(conversation_id)]


def read_received(header: UserMessage, parts: list[Part]) -> Received:
    regrep = next((p for p in parts if p.content_type.split(";")[0].strip() == REGREP_MIME), None)
    if regrep is None:
        raise EbmsError(f"the answer carries no {REGREP_MIME} part")
    root = parse_edm(regrep.content)
    check = check_tree(root)
    documents = {p.cid: p for p in parts if p is not regrep}
    if check.kind is Kind.ERROR:
        return Received(header, check, error=error_from_tree(root), documents=documents)
    return Received(header, check, response=response_from_tree(root), documents=documents)
