"""``written_elmo`` says when the written document is in canonical form already (what a signer digests)."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import _ILLEGAL, _utf8, write_elmo, written_elmo
from emrex.trust import algorithms
from emrex.trust.c14n import canonical_document
from emrex.xml import parse_untrusted
from tests.elmo.test_roundtrip import ELMO

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _canonical(xml: bytes) -> bytes:
    return canonical_document(parse_untrusted(xml), algorithms.C14N)


def _body(xml: bytes) -> bytes:
    assert xml.startswith(_DECLARATION) and xml.endswith(b"\n")
    return xml[len(_DECLARATION) : -1]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ELMO)
def test_a_document_said_canonical_is_its_own_c14n(elmo: m.Elmo) -> None:
    written = written_elmo(elmo)
    assert written.xml == write_elmo(elmo)
    event(f"canonical: {written.canonical}")
    if written.canonical:
        assert _body(written.xml) == _canonical(written.xml)


def test_the_sample_with_its_transcript_is_canonical() -> None:
    written = written_elmo(sample_elmo(courses=30))  # with result distributions and groupings
    assert written.canonical
    assert _body(written.xml) == _canonical(written.xml)


def test_what_c14n_writes_otherwise_is_not_said_canonical() -> None:
    elmo = sample_elmo(courses=3)
    learner = elmo.learner
    cases = {
        "a carriage return": dataclasses.replace(learner, given_names="Ann\r\nMarie"),
        "'>' in an attribute": dataclasses.replace(learner, identifiers=(m.Identifier("a>b", "1"),)),
        "a tab in an attribute": dataclasses.replace(learner, identifiers=(m.Identifier("a\tb", "1"),)),
    }
    for name, changed in cases.items():
        written = written_elmo(dataclasses.replace(elmo, learner=changed))
        assert not written.canonical, name
        assert _body(written.xml) != _canonical(written.xml), name
    with_extension = dataclasses.replace(elmo, extension=b'<x:a xmlns:x="urn:x" x:k="v"/>')
    assert not written_elmo(with_extension).canonical


@given(st.text(st.one_of(st.characters(), st.sampled_from("\ud800\udfff\ufffe\uffff\uffef\x00\x1f\t\r\n"))))
def test_characters_xml_cannot_carry_are_found_in_the_bytes(text: str) -> None:
    assert (_utf8(text) is None) == (_ILLEGAL.search(text) is not None)
    if _ILLEGAL.search(text) is None:
        assert _utf8(text) == text.encode("utf-8")
