"""The SOAP messages of the Domibus WS plugin, through which a backend talks to its access point:
``submitRequest`` (send), ``listPendingMessagesRequest`` and ``retrieveMessageRequest`` (receive).

Payloads travel inline as base64 ``<value>``s, each named by the ``cid:`` the ebMS header points at.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from lxml import etree

from emrex.errors import EmrexError
from emrex.oots.ebms import UserMessage, build_messaging, read_messaging
from emrex.oots.errors import AccessPointError, EbmsError
from emrex.oots.mime import DEFAULT_LIMITS, MimeLimits, Part
from emrex.oots.names import EB, EBMS_NS, REGREP_MIME, SOAP, SOAP12_NS, WS, WSPLUGIN_NS, XMIME_NS
from emrex.oots.regrep import child, children
from emrex.xml import localname, parse_untrusted

SUBMIT = "submitRequest"
LIST_PENDING = "listPendingMessagesRequest"
RETRIEVE = "retrieveMessageRequest"
OPERATIONS = (SUBMIT, LIST_PENDING, RETRIEVE)
_NSMAP = {"soap": SOAP12_NS, "ns": EBMS_NS, "_1": WSPLUGIN_NS, "xm": XMIME_NS}


def _envelope(header: UserMessage | None = None) -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(SOAP + "Envelope", nsmap=_NSMAP)
    soap_header = etree.SubElement(envelope, SOAP + "Header")
    if header is not None:
        soap_header.append(build_messaging(header))
    return envelope, etree.SubElement(envelope, SOAP + "Body")


def _bytes(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _payloads(parent: etree._Element, payloads: Sequence[Part], *, with_type: bool = True) -> None:
    for payload in payloads:
        element = _add(parent, "payload")
        element.set("payloadId", f"cid:{payload.cid}")
        if with_type:
            element.set("contentType", payload.content_type)
        _add(element, "value", base64.b64encode(payload.content).decode("ascii"))


def build_submit(header: UserMessage, payloads: Sequence[Part]) -> bytes:
    """The ``submitRequest`` a backend sends to its access point, in the shape of the reference."""
    envelope, body = _envelope(header)
    request = _add(body, WS + SUBMIT)
    _add(_add(request, "bodyload"), "value", "cid:bodyload")
    _payloads(request, payloads)
    return _bytes(envelope)


def build_submit_response(message_id: str) -> bytes:
    envelope, body = _envelope()
    _add(_add(body, WS + "submitResponse"), "messageID", message_id)
    return _bytes(envelope)


def build_list_pending(conversation_id: str | None = None) -> bytes:
    envelope, body = _envelope()
    request = _add(body, WS + LIST_PENDING)
    if conversation_id:
        _add(request, "conversationId", conversation_id)
    return _bytes(envelope)


def build_list_pending_response(message_ids: Sequence[str]) -> bytes:
    envelope, body = _envelope()
    response = _add(body, WS + "listPendingMessagesResponse")
    for message_id in message_ids:
        _add(response, "messageID", message_id)
    return _bytes(envelope)


def build_retrieve(message_id: str) -> bytes:
    envelope, body = _envelope()
    _add(_add(body, WS + RETRIEVE), "messageID", message_id)
    return _bytes(envelope)


def build_retrieve_response(header: UserMessage, payloads: Sequence[Part]) -> bytes:
    envelope, body = _envelope(header)
    _payloads(_add(body, WS + "retrieveMessageResponse"), payloads)
    return _bytes(envelope)


def build_fault(reason: str, *, sender: bool = True) -> bytes:
    envelope, body = _envelope()
    fault = _add(body, SOAP + "Fault")
    _add(_add(fault, SOAP + "Code"), SOAP + "Value", "soap:Sender" if sender else "soap:Receiver")
    text = _add(_add(fault, SOAP + "Reason"), SOAP + "Text", " ".join(reason.split())[:300])
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    return _bytes(envelope)


# -- reading --------------------------------------------------------------------------------------


def read_envelope(
    data: bytes, limits: MimeLimits = DEFAULT_LIMITS
) -> tuple[str, etree._Element, etree._Element]:
    """(operation, the Body's element, the Envelope) of a WS-plugin message; a SOAP Fault raises
    ``AccessPointError`` with its reason."""
    # Inline base64 makes the envelope a third larger than its payloads.
    limit = limits.max_bytes * 4 // 3 + limits.max_header_bytes
    try:
        envelope = parse_untrusted(data, max_bytes=limit).getroot()
    except EmrexError as error:
        raise EbmsError(f"the SOAP message cannot be read: {error}") from None
    body = child(envelope, SOAP + "Body") if envelope.tag == SOAP + "Envelope" else None
    operation = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if operation is None:
        raise EbmsError("not a SOAP 1.2 envelope with a Body")
    if operation.tag == SOAP + "Fault":
        reason = operation.findtext(f"{SOAP}Reason/{SOAP}Text") or "no reason given"
        raise AccessPointError(f"the access point refused: {' '.join(reason.split())[:300]}")
    return localname(operation), operation, envelope


def read_submit(data: bytes, limits: MimeLimits = DEFAULT_LIMITS) -> tuple[UserMessage, list[Part]]:
    name, operation, envelope = read_envelope(data, limits)
    if name != SUBMIT:
        raise EbmsError(f"expected a {SUBMIT}, got {name[:40]}")
    return _message(envelope, operation, limits)


def read_retrieve_response(
    data: bytes, limits: MimeLimits = DEFAULT_LIMITS
) -> tuple[UserMessage, list[Part]]:
    name, operation, envelope = read_envelope(data, limits)
    if name != "retrieveMessageResponse":
        raise EbmsError(f"expected a retrieveMessageResponse, got {name[:40]}")
    return _message(envelope, operation, limits)


def regrep_payload(data: bytes, limits: MimeLimits = DEFAULT_LIMITS) -> bytes:
    """The EDM document a submitRequest or retrieveMessageResponse carries (its other payloads are
    not decoded)."""
    _, operation, envelope = read_envelope(data, limits)
    messaging = child(child(envelope, SOAP + "Header"), EB + "Messaging")
    if messaging is None:
        raise EbmsError("the SOAP header carries no eb:Messaging")
    header = read_messaging(messaging)
    cids = [info.cid for info in header.parts if info.mime_type == REGREP_MIME]
    for payload in children(operation, "payload"):
        cid = (payload.get("payloadId") or "").removeprefix("cid:")
        if cids and cid == cids[0]:
            return _decode(payload, cid, limits)
    raise EbmsError(f"the SOAP message carries no {REGREP_MIME} payload")


def read_message_ids(data: bytes) -> list[str]:
    """The ``messageID``s of a submitResponse or listPendingMessagesResponse."""
    _, operation, _ = read_envelope(data)
    return [(e.text or "").strip() for e in children(operation, "messageID")]


def request_argument(operation: etree._Element, name: str) -> str | None:
    found = child(operation, name)
    return (found.text or "").strip() if found is not None else None


def _message(
    envelope: etree._Element, operation: etree._Element, limits: MimeLimits
) -> tuple[UserMessage, list[Part]]:
    messaging = child(child(envelope, SOAP + "Header"), EB + "Messaging")
    if messaging is None:
        raise EbmsError("the SOAP header carries no eb:Messaging")
    header = read_messaging(messaging)
    declared = {info.cid: info.mime_type for info in header.parts}
    payloads = list(children(operation, "payload"))
    if len(payloads) > limits.max_parts:
        raise EbmsError(f"the message has more than {limits.max_parts} payloads")
    parts: list[Part] = []
    for payload in payloads:
        cid = (payload.get("payloadId") or "").removeprefix("cid:")
        if cid not in declared:
            raise EbmsError(f"the payload cid:{cid[:80]} is not named in the ebMS header")
        parts.append(Part(cid, payload.get("contentType") or declared[cid], _decode(payload, cid, limits)))
    if {p.cid for p in parts} != set(declared):
        raise EbmsError("the ebMS header names a payload the message does not carry")
    return header, parts


def _decode(payload: etree._Element, cid: str, limits: MimeLimits) -> bytes:
    text = "".join((payload.findtext("value") or "").split())
    if len(text) * 3 // 4 > limits.max_part_bytes:
        raise EbmsError(
            f"the payload cid:{cid[:80]} is larger than the limit of {limits.max_part_bytes} bytes"
        )
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EbmsError(f"the payload cid:{cid[:80]} is not base64") from None
