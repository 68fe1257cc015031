from __future__ import annotations

import base64
import gzip
from pathlib import Path

import pytest

from emrex.elmo import codec
from emrex.errors import InputTooLarge, TransportError

XML = (
    '<?xml version="1.0" encoding="UTF-8"?><elmo><learner><givenNames>Åsa</givenNames></learner></elmo>'
).encode()


def test_encode_is_base64_of_gzip() -> None:
    value = codec.encode(XML)
    assert value.startswith("H4sI")  # the base64 form of the gzip magic
    assert gzip.decompress(base64.b64decode(value)) == XML


def test_encode_is_deterministic() -> None:
    assert codec.encode(XML) == codec.encode(XML)


def test_round_trip() -> None:
    assert codec.decode(codec.encode(XML)) == XML


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: "\n".join(v[i : i + 76] for i in range(0, len(v), 76)),  # MIME line wrapping
        lambda v: v.rstrip("="),  # padding dropped
        lambda v: v.replace("+", " "),  # '+' decoded as a space by a sloppy form decoder
        lambda v: "  " + v + "\r\n",
        lambda v: v.replace("+", "-").replace("/", "_"),  # URL-safe alphabet
    ],
)
def test_decode_tolerates_what_peers_send(mangle: object) -> None:
    value = codec.encode(XML + b"<!--" + bytes(range(48, 120)) * 40 + b"-->")
    assert callable(mangle)
    assert codec.decode(mangle(value)).startswith(XML)


def test_decode_accepts_plain_xml_and_base64_of_plain_xml() -> None:
    assert codec.decode(XML) == XML
    assert codec.decode(base64.b64encode(XML)) == XML
    assert codec.decode(gzip.compress(XML)) == XML


def test_decode_accepts_concatenated_gzip_members() -> None:
    value = base64.b64encode(gzip.compress(XML[:30]) + gzip.compress(XML[30:]))
    assert codec.decode(value) == XML


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("not base64 at all!", "outside the base64 alphabet"),
        ("QUJD" * 3 + "Q", "impossible"),
        (base64.b64encode(b"plain bytes that are not xml").decode(), "neither gzip data nor XML"),
        (base64.b64encode(gzip.compress(XML)[:-12]).decode(), "truncated"),
        (base64.b64encode(b"\x1f\x8b" + b"garbage" * 5).decode(), "not valid gzip"),
    ],
)
def test_decode_errors_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(TransportError, match=message):
        codec.decode(value)


def test_gzip_bomb_is_refused_by_ratio() -> None:
    bomb = base64.b64encode(gzip.compress(b"<" + b"a" * 50_000_000))
    with pytest.raises(InputTooLarge, match="gzip bomb"):
        codec.decode(bomb)


def test_decoded_size_limit() -> None:
    limits = codec.CodecLimits(max_decoded_bytes=1000, max_ratio=10_000)
    value = codec.encode(b"<elmo>" + b" " * 5000 + b"</elmo>")
    with pytest.raises(InputTooLarge, match="limit of 1000 bytes"):
        codec.decode(value, limits)
    with pytest.raises(InputTooLarge):
        codec.decode(b"<elmo>" + b" " * 5000 + b"</elmo>", limits)


def test_encoded_size_limit() -> None:
    with pytest.raises(InputTooLarge, match="more than the limit"):
        codec.decode("A" * 101, codec.CodecLimits(max_encoded_bytes=100))


def test_interop_transport_values(interop_dir: Path) -> None:
    for name in ("dk-emrex__elmo-tomcat-signed-zipped-base64.txt", "dk-emrex__wl.txt"):
        xml = codec.decode((interop_dir / "transport" / name).read_bytes())
        assert xml.lstrip().startswith(b"<")
        assert b"elmo" in xml[:400]
    # The tomcat transport value carries exactly the signed sample document.
    decoded = codec.decode(
        (interop_dir / "transport" / "dk-emrex__elmo-tomcat-signed-zipped-base64.txt").read_bytes()
    )
    assert (
        decoded.strip()
        == (interop_dir / "signed-valid" / "dk-emrex__elmo-tomcat-signed.xml").read_bytes().strip()
    )
