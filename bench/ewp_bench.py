"""EWP speed: verifying a signed request, and a ToRs ``get`` of 10 transcripts of 60 courses each.

Run: .venv/bin/python -m bench.ewp_bench. Budgets: verifying a signed request (signature, dates,
digest, replay cache, registry look-up) at most 2 ms; a whole ``get`` through ``EwpServer`` (verify
the request, read 10 stored signed ELMOs of 60 courses, build the response, sign it) at most 200 ms
on one core. The ELMOs are made and signed beforehand, as a deployment stores them at approval.
Reference rows in the same run: PyPI ``httpsig`` checking the same request signatures (signature
only), and the floor of the ``get`` (parsing and writing the 10 ELMOs, nothing else).
Exits 1 when a budget is missed.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import urlencode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from httpsig.verify import HeaderVerifier
from lxml import etree

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.ewp import (
    EwpServer,
    HttpRequest,
    IncomingMobility,
    Institution,
    ManifestHost,
    MemoryMobilities,
    MemoryReplayCache,
    RequestVerifier,
    SigningKey,
    Student,
    ToRsApi,
    manifest_xml,
    sign_request,
)
from emrex.registry import catalogue_from_manifests, read_ewp_catalogue
from emrex.trust.ca import issue, make_ca
from emrex.trust.signer import Signer
from emrex.xml import parse_untrusted

BUDGET_VERIFY_MS = 2.0
BUDGET_GET_MS = 200.0
TRANSCRIPTS, COURSES = 10, 60
HOST, SENDER = "fjordby.example", "lindholm.example"
PATH = "/ewp/imobility-tors/get"
ESI = "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _median_ms(actions: list[Callable[[], object]]) -> float:
    times = []
    for action in actions:
        gc.collect()
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    client, server_key = _key(), _key()
    manifests = [
        manifest_xml(
            ManifestHost(
                manifest_url=f"https://{host}/m.xml",
                admin_emails=(f"ewp@{host}",),
                admin_provider=host,
                institution=Institution(host, ((host, "en"),)),
                client_keys=(key.public_key(),),
                server_keys=(key.public_key(),),
            )
        )
        for host, key in ((SENDER, client), (HOST, server_key))
    ]
    catalogue = read_ewp_catalogue(catalogue_from_manifests(manifests))
    signing = SigningKey(client)
    issued = issue(make_ca("Bench CA"), "EMP Fjordby")
    signer = Signer(issued.key, issued.certificate)
    elmos = {f"m{n}": signer.sign(write_elmo(sample_elmo(COURSES, seed=n))) for n in range(TRANSCRIPTS)}
    student = Student("Åsa", "Lindqvist", ESI)
    period = (dt.date(2026, 1, 15), dt.date(2026, 6, 15))
    approved = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    source = MemoryMobilities(IncomingMobility(i, SENDER, HOST, student, *period, approved) for i in elmos)
    tors = ToRsApi(source, lambda m: elmos[m.omobility_id], hei_ids={HOST}, max_omobility_ids=TRANSCRIPTS)
    runs = 200

    def request(body: bytes) -> HttpRequest:
        made = sign_request(
            signing, "POST", PATH, HOST, body, content_type="application/x-www-form-urlencoded"
        )
        return HttpRequest("POST", PATH, list(made.headers.items()), body)

    small = urlencode([("receiving_hei_id", HOST), ("omobility_id", "m0")]).encode()
    requests = [request(small) for _ in range(runs)]
    verifier = RequestVerifier(lambda: catalogue, MemoryReplayCache(), hosts={HOST})
    verify_ms = _median_ms([lambda r=r: verifier.verify(r) for r in requests])  # type: ignore[misc]
    public_pem = client.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs_ms = _median_ms(
        [
            lambda r=r: HeaderVerifier(dict(r.headers), public_pem, method="POST", path=PATH).verify()  # type: ignore[misc]
            for r in requests
        ]
    )

    server = EwpServer(
        RequestVerifier(lambda: catalogue, MemoryReplayCache(), hosts={HOST}), SigningKey(server_key)
    )
    ids = [("omobility_id", i) for i in elmos]
    body = urlencode([("receiving_hei_id", HOST), *ids]).encode()
    gets = [request(body) for _ in range(21)]
    answer = server.handle(gets[0], tors.get)
    assert answer.status == 200 and answer.body.count(b"<tor>") == TRANSCRIPTS, answer.body[:300]
    get_ms = _median_ms([lambda r=r: server.handle(r, tors.get) for r in gets[1:]])  # type: ignore[misc]

    def floor() -> bytes:
        root = etree.Element("r")
        for elmo in elmos.values():
            root.append(parse_untrusted(elmo).getroot())
        return etree.tostring(root)

    floor_ms = _median_ms([floor] * 20)
    size = len(answer.body) // 1024
    rows = [
        ("verify a signed request (ours)", verify_ms, BUDGET_VERIFY_MS),
        ("  reference: httpsig, signature only", theirs_ms, None),
        (f"get {TRANSCRIPTS} ToRs x {COURSES} courses ({size} KiB, signed)", get_ms, BUDGET_GET_MS),
        ("  reference floor: parse and write the ELMOs", floor_ms, None),
    ]
    over = False
    for label, value, budget in rows:
        if budget is None:
            print(f"{label:<52} {value:8.2f} ms")
            continue
        status = "ok" if value <= budget else "OVER BUDGET"
        over |= value > budget
        print(f"{label:<52} {value:8.2f} ms  (budget {budget:g} ms)  {status}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
