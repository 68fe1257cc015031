"""Steps of credit recognition through the EMC's pages, for the tests of this folder, flows and hostile."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc.models import ForeignCredential
from emrex.emc.recognition import import_catalogue, parse_catalogue
from tests.emc.conftest import Keys, csrf, database_of, ok, start

CATALOGUE: dict[str, Any] = {
    "format": "emrex-catalogue/1",
    "institution": "Nordvik University",
    "courses": [
        {
            "code": "MA1001",
            "titles": {"en": "Linear Algebra", "sv": "Linjär algebra"},
            "credits": 7.5,
            "level": "G1N",
        },
        {"code": "MA1002", "titles": {"en": "Real Analysis", "sv": "Reell analys"}, "credits": 7.5},
        {
            "code": "DA2001",
            "titles": {"en": "Algorithms and Data Structures", "sv": "Algoritmer och datastrukturer"},
            "credits": 7.5,
        },
        {"code": "IT1001", "titles": {"en": "Italian I", "sv": "Italienska I"}, "credits": 15},
        {"code": "KO1001", "titles": {"en": "Art History", "sv": "Konstvetenskap"}, "credits": 15},
    ],
}
_VERSION = re.compile(r'name="version" value="(\d+)"')


def load_catalogue(client: TestClient, catalogue: dict[str, Any] | None = None) -> None:
    import_catalogue(database_of(client), parse_catalogue(json.dumps(catalogue or CATALOGUE)))


def imported(client: TestClient, keys: Keys) -> int:
    """A transfer of the logged-in student (asa: the sample's learner), imported; its id."""
    transfer_id = ok(client, keys, start(client))
    page = client.get(f"/transfers/{transfer_id}")
    response = client.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    assert response.status_code == 200, response.text
    return transfer_id


def refs(client: TestClient, student: str, *codes: str) -> list[str]:
    """``emrex:<id>`` of the student's credentials with these codes (all passed ones when none given)."""
    with database_of(client).session(readonly=True) as s:
        found = s.scalars(select(ForeignCredential).where(ForeignCredential.student == student))
        return [f"emrex:{c.id}" for c in found if (c.code in codes if codes else c.status == "passed")]


def token(client: TestClient) -> str:
    return csrf(client.get("/logout").text)  # any page with a form holds the session's token


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **options: Any) -> Any:
    return client.post(
        path, data={**(data or {}), "csrf_token": token(client)}, follow_redirects=False, **options
    )


def version(client: TestClient, case_id: int, *, staff: bool = False) -> int:
    page = client.get(f"/staff/recognition/{case_id}" if staff else f"/recognition/cases/{case_id}")
    assert page.status_code == 200, page.text
    found = _VERSION.search(page.text)
    assert found, "no form with the case's version on the page"
    return int(found.group(1))


def start_case(client: TestClient, results: list[str]) -> int:
    response = post(client, "/recognition/cases", {"result": results})
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/recognition/cases/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def act(client: TestClient, case_id: int, step: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A student's step on the case, from the version the page shows now."""
    values = {"version": version(client, case_id), **(data or {})}
    return post(client, f"/recognition/cases/{case_id}/{step}", values, **kw)


def staff_act(client: TestClient, case_id: int, step: str, data: dict[str, Any] | None = None) -> Any:
    values = {"version": version(client, case_id, staff=True), **(data or {})}
    return post(client, f"/staff/recognition/{case_id}/{step}", values)


def add_course(client: TestClient, case_id: int, code: str, basis: list[int] | None = None) -> Any:
    return act(
        client, case_id, "items", {"target": f"course:{code}", "basis": basis or basis_ids(client, case_id)}
    )


def basis_ids(client: TestClient, case_id: int) -> list[int]:
    page = client.get(f"/recognition/cases/{case_id}").text
    return [int(v) for v in re.findall(r'name="basis" value="(\d+)"', page)]


def item_ids(client: TestClient, case_id: int) -> list[int]:
    page = client.get(f"/staff/recognition/{case_id}").text
    return sorted({int(v) for v in re.findall(r'name="outcome_(\d+)"', page)})


def submitted_case(
    client: TestClient, keys: Keys, *codes: str, targets: tuple[str, ...] = ("MA1001",)
) -> int:
    """asa imports the sample, applies with the credentials of ``codes`` for ``targets``, submits."""
    imported(client, keys)
    case_id = start_case(client, refs(client, "asa", *codes))
    for code in targets:
        assert add_course(client, case_id, code).status_code == 303
    assert act(client, case_id, "submit").status_code == 303
    return case_id
