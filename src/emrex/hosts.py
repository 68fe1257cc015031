"""Host names of http(s) URLs read the way browsers read them (the WHATWG URL standard's host parser).

A browser takes ``2130706433``, ``0x7f000001`` and ``0177.0.0.1`` all for ``127.0.0.1``, decodes
percent-escapes in a host, and refuses IPv6 zone ids; Python's ``urlsplit`` does none of that. A check
that sees one host while the browser goes to another is a check of nothing, so ``browser_host`` gives
what the browser will use, and ``canonical_host`` refuses every host written in another form than that.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from emrex.errors import HostError as HostError  # emp.protocol imports it here

_FORBIDDEN = re.compile(r"[\x00-\x20#/:<>?@\[\\\]^|%\x7f]")
_DIGITS = {8: "01234567", 10: "0123456789", 16: "0123456789abcdef"}


@dataclass(frozen=True)
class Host:
    """A host as a browser serialises it: a domain, ``a.b.c.d`` or ``[v6]``."""

    text: str
    kind: Literal["domain", "ipv4", "ipv6"]

    @property
    def is_ip(self) -> bool:
        return self.kind != "domain"


def browser_host(raw: str) -> Host:
    """What a browser makes of ``raw``, the host part of an http(s) URL (no port, brackets kept)."""
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise HostError(f"the IPv6 address {raw!r} has no closing bracket")
        return Host(f"[{_ipv6(raw[1:-1])}]", "ipv6")
    if not raw:
        raise HostError("the host is empty")
    if "%" in raw:
        raise HostError(f"the host {raw!r} holds percent-escapes")
    if not raw.isascii():
        raise HostError(f"the host {raw!r} is not ASCII (write an internationalised name as xn--)")
    domain = raw.lower()
    if _FORBIDDEN.search(domain):
        raise HostError(f"the host {raw!r} holds a character that no host name may hold")
    if _ends_in_a_number(domain):
        return Host(_ipv4(domain), "ipv4")
    return Host(domain, "domain")


def canonical_host(raw: str) -> Host:
    """``browser_host(raw)``, refused unless ``raw`` is already written that way (letters aside)."""
    host = browser_host(raw)
    if host.text != raw.lower():
        what = "an IPv4 address" if host.kind == "ipv4" else "an IPv6 address" if host.is_ip else "a host"
        raise HostError(
            f"the host {raw!r} is {what} written in a disguised form; browsers read it as {host.text}"
        )
    return host


def _ends_in_a_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if last and all(c in _DIGITS[10] for c in last):
        return True
    try:
        _ipv4_number(last)
    except HostError:
        return False
    return True


def _ipv4_number(text: str) -> int:
    if not text:
        raise HostError("an empty part of an IPv4 address")
    radix = 10
    if text[:2] in ("0x", "0X"):
        radix, text = 16, text[2:]
    elif len(text) > 1 and text[0] == "0":
        radix, text = 8, text[1:]
    if not text:
        return 0
    if any(c not in _DIGITS[radix] for c in text.lower()):
        raise HostError(f"{text!r} is not a number in base {radix}")
    return int(text, radix)


def _ipv4(domain: str) -> str:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise HostError(f"the host {domain!r} looks like an IPv4 address with more than four parts")
    try:
        numbers = [_ipv4_number(part) for part in parts]
    except HostError:
        raise HostError(f"the host {domain!r} ends in a number but is not an IPv4 address") from None
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise HostError(f"the host {domain!r} is an IPv4 address out of range")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(value))


def _ipv6(text: str) -> str:
    if "%" in text:
        raise HostError(f"the IPv6 address [{text}] has a zone id, which browsers refuse")
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise HostError(f"[{text}] is not an IPv6 address") from None
    pieces = [int.from_bytes(address.packed[i : i + 2], "big") for i in range(0, 16, 2)]
    # The longest run of two or more zero pieces (the first of equals) becomes "::".
    start, length, best_start, best_length = -1, 0, -1, 1
    for index, piece in enumerate([*pieces, 1]):
        if piece == 0:
            if start < 0:
                start, length = index, 0
            length += 1
        elif start >= 0:
            if length > best_length:
                best_start, best_length = start, length
            start = -1
    if best_start < 0:
        return ":".join(f"{p:x}" for p in pieces)
    head = ":".join(f"{p:x}" for p in pieces[:best_start])
    tail = ":".join(f"{p:x}" for p in pieces[best_start + best_length :])
    return f"{head}::{tail}"
