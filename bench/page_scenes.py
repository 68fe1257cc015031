"""The heavy pages of both services, made as their handlers make them, minus HTTP: for bench.web_bench.

``make_data(folder)`` writes the data once (with this checkout's code): an EMP database whose SIS holds
a student with 60 and one with 1 000 courses, and an EMC database holding a verified answer of each
size. ``measure(folder)`` then renders, in English and Swedish: the EMP's selection and preview pages
(the page's values from the loaded results, as the results cache gives them, then the template), the
EMC's transfer page (the transfer read, its page values, the template), the EMC's choose page and the
demo login page. Each page is timed as the best CPU time of this process over ``RUNS`` renders, and
its HTML digested, so that ``--against REF`` can run ``measure`` in a child process with the emrex of
another revision over the same data and show that the pages are the same bytes.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.requests import Request

from emrex.db import Database, upgrade
from emrex.elmo.codec import encode
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.emc import create_emc_app
from emrex.emc.config import settings_from_mapping as emc_settings
from emrex.emc.registries import Registries
from emrex.emc.service import Service, page_values
from emrex.emc.store import owned, start_transfer
from emrex.emc.student import _handle_return
from emrex.emp import student as emp_student
from emrex.emp.app import create_emp_app
from emrex.emp.config import settings_from_mapping as emp_settings
from emrex.emp.protocol import parse_entry
from emrex.emp.selection import catalogue
from emrex.emp.sources.base import PersonQuery
from emrex.emp.store import Flow
from emrex.registry import Country, Emp
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import certificate_pem, private_key_pem
from emrex.trust.signer import Signer
from emrex.web.auth import SESSION_KEY as PERSON_KEY
from emrex.web.auth import Person
from emrex.web.i18n import SCOPE_KEY as LANGUAGE_KEY
from emrex.web.login import hash_password
from emrex.web.pages import STATE_KEY, Pages
from emrex.web.sessions import CSRF_KEY, WebSession
from emrex.web.sessions import SCOPE_KEY as SESSION_KEY

COURSES = (60, 1000)
LANGUAGES = ("en", "sv")
RUNS = 11  # best of these, after one render that warms the caches
STUDENT = Person(subject="asa", given_names="Åsa", family_name="Lindqvist", source="demo")
CLIENT = "https://emc.home.example/emrex/return"
FLOW_ID = "f" * 22
MOMENT = dt.datetime(2026, 1, 12, 9, 30, tzinfo=dt.UTC)


def _emp_config(folder: Path) -> dict[str, Any]:
    account = {
        "username": "asa",
        "password_hash": (folder / "hash").read_text(),
        "given_names": "Åsa",
        "family_name": "Lindqvist",
    }
    return {
        "name": "Nordvik EMP",
        "base_url": "https://emp.nordvik.example",
        "production": False,
        "key_file": str(folder / "key.pem"),
        "certificate_file": str(folder / "cert.pem"),
        "timezone": "Europe/Stockholm",
        "login": {"method": "demo", "demo": {"accounts": [account]}},
    }


def _emc_config(folder: Path) -> dict[str, Any]:
    return {
        "base_url": "https://emc.bench.example",
        "database_url": f"sqlite:///{folder / 'emc.db'}",
        "registry": {"sources": ["unused.json"]},
        "login": {"method": "oidc", "oidc": {"issuer": "https://idp.example", "client_id": "x"}},
    }


def make_data(folder: Path) -> None:
    """The EMP's SIS and the EMC's verified answers, in SQLite files under ``folder``."""
    from bench.emp_bench import _document

    issued = issue(make_ca("Bench CA"), "Bench EMP")
    (folder / "key.pem").write_bytes(private_key_pem(issued.key))
    (folder / "cert.pem").write_bytes(certificate_pem(issued.certificate))
    (folder / "hash").write_text(hash_password("bench", log2_n=10))
    emp_db = Database(f"sqlite:///{folder / 'emp.db'}")
    upgrade(emp_db)
    for courses in COURSES:
        import_sis(emp_db, parse_sis_json(json.dumps(_document(courses)).encode()))
    emp_db.dispose()
    settings = emc_settings(_emc_config(folder), {})
    database = Database(settings.database_url)
    upgrade(database)
    service = Service(settings, database, Registries([]))
    signer = Signer(issued.key, issued.certificate)
    emp = Emp("BENCH", "SE", "https://emp.bench.example/emrex", ("Bench University",), (issued.certificate,))
    transfers = {}
    for courses in COURSES:
        now = dt.datetime.now(dt.UTC)
        elmo = encode(
            signer.sign(write_elmo(replace(sample_elmo(courses, seed=courses), generated_date=now)))
        )
        student = Person(
            subject=STUDENT.subject,
            given_names="Åsa Žofie",
            family_name="Lindqvist-Dvořáková",
            source="oidc",
            birth_date=sample_elmo(1).learner.birth_date,
        )
        transfer = start_transfer(database, student, Country("SE", "Sweden"), emp, settings.transfer_lifetime)
        fields = {"sessionId": transfer.session_id, "returnCode": "NCP_OK", "returnMessage": "", "elmo": elmo}
        transfers[courses], refusal = _handle_return(service, fields, None, "en")
        if refusal is not None:
            raise SystemExit(f"page_scenes: the answer was refused: {refusal}")
    database.dispose()
    (folder / "transfers.json").write_text(json.dumps(transfers))


def _request(app: Any, path: str, language: str) -> Request:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [], "app": app}
    request = Request(scope)
    request.scope[LANGUAGE_KEY] = language
    request.scope[SESSION_KEY] = WebSession(data={CSRF_KEY: "c" * 43, PERSON_KEY: STUDENT.to_json()})
    return request


def _pages(app: Any) -> Pages:
    pages = getattr(app.state, STATE_KEY)
    assert isinstance(pages, Pages)
    return pages


def _emp_scenes(folder: Path) -> tuple[dict[str, Callable[[str], str]], Database]:
    database = Database(f"sqlite:///{folder / 'emp.db'}")
    settings = emp_settings(_emp_config(folder))
    app = create_emp_app(settings, database=database, migrate=False)
    pages = _pages(app)
    service = app.state.emrex_emp
    flow = Flow(
        id=FLOW_ID,
        request=parse_entry({"sessionId": "0" * 32, "returnUrl": CLIENT}, service.rules),
        selection=None,
        state="selecting",
        outcome=None,
        subject_hash=None,
        created_at=MOMENT,
        expires_at=MOMENT,
    )
    scenes: dict[str, Callable[[str], str]] = {}
    for courses in COURSES:
        query = PersonQuery(identifiers={"nationalIdentifier": f"bench-{courses}"})
        found = catalogue(service.source.fetch(query), allow_not_passed=False)
        half = found.normalise(found.selectable_keys[::2])

        def selection(language: str, found: Any = found, half: Any = half) -> str:
            context = emp_student._selection_context(found, flow, half, language)
            context["host"] = "emc.home.example"
            return pages.render_text(_request(app, f"/flow/{FLOW_ID}", language), "emp/select.html", context)

        def preview(language: str, found: Any = found, half: Any = half) -> str:
            context = emp_student._preview_context(found, flow, half, language)
            context |= {"host": "emc.home.example", "missing_consent": False}
            context["language_next"] = f"/flow/{FLOW_ID}/preview"
            request = _request(app, f"/flow/{FLOW_ID}/preview", language)
            return pages.render_text(request, "emp/preview.html", context)

        scenes[f"EMP selection, {courses} courses"] = selection
        scenes[f"EMP preview, {courses} courses"] = preview

    def login(language: str) -> str:
        context = {"next": f"/flow/{FLOW_ID}", "username": "", "failed": False}
        request = _request(app, "/login", language)
        request.scope[SESSION_KEY] = WebSession(data={CSRF_KEY: "c" * 43})
        return pages.render_text(request, "login/demo.html", context)

    scenes["EMP demo login page"] = login
    return scenes, database


def _emc_scenes(folder: Path) -> tuple[dict[str, Callable[[str], str]], Database]:
    settings = emc_settings(_emc_config(folder), {})
    database = Database(settings.database_url)
    service = Service(settings, database, Registries([]))
    app = create_emc_app(settings, database=database, migrate=False)
    pages = _pages(app)
    transfers = {int(k): v for k, v in json.loads((folder / "transfers.json").read_text()).items()}
    scenes: dict[str, Callable[[str], str]] = {}
    for courses, transfer_id in transfers.items():

        def transfer_page(language: str, transfer_id: int = transfer_id) -> str:
            with database.session(readonly=True) as s:
                transfer = owned(s, transfer_id, STUDENT.subject)
            context = page_values(service, transfer, language)
            context |= {"deletable": True, "cancellable": False, "sealable": False, "sealer_name": ""}
            context["walletable"] = False
            request = _request(app, f"/transfers/{transfer_id}", language)
            return pages.render_text(request, "emc/transfer.html", context)

        scenes[f"EMC transfer page, {courses} courses"] = transfer_page
    emps = [
        Emp("NORDVIK", "SE", "https://emp.nordvik.example/emrex", ("Nordvik University",)),
        Emp("LADOK", "SE", "https://emp.ladok.example/emrex", ("Umeå University", "Lund University")),
    ]
    choices = {
        "country": Country("SE", "Sweden"),
        "emps": emps,
        "titles": {emp.url: emp.display_name for emp in emps},
        "serves": {emp.url: ", ".join(emp.institutions) for emp in emps},
    }

    def choose(language: str) -> str:
        request = _request(app, "/choose", language)
        return pages.render_text(request, "emc/choose.html", choices)

    scenes["EMC choose page"] = choose
    return scenes, database


def measure(folder: Path, runs: int = RUNS) -> dict[str, dict[str, Any]]:
    """Per page: the best CPU ms over ``runs`` renders of each language, and the digest of every HTML."""
    emp, emp_db = _emp_scenes(folder)
    emc, emc_db = _emc_scenes(folder)
    figures: dict[str, dict[str, Any]] = {}
    for name, render in {**emp, **emc}.items():
        digest = hashlib.sha256()
        best = float("inf")
        for language in LANGUAGES:
            digest.update(render(language).encode())
            for _ in range(runs):
                gc.collect()
                start = time.process_time()
                render(language)
                best = min(best, time.process_time() - start)
        figures[name] = {"cpu_ms": best * 1000, "sha256": digest.hexdigest()}
    emp_db.dispose()
    emc_db.dispose()
    return figures


def child(folder: str) -> None:
    """Run in a child process: prints ``measure`` as JSON."""
    print(json.dumps(measure(Path(folder))))
