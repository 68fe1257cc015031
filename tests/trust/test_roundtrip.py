"""Property: whatever text and attributes a document holds, our signature verifies here and in libxmlsec1,
and changing any one character of signed text breaks it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from emrex.trust.ca import Issued
from emrex.trust.errors import DigestMismatch
from emrex.trust.signer import Signer
from emrex.trust.verifier import verify
from tests.trust.oracles import xmlsec_verifies

E = "https://github.com/emrex-eu/elmo-schemas/tree/v1"

# XML 1.0 characters, including the ones canonicalization escapes (&, <, >, ", CR, tab).
_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00\ufffe\uffff"
    ).filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20),
    max_size=40,
)


def _document(values: list[tuple[str, str]]) -> bytes:
    root = etree.Element(f"{{{E}}}elmo", nsmap={None: E})
    for text, attribute in values:
        child = etree.SubElement(root, f"{{{E}}}title", type=attribute)
        child.text = text
        child.tail = "\n"
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=4), pick=st.integers(0, 3))
@example(values=[("a\r\nb & <c> ]]>", 'q"\t\n\r'), ("\u00e5\u4e2d\U0001f600", "")], pick=1)
def test_any_content_signs_verifies_and_detects_a_one_character_change(
    signer: Signer, emp: Issued, values: list[tuple[str, str]], pick: int
) -> None:
    signed = signer.sign(_document(values))
    result = verify(signed, emp.certificate)
    assert xmlsec_verifies(signed, emp)
    titles = result.signed_tree.getroot().findall(f"{{{E}}}title")
    assert [(t.text or "", t.get("type")) for t in titles] == values

    index = pick % len(values)
    tree = etree.fromstring(signed)
    title = tree.findall(f"{{{E}}}title")[index]
    title.text = (title.text or "") + "x"
    with pytest.raises(DigestMismatch):
        verify(etree.tostring(tree), emp.certificate)
