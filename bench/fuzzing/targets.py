"""What the fuzzers run: the ELMO reader (and writer) on bytes, and the EMC's return endpoint in process.

A *failure* is anything but a deliberate refusal: an exception that is not an ``EmrexError`` from the
reader, a written document the reader cannot read back, or a 5xx answer (the app logs the traceback,
which the target keeps) from the return endpoint or the transfer page after it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from bench.fuzzing.mutate import mutate_bytes, mutate_tree
from emrex.elmo.codec import encode
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.errors import EmrexError

RETURN_CODES = (
    "NCP_OK",
    "EMP_OK",
    "NCP_CANCEL",
    "NCP_NO_RESULTS",
    "NCP_ERROR",
    "EMP_ERROR",
    "",
    "OK",
    "x" * 80,
)


@dataclass
class Tally:
    tried: int = 0
    failures: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def fail(self, label: str, data: bytes, detail: str) -> None:
        self.failures.append(f"{label}: {detail} (input {len(data)} bytes, starts {data[:60]!r})")


def corpus() -> list[bytes]:
    """Valid documents to mutate: samples of several sizes (with an attachment) and a minimal one."""
    docs = [write_elmo(sample_elmo(n, seed=n)) for n in (1, 3, 12)]
    docs.append(write_elmo(sample_elmo(2, seed=7), pretty=True))
    return docs


def reader_input(rng: random.Random, docs: list[bytes], trees: list[etree._Element]) -> bytes:
    if rng.random() < 0.5:
        return mutate_bytes(rng, rng.choice(docs), docs)
    return mutate_tree(rng, rng.choice(trees))


def check_reader(data: bytes, tally: Tally) -> None:
    """Read; a readable model that the writer accepts must read back from what was written."""
    tally.tried += 1
    try:
        elmo = read_elmo(data).elmo
    except EmrexError:
        tally.outcomes["refused"] += 1
        return
    except Exception as error:  # the thing we hunt for
        tally.fail("reader", data, _describe(error))
        return
    try:
        written = write_elmo(elmo)
    except EmrexError:
        tally.outcomes["read, not writable"] += 1
        return
    except Exception as error:
        tally.fail("writer", data, _describe(error))
        return
    try:
        read_elmo(written)
    except Exception as error:
        tally.fail("write-read", data, _describe(error))
        return
    tally.outcomes["read and rewritten"] += 1


def _describe(error: BaseException) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" at {Path(frame[0].filename).name}:{frame[0].lineno}" if frame else ""
    return f"{type(error).__name__}: {str(error)[:200]}{where}"


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.records.append(_describe(record.exc_info[1]))
        else:
            self.records.append(record.getMessage()[:200])


class ReturnTarget:
    """An EMC (SQLite in a temporary folder) whose one student posts fuzzed answers to transfers."""

    SUBJECT_PROBE = "fuzz"

    def __init__(self) -> None:
        from fastapi.testclient import TestClient

        from emrex.db import Database, upgrade
        from emrex.emc import create_emc_app, settings_from_mapping
        from emrex.emc.registries import Registries
        from emrex.registry import Country, Emp, Registry
        from emrex.trust.ca import issue, make_ca
        from emrex.trust.signer import Signer
        from emrex.web.login import hash_password

        self._scratch = tempfile.TemporaryDirectory(prefix="emrex-fuzz-")
        issued = issue(make_ca("fuzz CA"), "Fuzz EMP")
        self.signer = Signer(issued.key, issued.certificate)
        self.country = Country("SE", "Sweden", False)
        self.emp = Emp(
            "FUZZ", "SE", "https://emp.fuzz.example/emrex", ("Fuzz University",), (issued.certificate,)
        )
        registry = Registry(countries=(self.country,), emps=(self.emp,))
        learner = sample_elmo(1).learner
        url = f"sqlite:///{Path(self._scratch.name) / 'emc.db'}"
        settings = settings_from_mapping(
            {
                "base_url": "https://emc.fuzz.example",
                "database_url": url,
                "registry": {"sources": ["unused.json"]},
                "limits": {"max_post_mb": 4, "max_decoded_mb": 8},
                "login": {
                    "method": "demo",
                    "production": False,
                    "demo": {
                        "accounts": [
                            {
                                "username": "asa",
                                "password_hash": hash_password("fuzz", log2_n=10),
                                "given_names": learner.given_names,
                                "family_name": learner.family_name,
                                "birth_date": learner.birth_date.isoformat() if learner.birth_date else "",
                            }
                        ]
                    },
                },
            },
            {},
        )
        self.settings = settings
        self.database = Database(url)
        upgrade(self.database)
        app = create_emc_app(
            settings, database=self.database, registries=Registries([lambda: registry]), migrate=False
        )
        self.client = TestClient(app, base_url="https://emc.fuzz.example", raise_server_exceptions=False)
        self.errors = _ErrorLog()
        logging.getLogger().addHandler(self.errors)
        self._emrex_level = logging.getLogger("emrex").level  # restored by close()
        logging.getLogger("emrex").setLevel(logging.ERROR)  # info lines per answer would drown the report
        self.person = self._login_and_probe()
        # Generated now: the EMC refuses a document older than its transfer (the run lasts minutes).
        now = dt.datetime.now(dt.UTC).isoformat().encode()
        fresh = [re.sub(rb"<generatedDate>[^<]*<", b"<generatedDate>" + now + b"<", doc) for doc in corpus()]
        self.valid = [self.signer.sign(doc) for doc in fresh]
        self.trees = [etree.fromstring(doc) for doc in fresh]
        self.used: list[str] = []

    def _login_and_probe(self) -> Any:
        from sqlalchemy import select

        from emrex.emc.models import Transfer
        from emrex.web.auth import Person

        page = self.client.get("/login").text
        self.client.post("/login", data={"username": "asa", "password": "fuzz", "csrf_token": _csrf(page)})
        page = self.client.get("/choose?country=SE").text
        started = self.client.post(
            "/start", data={"country": "SE", "emp": self.emp.url, "csrf_token": _csrf(page)}
        )
        if started.status_code != 200:
            raise RuntimeError(f"the fuzz EMC did not start a transfer: {started.status_code}")
        with self.database.session(readonly=True) as s:
            student = s.scalars(select(Transfer.student)).one()
        learner = sample_elmo(1).learner
        return Person(
            subject=student,
            given_names=learner.given_names,
            family_name=learner.family_name,
            source="demo",
            birth_date=learner.birth_date,
        )

    def close(self) -> None:
        logging.getLogger().removeHandler(self.errors)
        logging.getLogger("emrex").setLevel(self._emrex_level)
        self.client.close()
        self.database.dispose()
        self._scratch.cleanup()

    def _session_id(self, rng: random.Random) -> str:
        from emrex.emc.store import start_transfer

        roll = rng.random()
        if roll < 0.03 and self.used:
            return rng.choice(self.used)  # used before: single use must hold
        if roll < 0.06:
            return rng.choice(("", " ", "x" * 32, "../../etc", "\x00" * 32, "é" * 40))
        transfer = start_transfer(  # one student, many transfers: no limit on the open ones here
            self.database, self.person, self.country, self.emp, self.settings.transfer_lifetime, 2**31
        )
        self.used.append(transfer.session_id)
        del self.used[:-50]
        return transfer.session_id

    def _elmo_value(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.35:  # edited, then signed: the reader, identity and storage see it as authentic
            try:
                return encode(self.signer.sign(mutate_tree(rng, rng.choice(self.trees)), replace=True))
            except EmrexError:
                return encode(mutate_tree(rng, rng.choice(self.trees)))
        if roll < 0.6:  # signed, then edited: the signature check must refuse it
            return encode(mutate_bytes(rng, rng.choice(self.valid), self.valid))
        if roll < 0.8:  # transport damage
            value = encode(rng.choice(self.valid)).encode("ascii")
            return mutate_bytes(rng, value, [value]).decode("latin-1")
        if roll < 0.9:
            return rng.choice(self.valid).decode("utf-8")
        return encode(rng.choice(self.valid))

    def one(self, rng: random.Random, tally: Tally) -> None:
        fields: dict[str, str] = {
            "sessionId": self._session_id(rng),
            "returnCode": rng.choice(RETURN_CODES) if rng.random() < 0.2 else "NCP_OK",
            "returnMessage": rng.choice(("", "ok", "<script>x</script>", "\x00\u202e" * 100)),
            "elmo": self._elmo_value(rng),
        }
        for name in list(fields):
            if rng.random() < 0.02:
                del fields[name]
        tally.tried += 1
        before = len(self.errors.records)
        response = self.client.post("/emrex/return", data=fields, follow_redirects=False)
        tally.outcomes[str(response.status_code)] += 1
        data = fields.get("elmo", "").encode("latin-1", "replace")
        if response.status_code >= 500:
            tally.fail(
                "return", data, "; ".join(self.errors.records[before:]) or f"HTTP {response.status_code}"
            )
            return
        if response.status_code == 303:
            page = self.client.get(response.headers["location"])
            if page.status_code != 200:
                detail = "; ".join(self.errors.records[before:]) or f"HTTP {page.status_code}"
                tally.fail("transfer page", data, detail)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("the page has no CSRF field")
    return match.group(1)


def run(
    target: str,
    count: int,
    seed: int,
    progress: Callable[[Tally], None] | None = None,
    return_target: ReturnTarget | None = None,
) -> Tally:
    """``count`` inputs against ``target`` ("reader" or "return")."""
    rng = random.Random(seed)
    tally = Tally()
    if target == "reader":
        docs = corpus()
        trees = [etree.fromstring(doc) for doc in docs]
        for i in range(count):
            check_reader(reader_input(rng, docs, trees), tally)
            if progress and (i + 1) % 5000 == 0:
                progress(tally)
        return tally
    own = return_target is None
    endpoint = return_target or ReturnTarget()
    try:
        for i in range(count):
            endpoint.one(rng, tally)
            if progress and (i + 1) % 1000 == 0:
                progress(tally)
    finally:
        if own:
            endpoint.close()
    return tally
