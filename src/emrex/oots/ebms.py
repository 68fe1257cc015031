"""The ebMS3 ``eb:Messaging`` header of OOTS messages (TDD 4.7): building it, reading it, answering it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from lxml import etree

from emrex.oots.errors import EbmsError
from emrex.oots.model import Identifier
from emrex.oots.names import (
    ACTION_ERROR,
    ACTION_REQUEST,
    ACTION_RESPONSE,
    EB,
    EBMS_NS,
    EBMS_ROLE,
    EBMS_SERVICE,
    EBMS_SERVICE_TYPE,
    PARTY_TYPE,
    REGREP_MIME,
    SPECIFICATIONS,
    V2,
)
from emrex.oots.regrep import child, children, parse_datetime, sub, timestamp

ACTIONS = (ACTION_REQUEST, ACTION_RESPONSE, ACTION_ERROR)


@dataclass(frozen=True)
class Party:
    """An access point (gateway) of the eDelivery network."""

    id: str
    type: str = PARTY_TYPE
    role: str = EBMS_ROLE


@dataclass(frozen=True)
class PartInfo:
    href: str  # cid:...
    mime_type: str

    @property
    def cid(self) -> str:
        return self.href.removeprefix("cid:")


@dataclass(frozen=True)
class UserMessage:
    message_id: str
    timestamp: dt.datetime
    from_party: Party
    to_party: Party
    action: str
    conversation_id: str
    original_sender: Identifier
    final_recipient: Identifier
    parts: tuple[PartInfo, ...]
    exchange_id: str | None = None
    specification: str = V2
    service: str = EBMS_SERVICE
    service_type: str = EBMS_SERVICE_TYPE
    ref_to_message_id: str | None = None


def new_message_id(domain: str = "oots.eu") -> str:
    return f"{uuid.uuid4()}@{domain}"


def build_messaging(message: UserMessage) -> etree._Element:
    """The ``eb:Messaging`` element, in the order and shape of the reference headers."""
    messaging = etree.Element(EB + "Messaging", nsmap={"eb": EBMS_NS})
    user = sub(messaging, EB + "UserMessage")
    info = sub(user, EB + "MessageInfo")
    sub(info, EB + "Timestamp", timestamp(message.timestamp))
    sub(info, EB + "MessageId", message.message_id)
    if message.ref_to_message_id:
        sub(info, EB + "RefToMessageId", message.ref_to_message_id)
    parties = sub(user, EB + "PartyInfo")
    for tag, party in (("From", message.from_party), ("To", message.to_party)):
        side = sub(parties, EB + tag)
        sub(side, EB + "PartyId", party.id, type=party.type)
        sub(side, EB + "Role", party.role)
    collaboration = sub(user, EB + "CollaborationInfo")
    sub(collaboration, EB + "Service", message.service, type=message.service_type)
    sub(collaboration, EB + "Action", message.action)
    sub(collaboration, EB + "ConversationId", message.conversation_id)
    properties = sub(user, EB + "MessageProperties")
    for name, identifier in (
        ("originalSender", message.original_sender),
        ("finalRecipient", message.final_recipient),
    ):
        prop = sub(properties, EB + "Property", identifier.value, name=name)
        if identifier.scheme:
            prop.set("type", identifier.scheme)
    if message.exchange_id:
        sub(properties, EB + "Property", message.exchange_id, name="ExchangeId")
    sub(properties, EB + "Property", message.specification, name="SpecificationId")
    payload = sub(user, EB + "PayloadInfo")
    for part in message.parts:
        info_element = sub(payload, EB + "PartInfo", href=part.href)
        sub(sub(info_element, EB + "PartProperties"), EB + "Property", part.mime_type, name="MimeType")
    return messaging


def messaging_bytes(message: UserMessage) -> bytes:
    return etree.tostring(build_messaging(message), encoding="UTF-8")


def read_messaging(messaging: etree._Element) -> UserMessage:
    """Read an ``eb:Messaging`` element (any prefix); ``EbmsError`` names what the OOTS profile misses."""
    if messaging.tag != EB + "Messaging":
        raise EbmsError("the ebMS header must be an eb:Messaging element")
    user = child(messaging, EB + "UserMessage")
    if user is None:
        raise EbmsError("the ebMS header carries no UserMessage")
    info = _required(user, "MessageInfo")
    parties = _required(user, "PartyInfo")
    collaboration = _required(user, "CollaborationInfo")
    properties = {p.get("name"): p for p in children(_required(user, "MessageProperties"), EB + "Property")}
    moment = parse_datetime(_text(info, "Timestamp"))
    if moment is None:
        raise EbmsError("the ebMS Timestamp is missing or not a date and time")
    action = _text(collaboration, "Action")
    if action not in ACTIONS:
        raise EbmsError(f"the ebMS Action {action[:40]!r} is not one of {', '.join(ACTIONS)}")
    specification = _property_text(properties, "SpecificationId")
    if specification is None:
        raise EbmsError("R-EDM-ebMS-019: the ebMS header must carry the SpecificationId property")
    if specification not in SPECIFICATIONS:
        raise EbmsError(
            f"R-EDM-ebMS-038: the SpecificationId {specification[:40]!r} is not an EDM version we speak"
        )
    service = _required(collaboration, "Service")
    parts = _parts(user)
    if not parts or any(not p.href.startswith("cid:") for p in parts):
        raise EbmsError('every ebMS PartInfo must point at a MIME part with href="cid:…"')
    return UserMessage(
        message_id=_text(info, "MessageId"),
        timestamp=moment,
        from_party=_party(_required(parties, "From")),
        to_party=_party(_required(parties, "To")),
        action=action,
        conversation_id=_text(collaboration, "ConversationId"),
        original_sender=_identity(properties, "originalSender"),
        final_recipient=_identity(properties, "finalRecipient"),
        parts=parts,
        exchange_id=_property_text(properties, "ExchangeId"),
        specification=specification,
        service=(service.text or "").strip(),
        service_type=service.get("type") or "",
        ref_to_message_id=_optional_text(info, "RefToMessageId"),
    )


def reply(
    to: UserMessage,
    *,
    action: str,
    parts: tuple[PartInfo, ...],
    at: dt.datetime,
    message_id: str | None = None,
    exchange_id: str | None = None,
) -> UserMessage:
    """The header of the answer to ``to``: parties and senders swapped, same conversation."""
    return replace(
        to,
        message_id=message_id or new_message_id(),
        timestamp=at,
        from_party=to.to_party,
        to_party=to.from_party,
        action=action,
        original_sender=to.final_recipient,
        final_recipient=to.original_sender,
        parts=parts,
        exchange_id=exchange_id or str(uuid.uuid4()),
        ref_to_message_id=to.message_id,
    )


def regrep_part(cid: str) -> PartInfo:
    return PartInfo(f"cid:{cid}", REGREP_MIME)


def _required(parent: etree._Element, name: str) -> etree._Element:
    found = child(parent, EB + name)
    if found is None:
        raise EbmsError(f"the ebMS header carries no {name}")
    return found


def _text(parent: etree._Element, name: str) -> str:
    value = (_required(parent, name).text or "").strip()
    if not value:
        raise EbmsError(f"the ebMS {name} is empty")
    return value


def _optional_text(parent: etree._Element, name: str) -> str | None:
    found = child(parent, EB + name)
    return (found.text or "").strip() if found is not None else None


def _parts(user: etree._Element) -> tuple[PartInfo, ...]:
    payload = child(user, EB + "PayloadInfo")
    found: list[PartInfo] = []
    for part in children(payload, EB + "PartInfo") if payload is not None else ():
        properties = child(part, EB + "PartProperties")
        mime = (
            [p for p in children(properties, EB + "Property") if p.get("name") == "MimeType"]
            if (properties is not None)
            else []
        )
        found.append(PartInfo(part.get("href") or "", (mime[0].text or "").strip() if mime else ""))
    return tuple(found)


def _party(side: etree._Element) -> Party:
    party = _required(side, "PartyId")
    return Party((party.text or "").strip(), party.get("type") or "", _text(side, "Role"))


def _property_text(properties: dict[str | None, etree._Element], name: str) -> str | None:
    found = properties.get(name)
    return (found.text or "").strip() if found is not None else None


def _identity(properties: dict[str | None, etree._Element], name: str) -> Identifier:
    found = properties.get(name)
    if found is None or not (found.text or "").strip():
        raise EbmsError(f"the ebMS header must carry the {name} property")
    return Identifier((found.text or "").strip(), found.get("type"))
