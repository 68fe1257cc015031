"""The node-making half of the ELMO -> ELM writer: identifiers, texts, notes and the markers.

``NodeBuilder`` numbers every node of one credential (``urn:epass:<kind>:<uuid>-<n>``) and collects
the warnings; ``ResultBuilder`` and the writer in ``emrex.elm.to_elm`` build on it. The marker
schemes are read back by ``emrex.elm.from_elm``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from emrex.elm import vocab as v
from emrex.elmo import model as m

UNDETERMINED = "und"  # ISO 639-2 for a text whose language ELMO does not give
LOS_TYPE_SCHEME = "elmo:type:los"  # the DC4EU marker for the ELMO LOS type
MARK_ATTACHMENT = "elmo:attachment"  # an LOI's reference to an attachment (internal id)
MARK_GROUPING = "elmo:grouping"  # an LOI's grouping: "typeref", "idref" and text, JSON-encoded
MARK_REPORT = "elmo:report"  # which report an attachment belongs to (1-based)
MARK_CREDIT_LEVEL = "elmo:credit-level"
MARK_CREDIT_SCHEME = "elmo:credit-scheme"


def timestamp(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
        return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    return value.replace(microsecond=0).isoformat()


def day(value: dt.date) -> str:
    return f"{value.isoformat()}T00:00:00"


def decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return "0" if text == "-0" else text


class NodeBuilder:
    """Identifiers, texts and small nodes shared by every part of one credential."""

    def __init__(self, base: str, display_language: str) -> None:
        self.base = base
        self.count = 0
        self.warnings: list[str] = []
        self.display_language = display_language
        self.note_formats: dict[str, dict[str, Any]] = {}
        self.status_concepts: dict[str, dict[str, Any]] = {}
        self.credit_frameworks: dict[str, dict[str, Any]] = {}

    def id(self, kind: str) -> str:
        self.count += 1
        return f"urn:epass:{kind}:{self.base}-{self.count}"

    def warn(self, where: str, what: str) -> None:
        self.warnings.append(f"{where}: {what}")

    # --- texts ---------------------------------------------------------------------------------------

    def texts(self, texts: Sequence[m.LangText], where: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for text in texts:
            lang = text.lang or UNDETERMINED
            if lang in out:
                self.warn(where, f"a second text in {lang!r} is dropped (ELM allows one per language)")
                continue
            out[lang] = text.text
        return out

    def note(self, text: str, fmt: str = "text/plain", lang: str = UNDETERMINED) -> dict[str, Any]:
        node_format = self.note_formats.get(fmt)
        if node_format is None:
            node_format = {
                "id": f"urn:emrex:note-format:{fmt}",
                "type": "Concept",
                "definition": {UNDETERMINED: v.NOTE_FORMAT},
                "notation": fmt,
            }
            self.note_formats[fmt] = node_format
        return {"id": self.id("note"), "type": "Note", "noteFormat": node_format, "noteLiteral": {lang: text}}

    def identifiers(self, identifiers: Sequence[m.Identifier]) -> list[dict[str, Any]]:
        return [self.identifier(i.type, i.value) for i in identifiers]

    def identifier(self, scheme_name: str, notation: str) -> dict[str, Any]:
        return {
            "id": self.id("identifier"),
            "type": "Identifier",
            "schemeName": scheme_name,
            "notation": notation,
        }

    def location(self, country: str | None, full_address: str | None, where: str) -> dict[str, Any] | None:
        concept = v.country(country) if country else None
        if concept is None:
            self.warn(where, "has no country, which an ELM location requires; left out")
            return None
        address: dict[str, Any] = {"id": self.id("address"), "type": "Address", "countryCode": concept}
        if full_address:
            address["fullAddress"] = self.note(full_address)
        return {"id": self.id("location"), "type": "Location", "address": address}

    def web(self, url: str) -> dict[str, Any]:
        return {"id": self.id("webResource"), "type": "WebResource", "contentURL": url}
