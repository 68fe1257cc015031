"""EWP speed: verifying a signed request, and a ToRs ``get`` of 10 transcripts of 60 courses each.

Run: .venv/bin/python -m bench.ewp_bench. Budgets: verifying a signed request (signature, dates,
digest, replay cache, registry look-up) at most 2 ms; a whole ``get`` through ``EwpServer`` at most
200 ms on one core. The ``get`` runs as the EMP serves it: the built-in SIS in a fresh SQLite
database, 10 students' approved mobilities imported, their transcripts made ahead as the EMP does
after an import (``prepare``, timed separately: it is not on a request's path), then the first
``get`` of them in a new ``SisTranscripts`` (nothing in memory: read from the database) and the
median of 20 more. The replay cache is the database one the EMP uses by default. Reference rows in
the same run: PyPI ``httpsig`` checking the same request signatures (signature only), the floor of
the ``get`` (parsing and writing the 10 ELMOs), and a ``get`` when nothing was made ahead (each
transcript made on the spot, as a ``get`` racing an import would).
Exits 1 when a budget is missed.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from httpsig.verify import HeaderVerifier
from lxml import etree
from sqlalchemy import delete

from emrex.db import Database, upgrade
from emrex.emp.ewp_replay import DatabaseReplayCache
from emrex.emp.ewp_serving import SisMobilities, prepare
from emrex.emp.ewp_transcripts import SisTranscripts
from emrex.ewp import (
    EwpServer,
    HttpRequest,
    Institution,
    ManifestHost,
    MemoryReplayCache,
    RequestVerifier,
    SigningKey,
    ToRsApi,
    manifest_xml,
    sign_request,
)
from emrex.registry import catalogue_from_manifests, read_ewp_catalogue
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.sis.tables import SisMobilityTranscript
from emrex.trust.ca import issue, make_ca
from emrex.trust.signer import Signer
from emrex.xml import parse_untrusted

BUDGET_VERIFY_MS = 2.0
BUDGET_GET_MS = 200.0
TRANSCRIPTS, COURSES = 10, 60
HOST, SENDER = "fjordby.example", "lindholm.example"
PATH = "/ewp/imobility-tors/get"


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
    folder = Path(tempfile.mkdtemp(prefix="ewp-bench-"))
    database = Database(f"sqlite:///{folder / 'emp.db'}")
    upgrade(database)
    import_sis(database, parse_sis_json(json.dumps(_sis_file()).encode()))
    mobilities = SisMobilities(database)
    made_ahead = SisTranscripts(database, signer)
    start = time.perf_counter()
    assert prepare(mobilities, made_ahead, HOST) == TRANSCRIPTS
    prepare_ms = (time.perf_counter() - start) * 1000 / TRANSCRIPTS
    tors = ToRsApi(
        mobilities, SisTranscripts(database, signer), hei_ids={HOST}, max_omobility_ids=TRANSCRIPTS
    )
    elmos = [made_ahead(m) for m in mobilities.find(HOST, _ids())]
    runs = 200

    def request(body: bytes) -> HttpRequest:
        made = sign_request(
            signing, "POST", PATH, HOST, body, content_type="application/x-www-form-urlencoded"
        )
        return HttpRequest("POST", PATH, list(made.headers.items()), body)

    small = urlencode([("receiving_hei_id", HOST), ("omobility_id", "m0")]).encode()
    requests = [request(small) for _ in range(runs)]
    verifier = RequestVerifier(lambda: catalogue, MemoryReplayCache(), hosts={HOST})
    verify_ms = _median_ms([lambda r=r: verifier.verify(r) for r in requests[:100]])  # type: ignore[misc]
    shared = RequestVerifier(lambda: catalogue, DatabaseReplayCache(database), hosts={HOST})
    verify_db_ms = _median_ms([lambda r=r: shared.verify(r) for r in requests[100:]])  # type: ignore[misc]
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
        RequestVerifier(lambda: catalogue, DatabaseReplayCache(database), hosts={HOST}),
        SigningKey(server_key),
    )
    body = urlencode([("receiving_hei_id", HOST), *[("omobility_id", i) for i in _ids()]]).encode()
    gets = [request(body) for _ in range(22)]
    start = time.perf_counter()
    answer = server.handle(gets[0], tors.get)
    first_ms = (time.perf_counter() - start) * 1000
    assert answer.status == 200 and answer.body.count(b"<tor>") == TRANSCRIPTS, answer.body[:300]
    get_ms = _median_ms([lambda r=r: server.handle(r, tors.get) for r in gets[1:21]])  # type: ignore[misc]
    with database.engine.begin() as c:
        c.execute(delete(SisMobilityTranscript))  # nothing made ahead: each made on the spot
    start = time.perf_counter()
    assert server.handle(gets[21], tors.get).status == 200
    on_the_spot_ms = (time.perf_counter() - start) * 1000
    database.dispose()
    shutil.rmtree(folder, ignore_errors=True)

    def floor() -> bytes:
        root = etree.Element("r")
        for elmo in elmos:
            root.append(parse_untrusted(elmo).getroot())
        return etree.tostring(root)

    floor_ms = _median_ms([floor] * 20)
    size = len(answer.body) // 1024
    rows = [
        ("verify a signed request (ours, memory replay cache)", verify_ms, BUDGET_VERIFY_MS),
        ("verify a signed request (ours, SQLite replay cache)", verify_db_ms, BUDGET_VERIFY_MS),
        ("  reference: httpsig, signature only", theirs_ms, None),
        (f"first get {TRANSCRIPTS} ToRs x {COURSES} courses ({size} KiB, signed)", first_ms, BUDGET_GET_MS),
        (f"get {TRANSCRIPTS} ToRs x {COURSES} courses, median of 20", get_ms, BUDGET_GET_MS),
        ("  reference floor: parse and write the ELMOs", floor_ms, None),
        ("  reference: made ahead after the import, each", prepare_ms, None),
        ("  reference: first get with nothing made ahead", on_the_spot_ms, None),
    ]
    over = False
    for label, value, budget in rows:
        if budget is None:
            print(f"{label:<56} {value:8.2f} ms")
            continue
        status = "ok" if value <= budget else "OVER BUDGET"
        over |= value > budget
        print(f"{label:<56} {value:8.2f} ms  (budget {budget:g} ms)  {status}")
    return 1 if over else 0


def _ids() -> list[str]:
    return [f"FJ-{n:02d}" for n in range(TRANSCRIPTS)]


def _sis_file() -> dict[str, Any]:
    """10 students from Lindholm, each with 60 courses at Fjordby in the mobility's period."""
    grading = {"id": "NO-AF", "descriptions": {"en": "A to E passed, F failed"}}
    institution = {"schac": HOST, "country": "NO", "url": f"https://www.{HOST}", "names": {"en": "Fjordby"}}
    persons, mobilities = [], []
    for n, omobility_id in enumerate(_ids()):
        esi = f"urn:schac:personalUniqueCode:int:esi:{SENDER}:{n:04d}"
        courses = [
            {
                "institution": HOST,
                "id": f"C{c:03d}",
                "type": "Course",
                "titles": {"en": f"Course {c} of student {n}", "nb": f"Emne {c}"},
                "status": "passed",
                "grade": "ABCDE"[c % 5],
                "gradingScheme": "NO-AF",
                "date": (dt.date(2026, 1, 20) + dt.timedelta(days=2 * c)).isoformat(),
                "credits": {"scheme": "ECTS", "value": 5},
                "language": "en",
            }
            for c in range(COURSES)
        ]
        persons.append(
            {
                "identifiers": {"esi": esi},
                "givenNames": "Åsa",
                "familyName": f"Lindqvist {n}",
                "results": courses,
            }
        )
        mobilities.append(
            {
                "omobilityId": omobility_id,
                "sendingHei": SENDER,
                "receivingHei": HOST,
                "studentEsi": esi,
                "start": "2026-01-15",
                "end": "2026-06-15",
                "torApprovedAt": "2026-07-01T09:00:00Z",
            }
        )
    return {
        "format": "emrex-sis/1",
        "institutions": [institution | {"gradingSchemes": [grading]}],
        "persons": persons,
        "incomingMobilities": mobilities,
    }


if __name__ == "__main__":
    sys.exit(main())
