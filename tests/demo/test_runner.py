"""The demo listens on the loopback interface only, and a failed start leaves no port taken."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from emrex.demo.folder import DemoError
from emrex.demo.runner import bind, close
from tests.demo.helpers import free_port_base


def test_every_service_listens_on_loopback_only() -> None:
    base = free_port_base()
    bound = bind([("registry", "127.0.0.1", base), ("EMC", "localhost", base + 1)])
    try:
        addresses = [sock.getsockname()[0] for sockets in bound for sock in sockets]
        assert addresses and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    finally:
        close(bound)


def test_a_taken_port_releases_the_ports_already_bound() -> None:
    base = free_port_base()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 2))
        with pytest.raises(DemoError, match=f"port {base + 2} \\(EMP X\\)"):
            bind(
                [
                    ("registry", "127.0.0.1", base),
                    ("EMC", "localhost", base + 1),
                    ("EMP X", "127.0.0.1", base + 2),
                ]
            )
    again = bind([("registry", "127.0.0.1", base), ("EMC", "localhost", base + 1)])
    close(again)
