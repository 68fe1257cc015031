from __future__ import annotations

import pytest

from emrex.errors import InputTooLarge, XmlError
from emrex.xml import localname, namespace, parse_untrusted

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<elmo><learner><givenNames>&lol4;</givenNames></learner></elmo>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE elmo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<elmo><learner><givenNames>&xxe;</givenNames></learner></elmo>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE elmo SYSTEM "http://127.0.0.1:9/evil.dtd">
<elmo/>"""


def test_parses_plain_documents() -> None:
    tree = parse_untrusted(b'<elmo xmlns="urn:x"><a>1</a></elmo>')
    root = tree.getroot()
    assert localname(root) == "elmo"
    assert namespace(root) == "urn:x"


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_refuses_dtds_and_entities(doc: bytes) -> None:
    with pytest.raises(XmlError, match="DOCTYPE"):
        parse_untrusted(doc)


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(XmlError, match=r"^line 3: not well-formed XML"):
        parse_untrusted(b"<elmo>\n<a>\n</b></elmo>")


def test_undeclared_entity_is_malformed() -> None:
    with pytest.raises(XmlError, match="not well-formed"):
        parse_untrusted(b"<elmo>&xxe;</elmo>")


@pytest.mark.parametrize("data", [b"", b"  \n", b"\t\r\n\x0b\x0c "])
def test_empty_input(data: bytes) -> None:
    with pytest.raises(XmlError, match="empty"):
        parse_untrusted(data)


def test_size_limit() -> None:
    with pytest.raises(InputTooLarge):
        parse_untrusted(b"<a>" + b"x" * 100 + b"</a>", max_bytes=50)


def test_deep_nesting_is_refused() -> None:  # libxml2 stops at 2048 levels, we at 256
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(XmlError):
        parse_untrusted(deep)


@pytest.mark.parametrize(
    "doc", [b"<elmo><a></elmo>", b"<elmo>\n<a x='1' x='2'/></elmo>", b"<elmo", b"\x00\x01"]
)
def test_parse_errors_are_one_line(doc: bytes) -> None:
    with pytest.raises(XmlError) as caught:
        parse_untrusted(doc)
    assert "\n" not in str(caught.value)


def test_a_text_node_over_ten_million_characters_is_read_within_the_size_limit() -> None:
    # libxml2 alone refuses any text node over 10 000 000 characters ("try XML_PARSE_HUGE"): a PDF
    # attachment of about 7.5 MB. Our own limit on the document's size decides instead.
    text = "QUJD" * 3_000_000  # 12 000 000 characters, like the base64 of a 9 MB PDF
    tree = parse_untrusted(f"<a><b>{text}</b></a>".encode(), max_bytes=13_000_000)
    b = tree.getroot()[0]
    assert b.text is not None and len(b.text) == 12_000_000


def test_the_size_limit_decides_about_a_large_text_node_in_our_words() -> None:
    with pytest.raises(InputTooLarge, match="larger than the limit of 1000000 bytes"):
        parse_untrusted(b"<a>" + b"x" * 1_000_001 + b"</a>", max_bytes=1_000_000)


def test_too_many_elements_are_refused_before_parsing() -> None:
    flat = b"<a>" + b"<b/>" * 2_400_000 + b"</a>"  # 9.6 MB of tiny elements
    with pytest.raises(InputTooLarge, match="2400002 tags is over the limit of 200000 elements"):
        parse_untrusted(flat, max_bytes=len(flat))


def test_the_element_count_is_exact_after_a_cheap_first_count() -> None:
    # 1500 elements in 1501 tags: under twice the limit, so parsed and then counted.
    doc = b"<a>" + b"<b/>" * 1499 + b"</a>"
    with pytest.raises(InputTooLarge, match="1500 elements is over the limit of 1000 elements"):
        parse_untrusted(doc, max_elements=1000)
    assert len(parse_untrusted(doc, max_elements=1500).getroot()) == 1499
    # Comments count as tags for the cheap count only.
    commented = b"<a>" + b"<!-- c -->" * 1500 + b"</a>"
    assert parse_untrusted(commented, max_elements=1000).getroot().tag == "a"


@pytest.mark.parametrize("depth", [257, 3000])
def test_nesting_deeper_than_256_levels_is_refused_in_our_words(depth: int) -> None:
    deep = b"<a>" * depth + b"</a>" * depth
    with pytest.raises(XmlError, match="nested deeper than 256 levels") as caught:
        parse_untrusted(deep)
    assert "XML_PARSE_HUGE" not in str(caught.value)


def test_256_levels_are_read() -> None:
    assert parse_untrusted(b"<a>" * 256 + b"</a>" * 256).getroot().tag == "a"
