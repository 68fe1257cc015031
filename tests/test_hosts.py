"""Host parsing as browsers do it, with Node's WHATWG URL parser as an oracle where it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from emrex.errors import HostError
from emrex.hosts import browser_host, canonical_host

# raw host -> what the WHATWG URL standard makes of it (None: browsers refuse the URL)
EXPECTED: dict[str, str | None] = {
    "emc.home.example": "emc.home.example",
    "EMC.Home.Example": "emc.home.example",
    "xn--hme-qdd.example": "xn--hme-qdd.example",
    "localhost": "localhost",
    "127.0.0.1": "127.0.0.1",
    "2130706433": "127.0.0.1",
    "0x7f000001": "127.0.0.1",
    "0X7F000001": "127.0.0.1",
    "0177.0.0.1": "127.0.0.1",
    "0177.1": "127.0.0.1",
    "127.1": "127.0.0.1",
    "1.256": "1.0.1.0",
    "1.2.3.04": "1.2.3.4",
    "1.2.3.4.": "1.2.3.4",
    "0x.0x.0x.0x": "0.0.0.0",  # noqa: S104
    "256.0.0.1": None,
    "0x100000000": None,
    "1.2.3.4.5": None,
    "foo.09": None,
    "a.b.0x": None,
    "emc.123": None,
    "09.1.1.1": None,
    "[::1]": "[::1]",
    "[0:0:0:0:0:0:0:1]": "[::1]",
    "[::FFFF:127.0.0.1]": "[::ffff:7f00:1]",
    "[1:0:0:2:0:0:0:3]": "[1:0:0:2::3]",
    "[2001:db8:0:0:1:0:0:1]": "[2001:db8::1:0:0:1]",
    "[1:2:3:4:5:6:7:8]": "[1:2:3:4:5:6:7:8]",
    "[fe80::1%25eth0]": None,
    "[fe80::1%eth0]": None,
    "[::1": None,
    "[1::2::3]": None,
    "a b": None,
    "a<b": None,
}
# Stricter than browsers on purpose: percent-escapes and non-ASCII letters in a host are refused.
STRICTER = {"ex%61mple.com": "example.com", "exämple.com": "xn--exmple-cua.com"}


@pytest.mark.parametrize(("raw", "expected"), sorted(EXPECTED.items()))
def test_hosts_are_read_as_browsers_read_them(raw: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(HostError):
            browser_host(raw)
    else:
        assert browser_host(raw).text == expected


@pytest.mark.parametrize("raw", sorted(STRICTER))
def test_percent_escapes_and_non_ascii_hosts_are_refused(raw: str) -> None:
    with pytest.raises(HostError):
        browser_host(raw)


@pytest.mark.parametrize(
    "raw",
    ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "1.2.3.4.", "[0:0:0:0:0:0:0:1]", "[::FFFF:1.2.3.4]"],
)
def test_a_disguised_address_is_not_canonical(raw: str) -> None:
    with pytest.raises(HostError) as caught:
        canonical_host(raw)
    assert "browsers read it as" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("raw", ["emc.home.example", "Emc.Example", "127.0.0.1", "[::1]", "[2001:db8::1]"])
def test_canonical_hosts_pass(raw: str) -> None:
    assert canonical_host(raw).text == raw.lower()


def test_node_reads_every_host_the_same_way() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the WHATWG URL oracle is missing")
    inputs = sorted({*EXPECTED, *STRICTER})
    script = (
        "const out = {}; for (const h of JSON.parse(process.argv[1])) {"
        " try { out[h] = new URL('https://' + h + '/').hostname } catch (e) { out[h] = null } }"
        " console.log(JSON.stringify(out))"
    )
    result = subprocess.run(
        [node, "-e", script, json.dumps(inputs)], capture_output=True, text=True, check=True
    )
    oracle = json.loads(result.stdout)
    for raw in inputs:
        browser = oracle[raw]
        try:
            ours: str | None = browser_host(raw).text
        except HostError:
            ours = None
        if raw in STRICTER:
            assert ours is None and browser == STRICTER[raw], (raw, browser)
        else:
            assert ours == browser, f"{raw!r}: node reads {browser!r}, we read {ours!r}"
