"""Certificates and registry documents made on the spot for registry tests."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)


@cache
def make_cert(name: str, days_left: int = 365) -> x509.Certificate:
    """A self-signed certificate for ``name`` that expires ``days_left`` days from now (negative: expired)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    not_after = NOW + dt.timedelta(days=days_left)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(NOW, not_after) - dt.timedelta(days=30))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode("ascii")


def emp_entry(acronym: str, country: str = "SE", **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "url": f"https://{acronym.lower()}.example.org/emp/",
        "acronym": acronym,
        "countryCode": country,
        "institutions": [f"{acronym} University"],
        "pubKey": pem(make_cert(acronym)),
    }
    entry.update(changes)
    return entry


def emreg_document(
    *emps: dict[str, Any], countries: list[dict[str, Any]] | None = None, key: str = "emps"
) -> bytes:
    if countries is None:
        codes = dict.fromkeys(e["countryCode"] for e in emps)
        countries = [{"countryCode": c, "countryName": f"Country {c}", "singleFetch": False} for c in codes]
    return json.dumps({"countries": countries, key: list(emps)}).encode("utf-8")


class Switchable:
    """What the local test server answers; tests change it between requests."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b""
        self.delay = 0.0
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.requests = 0


def serve(state: Switchable) -> tuple[ThreadingHTTPServer, str]:
    """Start an HTTP server on 127.0.0.1 in a thread; returns it and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            if state.delay:
                time.sleep(state.delay)
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            if "Location" not in state.headers:
                self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that gave up (timeout tests) is expected

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def write_config(folder: Path, extra: str = "", *, port: int = 8080) -> Path:
    """A server configuration with two Polish EMPs and one Swedish, their certificates beside it."""
    certs = folder / "certs"
    certs.mkdir(exist_ok=True)
    (certs / "uw.pem").write_text(pem(make_cert("UW")))
    (certs / "uw-next.der").write_bytes(make_cert("UW-next").public_bytes(Encoding.DER))
    (certs / "uj.pem").write_text(pem(make_cert("UJ")).replace("\n", " "))  # badly wrapped is fine
    (certs / "ladok.pem").write_text(pem(make_cert("LADOK")))
    path = folder / "registry.toml"
    path.write_text(
        f"""host = "127.0.0.1"
port = {port}

[[countries]]
code = "PL"
name = "Poland"
singleFetch = true

[[emps]]
acronym = "UW"
country = "pl"
institutions = ["Uniwersytet Warszawski"]
url = "https://usos.uw.example.org/emp"
certificates = ["certs/uw.pem", "certs/uw-next.der"]

[[emps]]
acronym = "UJ"
country = "PL"
institutions = ["Uniwersytet Jagielloński"]
url = "https://usos.uj.example.org/emp"
certificates = ["certs/uj.pem"]

[[emps]]
acronym = "LADOK"
country = "SE"
url = "https://emp.ladok.example.org/"
certificates = ["certs/ladok.pem"]
{extra}""",
        encoding="utf-8",
    )
    return path
