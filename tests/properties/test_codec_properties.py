"""Properties of the transport codec for generated documents and for arbitrary posted values."""

from __future__ import annotations

import base64
import contextlib
import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emrex.elmo.codec import CodecLimits, decode, encode
from emrex.errors import EmrexError, InputTooLarge

XML = st.text(max_size=400).map(lambda body: f"<elmo>{body}</elmo>".encode())
SMALL = CodecLimits(max_encoded_bytes=64 * 1024, max_decoded_bytes=16 * 1024, max_ratio=50)


@given(XML)
def test_decode_undoes_encode_within_the_limits(xml: bytes) -> None:
    compressed = len(gzip.compress(xml, mtime=0))
    if len(xml) <= min(SMALL.max_decoded_bytes, compressed * SMALL.max_ratio):
        assert decode(encode(xml), SMALL) == xml
    else:
        with pytest.raises(InputTooLarge):
            decode(encode(xml), SMALL)


@given(XML, st.integers(1, 120), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans(), st.booleans())
def test_wrapped_unpadded_or_space_mangled_values_decode_the_same(
    xml: bytes, width: int, newline: str, unpad: bool, spaces: bool
) -> None:
    value = encode(xml)
    if unpad:
        value = value.rstrip("=")
    if spaces:
        value = value.replace("+", " ")  # what a careless form encoder makes of '+'
    wrapped = newline.join(value[i : i + width] for i in range(0, len(value), width))
    assert decode(wrapped) == xml


def test_plain_xml_in_the_form_field_keeps_letters_outside_latin_1() -> None:
    # Found by the property below: the text was encoded as Latin-1 with "?" for other letters, so a
    # plain-XML answer with a Greek name never verified.
    xml = "<elmo><learner><givenNames>Ελένη Ø \u0080</givenNames></learner></elmo>"
    assert decode(xml) == xml.encode("utf-8")


@given(XML)
def test_plain_xml_and_base64_of_xml_are_accepted(xml: bytes) -> None:
    assert decode(xml.decode()) == xml
    assert decode(base64.b64encode(xml).decode()) == xml


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())))
def test_any_value_is_decoded_within_bounds_or_refused_with_a_reason(value: str) -> None:
    try:
        data = decode(value, SMALL)
    except EmrexError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert 0 < len(data) <= SMALL.max_decoded_bytes


@given(st.binary(min_size=1, max_size=200), st.integers(0, 10**6))
def test_damaged_gzip_is_refused_never_crashes(data: bytes, cut: int) -> None:
    packed = gzip.compress(b"<elmo>" + data + b"</elmo>", mtime=0)
    damaged = packed[: cut % len(packed)] + data[:8]
    with contextlib.suppress(EmrexError):
        decode(base64.b64encode(damaged).decode(), SMALL)
