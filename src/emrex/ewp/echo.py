"""The Echo API v2 (ewp-specs-api-echo): the institutions the caller's key covers, and its ``echo``
values in the order sent. Partners use it to test their HTTP Signature set-up against ours."""

from __future__ import annotations

from lxml import etree

from emrex.ewp.namespaces import ECHO_NS, document
from emrex.ewp.params import Params, values
from emrex.ewp.request_auth import Caller


def echo(caller: Caller, params: Params) -> bytes:
    root = etree.Element(f"{{{ECHO_NS}}}response", nsmap={None: ECHO_NS})  # type: ignore[dict-item]
    for hei_id in sorted(caller.hei_ids):
        etree.SubElement(root, f"{{{ECHO_NS}}}hei-id").text = hei_id
    for value in values(params, "echo"):
        etree.SubElement(root, f"{{{ECHO_NS}}}echo").text = _xml_text(value)
    return document(root)


def _xml_text(value: str) -> str:
    # XML 1.0 cannot carry most control characters; an echo of them would not be well-formed.
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else "\N{REPLACEMENT CHARACTER}" for c in value)
