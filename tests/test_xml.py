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


def test_deep_nesting_is_refused() -> None:
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
