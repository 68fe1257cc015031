"""Random structural edits anywhere in a signed document: verify refuses with a SignatureError (or an
XmlError), or returns exactly the content that was signed. Never another exception, never other data."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from emrex.errors import EmrexError
from emrex.trust.ca import Issued
from emrex.trust.errors import SignatureError
from emrex.trust.verifier import verify

_EDITS = ("delete", "duplicate", "attribute", "text", "tail", "move", "comment")
_VALUES = st.sampled_from(
    [
        "",
        "x",
        " ",
        "AAAA",
        "#default",
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/TR/1999/REC-xpath-19991116",
        "#id",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(_EDITS), st.integers(0, 10_000), st.integers(0, 10_000), _VALUES),
        min_size=1,
        max_size=3,
    ),
    in_signature=st.booleans(),
)
def test_edits_are_refused_or_change_nothing_that_comes_out(
    signed: bytes, emp: Issued, edits: list[tuple[str, int, int, str]], in_signature: bool
) -> None:
    expected = verify(signed, emp.certificate).signed_xml
    root = etree.fromstring(signed)
    for edit, first, second, value in edits:
        scope = root[-1] if in_signature and len(root) and root[-1].tag.endswith("Signature") else root
        elements = [el for el in scope.iter() if isinstance(el.tag, str)]
        target = elements[first % len(elements)]
        other = elements[second % len(elements)]
        parent = target.getparent()
        if edit == "delete" and parent is not None:
            parent.remove(target)
        elif edit == "duplicate" and parent is not None:
            target.addnext(copy.deepcopy(target))
        elif edit == "attribute":
            target.set("Algorithm" if second % 2 else "URI", value)
        elif edit == "text":
            target.text = value
        elif edit == "tail" and parent is not None:
            target.tail = value
        elif (
            edit == "move"
            and target is not root
            and target not in other.iterancestors()
            and target is not other
        ):
            other.append(target)
        elif edit == "comment":
            target.insert(0, etree.Comment(value.replace("-", "")))
    try:
        result = verify(etree.tostring(root), emp.certificate)
    except SignatureError as error:
        assert "\n" not in str(error)
        return
    except EmrexError:  # XmlError from parsing: its wording belongs to emrex.xml
        return
    assert result.signed_xml == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=4))
def test_byte_changes_are_refused_or_change_nothing_that_comes_out(
    signed: bytes, emp: Issued, flips: list[tuple[int, int]]
) -> None:
    expected = verify(signed, emp.certificate).signed_xml
    data = bytearray(signed)
    for position, value in flips:
        data[position % len(data)] = value
    try:
        result = verify(bytes(data), emp.certificate)
    except SignatureError as error:
        assert "\n" not in str(error)
        return
    except EmrexError:  # XmlError from parsing: its wording belongs to emrex.xml
        return
    assert result.signed_xml == expected
