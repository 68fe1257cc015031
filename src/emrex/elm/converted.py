"""The EDC Converted profile: the original signed ELMO travels inside the credential as evidence.

``EDC-converted.ttl`` asks for an ``Evidence`` with an ``embeddedEvidence`` media object. We put the
exact bytes of the ELMO document there (base64), so converting back returns those bytes and the data
provider's XML signature still verifies against the registry. The evidence type is a concept we mint
(``urn:emrex:evidence-type:converted-from-elmo``): the EU evidence-type list's concept for a conversion
is not in the material at hand.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from emrex.elm import vocab as v
from emrex.elm.errors import ElmParseError

ORIGINAL_TITLE = "Original ELMO document, signed by its data provider"
STATEMENT = (
    "This credential was converted from the attached ELMO document (EMREX), which carries the "
    "XML signature of the data provider that issued it. The original document is embedded unchanged."
)


def evidence_node(evidence_id: str, media_id: str, original: bytes) -> dict[str, Any]:
    return {
        "id": evidence_id,
        "type": "Evidence",
        "dcType": v.concept(v.CONVERTED_EVIDENCE, v.EVIDENCE_SCHEME, "Converted from ELMO"),
        "evidenceStatement": STATEMENT,
        "embeddedEvidence": {
            "id": media_id,
            "type": "MediaObject",
            "title": {"en": ORIGINAL_TITLE},
            "content": base64.b64encode(original).decode("ascii"),
            "contentEncoding": v.concept(v.BASE64, v.ENCODING_SCHEME, "base64"),
            "contentType": v.file_type("application/xml"),
        },
    }


def extract_original(credential: dict[str, Any]) -> bytes | None:
    """The embedded original ELMO bytes of a Converted credential, or None when it carries none.

    ElmParseError when the evidence is there but its content is not base64.
    """
    for evidence in _as_list(credential.get("evidence")):
        if not isinstance(evidence, dict) or not _is_conversion(evidence):
            continue
        for media in _as_list(evidence.get("embeddedEvidence")):
            if not isinstance(media, dict) or not isinstance(media.get("content"), str):
                continue
            if v.media_type(media.get("contentType")) not in ("application/xml", "text/xml"):
                continue
            try:
                return base64.b64decode(media["content"], validate=True)
            except (binascii.Error, ValueError):
                raise ElmParseError("the embedded original ELMO document is not valid base64") from None
    return None


def _is_conversion(evidence: dict[str, Any]) -> bool:
    kind = evidence.get("dcType")
    return isinstance(kind, dict) and kind.get("id") == v.CONVERTED_EVIDENCE


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
