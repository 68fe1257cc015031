"""An EMC with a catalogue and many recognition cases, for ``web_bench``'s case pages.

The cases are made with the EMC's own functions (``emrex.emc.recognition.cases``), in one transaction:
each has two foreign results and two targets and a trail of events; two thirds are decided. Their
foreign courses repeat (40 of them), so a case page lists earlier decisions as it would in use.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from emrex.emc import create_emc_app, settings_from_mapping
from emrex.emc.recognition import cases, import_catalogue, parse_catalogue
from emrex.emc.recognition.cases import Actor, ItemDecision
from emrex.emc.recognition.foreign import ForeignResult
from emrex.emc.recognition.models import Case, Outcome
from emrex.web.auth import Person
from emrex.web.login import hash_password

BASE_URL = "https://emc.bench.example"
PASSWORD = "bench-password"  # noqa: S105 - a demo login of the benchmark
COURSES = 120
FOREIGN = 40


def case_pages_client(folder: Path, count: int) -> tuple[TestClient, TestClient, int, int]:
    """(staff client, student client, a decided case with earlier equal cases, the student's draft)."""
    password_hash = hash_password(PASSWORD, log2_n=10)
    accounts = [
        {"username": "asa", "given_names": "Åsa", "family_name": "Lindqvist", "password_hash": password_hash},
        {"username": "staff", "given_names": "Karin", "family_name": "Registrar", "roles": ["staff"],
         "password_hash": password_hash},
    ]  # fmt: skip
    (folder / "registry.json").write_text('{"countries": [], "emps": []}', encoding="utf-8")
    settings = settings_from_mapping(
        {
            "base_url": BASE_URL,
            "database_url": f"sqlite:///{folder / 'emc.db'}",
            "registry": {"sources": [str(folder / "registry.json")]},
            "login": {"method": "demo", "production": False, "demo": {"accounts": accounts}},
        },
        {},
    )
    app = create_emc_app(settings, background=False)
    database = app.state.emc_service.database
    catalogue = {
        "format": "emrex-catalogue/1",
        "courses": [
            {
                "code": f"HC{n:04d}",
                "titles": {"en": f"Home course {n} algebra", "sv": f"Hemkurs {n}"},
                "credits": 7.5,
            }
            for n in range(COURSES)
        ],
    }
    import_catalogue(database, parse_catalogue(json.dumps(catalogue)))
    busy, own = _cases(database, count)
    staff, student = TestClient(app, base_url=BASE_URL), TestClient(app, base_url=BASE_URL)
    _login(staff, "staff")
    _login(student, "asa")
    return staff, student, busy, own


def _cases(database: object, count: int) -> tuple[int, int]:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    officer = Actor("staff", "Karin Registrar", staff=True)
    last_decided = own = 0
    with database.session() as s:  # type: ignore[attr-defined]
        for n in range(count):
            person = Person("asa" if n % 100 == 0 else f"student{n}", "Stu", f"Dent {n}", "demo")
            student = Actor.of(person)
            results = [_result(n, k) for k in (n % FOREIGN, (n + 7) % FOREIGN)]
            when = now + dt.timedelta(hours=n)
            case = cases.create(s, person, results, when)
            s.flush()
            bases = [b.id for b in case.bases]
            cases.add_item(
                s, student, case.id, 1, when, basis_ids=bases[:1], course_code=f"HC{n % COURSES:04d}"
            )
            cases.add_item(
                s, student, case.id, 2, when, basis_ids=bases[1:], credits="5", description="Elective"
            )
            if n == count - 1:
                own = case.id  # the student's draft, left as it is
                continue
            cases.submit(s, student, case.id, 3, "CR", when)
            if n % 3:
                decisions = {
                    item.id: ItemDecision(
                        outcome, Decimal(3) if outcome is Outcome.PARTLY else None, "Reason."
                    )
                    for item, outcome in zip(case.items, (Outcome.GRANTED, Outcome.PARTLY), strict=True)
                }
                cases.decide(s, officer, case.id, 4, decisions, when + dt.timedelta(days=n % 30))
                last_decided = case.id
        s.flush()
        assert s.get(Case, last_decided) is not None
    return last_decided, own


def _result(n: int, k: int) -> ForeignResult:
    return ForeignResult(
        "emrex", str(n * 2 + (k % 2)), f"University {k % 9}", f"univ{k % 9}.example", "IT", f"F{k:03d}",
        f"Foreign course {k}", "28", "6", "ECTS", None, None, "passed",
    )  # fmt: skip


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
