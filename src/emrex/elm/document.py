"""What a file holds, told by its content: ELMO (XML or the transport form), ELM, or a sealed ELM.

A sealed ELM is a JWS in JSON serialization (or compact) whose payload is the credential. Its payload
is taken here WITHOUT checking the seal: verifying it is the seal package's job (``emrex edc verify``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from emrex.elm.errors import ElmParseError
from emrex.elm.from_elm import ElmoResult, elm_to_elmo
from emrex.elm.jsondoc import DEFAULT_MAX_JSON_BYTES, load_json
from emrex.elm.to_elm import ElmResult, Sealer, elmo_to_elm
from emrex.elmo import codec
from emrex.elmo.errors import ElmoParseError
from emrex.elmo.reader import read_elmo
from emrex.errors import EmrexError


class Kind(StrEnum):
    ELMO = "ELMO"
    ELM = "ELM"
    SEALED_ELM = "sealed ELM"


@dataclass
class Document:
    kind: Kind
    xml: bytes | None = None  # ELMO: the XML (decoded from the transport form when it came so)
    credential: dict[str, Any] | None = None  # ELM: the credential (a sealed one's payload)
    notes: list[str] = field(default_factory=list)


def read_document(data: bytes, *, max_bytes: int = DEFAULT_MAX_JSON_BYTES) -> Document:
    """The document in ``data``; ElmParseError (or another EmrexError) saying why it is unreadable."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return Document(Kind.ELMO, xml=data)
    if head == b"{":
        value = load_json(data, max_bytes=max_bytes)
        if not isinstance(value, dict):
            raise ElmParseError("the JSON document is not an object")
        if "payload" in value:
            return Document(
                Kind.SEALED_ELM,
                credential=_payload_object(value),
                notes=["the seal was not verified here (use 'emrex edc verify')"],
            )
        if "credentialSubject" in value or "@context" in value:
            return Document(Kind.ELM, credential=value)
        raise ElmParseError("a JSON document that is neither an ELM credential nor a sealed one")
    text = data.strip()
    if text.count(b".") == 2 and text[:2] == b"ey":
        return Document(
            Kind.SEALED_ELM,
            credential=_compact_payload(text),
            notes=["the seal was not verified here (use 'emrex edc verify')"],
        )
    try:
        xml = codec.decode(data)
    except EmrexError as exc:
        raise ElmParseError(f"neither ELMO, ELM nor a sealed ELM credential ({exc})") from None
    return Document(Kind.ELMO, xml=xml)


def _b64url(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ElmParseError(f"the seal's {what} is not base64url") from None


def _payload_object(envelope: dict[str, Any]) -> dict[str, Any]:
    payload = envelope["payload"]
    signatures = envelope.get("signatures")
    first = signatures[0] if isinstance(signatures, list) and signatures else envelope
    protected = first.get("protected") if isinstance(first, dict) else None
    unencoded = False
    if isinstance(protected, str):
        header = load_json(_b64url(protected, "protected header"))
        unencoded = isinstance(header, dict) and header.get("b64") is False
    if isinstance(payload, dict):
        return payload
    if not isinstance(payload, str):
        raise ElmParseError("the sealed document's payload is not a string")
    raw = payload.encode("utf-8") if unencoded else _b64url(payload, "payload")
    credential = load_json(raw)
    if not isinstance(credential, dict):
        raise ElmParseError("the sealed payload is not a JSON object")
    return credential


def _compact_payload(token: bytes) -> dict[str, Any]:
    _, payload, _ = token.decode("ascii", "replace").split(".")
    if not payload:
        raise ElmParseError("a compact seal with a detached payload: the credential is not inside")
    credential = load_json(_b64url(payload, "payload"))
    if not isinstance(credential, dict):
        raise ElmParseError("the sealed payload is not a JSON object")
    return credential


@dataclass
class Conversion:
    """The outcome of ``convert``: the bytes written and what the reader should know."""

    kind: Kind  # what the input was
    output: bytes
    to: str  # "elm" or "elmo"
    warnings: list[str]
    lossless: bool = False
    elm: ElmResult | None = None
    elmo: ElmoResult | None = None


def convert(
    data: bytes,
    *,
    to: str | None = None,
    sealer: Sealer | None = None,
    issued: dt.datetime | None = None,
    pretty: bool = False,
) -> Conversion:
    """ELMO -> ELM (Converted profile, original embedded) or ELM -> ELMO, by the input's content."""
    document = read_document(data)
    target = to or ("elm" if document.kind is Kind.ELMO else "elmo")
    if document.kind is Kind.ELMO:
        if target != "elm":
            raise ElmParseError("the input is ELMO already; convert it --to elm")
        assert document.xml is not None
        if sealer is None:
            raise ElmParseError(
                "converting to ELM needs the sealing organisation (legal name, country, eIDAS id)"
            )
        try:
            read = read_elmo(document.xml)
        except ElmoParseError as exc:
            raise ElmParseError(f"unreadable ELMO: {exc}") from None
        result = elmo_to_elm(read.elmo, sealer, original=document.xml, issued=issued)
        notes = [] if read.elmo.signed else ["the ELMO document carries no signature; embedded as it is"]
        return Conversion(
            document.kind, result.to_json(indent=pretty), "elm", notes + result.warnings, elm=result
        )
    if target != "elmo":
        raise ElmParseError(f"the input is {document.kind.value} already; convert it --to elmo")
    assert document.credential is not None
    back = elm_to_elmo(document.credential)
    warnings = document.notes + back.warnings
    return Conversion(document.kind, back.xml, "elmo", warnings, lossless=back.lossless, elmo=back)
