"""Hostile visitors of credit recognition: someone else's case, a student taking an officer's steps,
decisions without reasons, stale forms, oversized and fake PDFs, forged bases, markup; the API; the
course catalogue import."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from reportlab.pdfgen.canvas import Canvas

from emrex.cli import main
from emrex.elmo.sample import sample_elmo
from emrex.emc.config import EmcSettings
from emrex.emc.recognition import CatalogueError, parse_catalogue
from emrex.transcript import render_transcript
from tests.emc.conftest import (
    API_TOKEN,
    BASE_URL,
    Keys,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
)
from tests.emc.recognition.helpers import (
    CATALOGUE,
    act,
    item_ids,
    load_catalogue,
    post,
    refs,
    staff_act,
    start_case,
    submitted_case,
    version,
)
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, one_line, watch_logs
from tests.hostile.webchecks import state_changing_routes
from tests.transcript.conftest import PdfText, read_pdf

__all__ = [
    "keys",
    "make_emc",
    "make_settings",
    "migrated_template",
    "password_hash",
    "read_pdf",
    "watch_logs",
]
PDF = render_transcript(sample_elmo(1))
SCRIPT = f'<script>alert("{MARKER}")</script>'
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
exercised(
    "emc-recognition-csrf-new-forms",
    "emc-recognition-other-students-case",
    "emc-recognition-staff-steps-as-student",
    "emc-recognition-decision-without-reason",
    "emc-recognition-stale-version",
    "emc-recognition-oversized-attachment",
    "emc-recognition-not-a-pdf",
    "emc-recognition-forged-basis",
    "emc-recognition-markup-everywhere",
    "emc-recognition-wrongly-typed-fields",
    "api-recognition-no-token",
    "api-recognition-drafts-hidden",
    "api-recognition-bad-language",
    "catalogue-bombs",
    "catalogue-hostile-values",
)


class Scene:
    def __init__(self, make_emc: Callable[..., TestClient], keys: Keys, settings: EmcSettings | None) -> None:
        self.asa, self.bo, self.staff = make_emc(settings), make_emc(settings), make_emc(settings)
        load_catalogue(self.asa)
        login(self.asa)
        login(self.bo, "bo")
        login(self.staff, "staff")
        self.case = submitted_case(self.asa, keys, "C00000")
        self.draft = start_case(self.asa, refs(self.asa, "asa", "C00001"))
        self.db = database_of(self.asa)


@pytest.fixture
def scene(make_emc: Callable[..., TestClient], keys: Keys) -> Scene:
    return Scene(make_emc, keys, None)


def refused(response: Any, status: int, words: str = "") -> None:
    assert response.status_code == status, (status, response.status_code, response.text[:400])
    assert words in response.text, (words, response.text[-1500:])
    no_traceback(response.text)


def test_every_recognition_form_needs_the_csrf_token(
    scene: Scene, watch_logs: pytest.LogCaptureFixture
) -> None:
    routes = [
        (method, path)
        for method, path in state_changing_routes(scene.asa.app)  # type: ignore[arg-type]
        if path.startswith(("/recognition", "/staff/recognition"))
    ]
    paths = {path for _method, path in routes}
    assert {
        "/recognition/cases", "/recognition/upload", "/recognition/cases/1/items",
        "/recognition/cases/1/submit", "/recognition/cases/1/answer", "/staff/recognition/1/decide",
        "/staff/recognition/1/register",
    } <= paths, paths  # fmt: skip
    for method, path in routes:
        real = path.replace("/1/", f"/{scene.draft}/")
        for client in (scene.asa, scene.staff):
            for data in ({"version": "1"}, {"version": "1", "csrf_token": "forged"}):
                with nothing_stored(scene.db):
                    response = client.request(method, real, data=data)
                refused(response, 403)
    logs_clean(watch_logs)


def test_another_students_case_is_not_found_and_stays_as_it_is(
    scene: Scene, watch_logs: pytest.LogCaptureFixture
) -> None:
    bo, case, draft = scene.bo, scene.case, scene.draft
    with nothing_stored(scene.db):
        pages = [
            bo.get(f"/recognition/cases/{case}"),
            bo.get(f"/recognition/cases/{case}/attachments/1"),
            bo.get(f"/recognition/cases/{case}/decision-en.pdf"),
        ]
        changes = [
            post(
                bo, f"/recognition/cases/{draft}/items", {"version": 1, "target": "course:MA1002", "basis": 1}
            ),
            post(bo, f"/recognition/cases/{draft}/motivation", {"version": 1, "motivation": MARKER}),
            post(bo, f"/recognition/cases/{draft}/submit", {"version": 1}),
            post(bo, f"/recognition/cases/{draft}/delete", {"version": 1}),
            post(bo, f"/recognition/cases/{case}/withdraw", {"version": 3}),
            post(bo, f"/recognition/cases/{case}/answer", {"version": 3, "answer": MARKER}),
            post(
                bo,
                "/recognition/upload",
                {"case": draft, "version": 1},
                files={"file": ("x.pdf", PDF, "application/pdf")},
            ),
        ]
    for response in pages + changes:
        refused(response, 404, "There is no such case among yours.")
        assert "Lindqvist" not in response.text and "Linear Algebra" not in response.text
    assert version(scene.asa, draft) == 1 and version(scene.asa, case) == 3
    logs_clean(watch_logs)


def test_a_student_cannot_take_an_officers_step(scene: Scene, watch_logs: pytest.LogCaptureFixture) -> None:
    asa, case = scene.asa, scene.case
    (item,) = item_ids(scene.staff, case)
    steps = {
        "request-information": {"request": "x"},
        "expert": {"expert": "Me"},
        "statement": {"statement": "Fine"},
        "decide": {f"outcome_{item}": "granted"},
        "register": {"reference": "x"},
    }
    with nothing_stored(scene.db):
        for step, data in steps.items():
            refused(post(asa, f"/staff/recognition/{case}/{step}", {"version": 3, **data}), 403)
        refused(asa.get("/staff/recognition"), 403)
    assert version(scene.staff, case, staff=True) == 3
    logs_clean(watch_logs)


def test_a_decision_without_a_reason_or_with_odd_credits_is_refused(
    scene: Scene, watch_logs: pytest.LogCaptureFixture
) -> None:
    staff, case = scene.staff, scene.case
    (item,) = item_ids(staff, case)
    attempts = [
        ({f"outcome_{item}": "refused", f"reason_{item}": " \t\n "}, "Give the reason for every target"),
        ({f"outcome_{item}": "partly", f"credits_{item}": "5"}, "Give the reason for every target"),
        (
            {f"outcome_{item}": "partly", f"reason_{item}": "Part."},
            "needs the credits granted, less than 7.5",
        ),
        (
            {f"outcome_{item}": "partly", f"credits_{item}": "0", f"reason_{item}": "Part."},
            "must be a number",
        ),
        ({f"outcome_{item}": "partly", f"credits_{item}": "7.5", f"reason_{item}": "All?"}, "less than 7.5"),
        ({f"outcome_{item}": "maybe", f"reason_{item}": "Hm."}, "Decide every target"),
    ]
    for data, words in attempts:
        with nothing_stored(scene.db):
            refused(post(staff, f"/staff/recognition/{case}/decide", {"version": 3, **data}), 400, words)
    assert version(staff, case, staff=True) == 3 and "Decide" in staff.get(f"/staff/recognition/{case}").text
    logs_clean(watch_logs)


def test_a_stale_decision_is_refused_and_names_who_changed_the_case(
    scene: Scene, watch_logs: pytest.LogCaptureFixture
) -> None:
    staff, case = scene.staff, scene.case
    (item,) = item_ids(staff, case)
    assert staff_act(staff, case, "request-information", {"request": "Syllabus?"}).status_code == 303
    with nothing_stored(scene.db):
        response = post(
            staff, f"/staff/recognition/{case}/decide", {"version": 3, f"outcome_{item}": "granted"}
        )
    refused(response, 409, "Sven Lund changed this case (more information requested)")
    assert "needs information" not in response.text or "Nothing of yours was saved" in response.text
    logs_clean(watch_logs)


def test_oversized_attachments_are_refused(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    keys: Keys,
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    scene = Scene(make_emc, keys, make_settings(recognition={"max_attachment_mb": 1}))
    limit = 1024 * 1024
    padded = PDF + b" " * (limit + 1 - len(PDF))  # a real PDF, one byte too many
    values = {"case": scene.draft, "version": 1}
    with nothing_stored(scene.db):
        one_over = post(
            scene.asa, "/recognition/upload", values, files={"file": ("big.pdf", padded, "application/pdf")}
        )
    refused(one_over, 413, "The file is larger than 1 MB.")

    # Far over the limit, its size declared: refused before a byte of the body is read.
    read: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        read.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [
        (b"host", BASE_URL.split("//")[1].encode()),
        (b"content-length", str(40 * limit).encode()),
        (b"content-type", b"multipart/form-data; boundary=x"),
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "https", "path": "/recognition/upload", "raw_path": b"/recognition/upload",
        "query_string": b"", "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000),
        "server": ("emc.example.org", 443),
    }  # fmt: skip
    with nothing_stored(scene.db, allowed=("web_session",)):
        asyncio.run(scene.asa.app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413 and read == []
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    assert "too large" in body.lower() or "larger" in body.lower(), body[-800:]
    logs_clean(watch_logs)


def test_what_is_not_a_pdf_is_not_kept(scene: Scene, watch_logs: pytest.LogCaptureFixture) -> None:
    encrypted = io.BytesIO()
    canvas = Canvas(encrypted, encrypt="secret")
    canvas.drawString(72, 72, "Syllabus")
    canvas.save()
    fakes = [
        (
            f"syllabus.pdf{SCRIPT}".encode(),
            f"<html><body>{SCRIPT}</body></html>".encode(),
            "not a PDF document",
        ),
        (b"header.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100 + b"\n%%EOF", "not a readable PDF"),
        (b"cut.pdf", PDF[: len(PDF) // 2], "not a PDF document"),
        (b"locked.pdf", encrypted.getvalue(), "encrypted or password-protected"),
    ]
    for name, data, words in fakes:
        values = {"case": scene.draft, "version": 1}
        with nothing_stored(scene.db):
            response = post(
                scene.asa,
                "/recognition/upload",
                values,
                files={"file": (name.decode(), data, "application/pdf")},
            )
        refused(response, 400, words)
        assert "<script>" not in response.text
    assert "No attachments." in scene.asa.get(f"/recognition/cases/{scene.draft}").text
    logs_clean(watch_logs)


def test_a_case_cannot_rest_on_results_that_are_not_the_students_passed_ones(
    scene: Scene, watch_logs: pytest.LogCaptureFixture
) -> None:
    asas = refs(scene.asa, "asa", "C00002")
    failed = refs(scene.asa, "asa", "C00004")  # Compiler Construction, failed
    attempts = [
        (scene.bo, asas, "Choose among your own imported results."),
        (scene.asa, ["wallet:1"], "Choose among your own imported results."),
        (scene.asa, ["emrex:" + "9" * 30], "Choose among your own imported results."),
        (scene.asa, failed, "Only passed results can be the basis"),
        (scene.asa, [], "Choose at least one"),
    ]
    for client, results, words in attempts:
        with nothing_stored(scene.db):
            refused(post(client, "/recognition/cases", {"result": results}), 400, words)
    logs_clean(watch_logs)


def test_markup_is_text_everywhere(
    scene: Scene, read_pdf: Callable[[bytes], PdfText], watch_logs: pytest.LogCaptureFixture
) -> None:
    asa, staff, draft = scene.asa, scene.staff, scene.draft
    bases = [
        int(v) for v in re.findall(r'name="basis" value="(\d+)"', asa.get(f"/recognition/cases/{draft}").text)
    ]
    credits = {"target": "credits", "credits": "5", "description": f"Elective {SCRIPT}", "basis": bases}
    assert act(asa, draft, "items", credits).status_code == 303
    assert act(asa, draft, "motivation", {"motivation": f"Because {SCRIPT}"}).status_code == 303
    upload = post(
        asa,
        "/recognition/upload",
        {"case": draft, "version": version(asa, draft)},
        files={"file": (f"<img src=x onerror=alert(1)>{MARKER}.pdf", PDF, "application/pdf")},
    )
    assert upload.status_code == 303
    assert act(asa, draft, "submit").status_code == 303
    assert staff_act(staff, draft, "request-information", {"request": f"Why {SCRIPT}?"}).status_code == 303
    assert act(asa, draft, "answer", {"answer": f"Because {SCRIPT}"}).status_code == 303
    assert staff_act(staff, draft, "expert", {"expert": f"Dr {SCRIPT}"}).status_code == 303
    assert staff_act(staff, draft, "statement", {"statement": f"Fine {SCRIPT}"}).status_code == 303
    (item,) = item_ids(staff, draft)
    decision = {f"outcome_{item}": "refused", f"reason_{item}": f"No {SCRIPT}"}
    assert staff_act(staff, draft, "decide", decision).status_code == 303
    for page in (
        asa.get(f"/recognition/cases/{draft}"),
        staff.get(f"/staff/recognition/{draft}"),
        staff.get("/staff/recognition?status=all"),
    ):
        assert page.status_code == 200
        assert "<script>" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;" in staff.get(f"/staff/recognition/{draft}").text
    text = "".join(read_pdf(asa.get(f"/recognition/cases/{draft}/decision-en.pdf").content).text.split())
    assert f"No{SCRIPT}" in text and f"Elective{SCRIPT}" in text  # table cells wrap long words
    logs_clean(watch_logs)


def test_wrongly_typed_fields_and_paths_get_a_page(
    scene: Scene, watch_logs: pytest.LogCaptureFixture
) -> None:
    asa, draft = scene.asa, scene.draft
    with nothing_stored(scene.db):
        refused(
            post(asa, f"/recognition/cases/{draft}/submit", {"version": "1 OR 1=1"}),
            400,
            "open the page again",
        )
        refused(post(asa, f"/recognition/cases/{draft}/items/remove", {"version": 1, "item": "x"}), 400)
        refused(post(asa, f"/recognition/cases/{draft}/motivation", {"version": "9" * 40}), 400)
        refused(post(asa, "/recognition/cases/" + "9" * 30 + "/submit", {"version": 1}), 404)
        refused(post(asa, "/recognition/upload", {"case": "x", "version": 1}), 400)
        refused(post(asa, "/recognition/upload", {"case": draft, "version": 1}), 400, "Choose a PDF file")
        refused(
            post(
                asa,
                f"/recognition/cases/{draft}/items",
                {"version": 1, "target": "course:NOPE", "basis": "1"},
            ),
            400,
        )
        for path in (
            "/recognition/cases/1%20OR%201=1",
            "/recognition/cases/-1",
            "/recognition/cases/" + "9" * 30,
        ):
            response = asa.get(path)
            assert response.status_code in (400, 404), path
            no_traceback(response.text)
        refused(asa.get(f"/recognition/cases/{draft}", params={"q": "\x00%_"}), 200)
        refused(asa.get(f"/recognition/cases/{draft}/decision-xx.pdf"), 404)
    logs_clean(watch_logs)


def test_the_api_keeps_drafts_and_strangers_out(scene: Scene, watch_logs: pytest.LogCaptureFixture) -> None:
    api = scene.asa
    with nothing_stored(scene.db):
        for path in ("/cases", f"/cases/{scene.case}", f"/cases/{scene.case}/decision.pdf"):
            for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}):
                response = api.get(f"/api/v1/recognition{path}", headers=headers)
                assert response.status_code == 401 and response.json()["detail"]
        listed = api.get("/api/v1/recognition/cases", headers=AUTH).json()["items"]
        assert [c["id"] for c in listed] == [scene.case]
        for path in (f"/cases/{scene.draft}", f"/cases/{scene.draft}/decision.pdf"):
            assert api.get(f"/api/v1/recognition{path}", headers=AUTH).status_code == 404
        bad = api.get(
            f"/api/v1/recognition/cases/{scene.case}/decision.pdf?language=../../etc/passwd", headers=AUTH
        )
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/json")
    logs_clean(watch_logs)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"format": "emrex-catalogue/1", "courses": [{"credits": ' + b"9" * 5000 + b"}]}",
        b'{"format": "emrex-catalogue/1", "courses": [{"credits": NaN}]}',
        b'{"format": "emrex-catalogue/1", "courses": [], "courses": []}',
    ],
)
def test_catalogue_bombs(raw: bytes) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(raw)
    one_line(str(caught.value))


def test_hostile_catalogue_values_change_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/emc.db"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(CATALOGUE), encoding="utf-8")
    assert main(["emc", "catalogue", "import", str(good), "--database", url]) == 0
    bad = json.loads(json.dumps(CATALOGUE))
    bad["courses"][0]["code"] = f"MA 1001 {SCRIPT}"
    bad["courses"][1]["titles"]["en"] = "Real\x00Analysis"
    bad["courses"][2]["url"] = "http://example.org/da2001"
    bad["courses"][3]["code"] = "MA1002"
    bad["courses"][4]["credits"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    from emrex.db import Database
    from tests.hostile.checks import table_counts

    db = Database(url)
    before = table_counts(db)
    capsys.readouterr()
    assert main(["emc", "catalogue", "import", str(path), "--database", url]) == 1
    err = capsys.readouterr().err
    for words in (
        "courses[0].code",
        "courses[1].titles.en: contains control",
        "courses[2].url",
        "courses[3].code: 'MA1002' is already used",
        "courses[4].credits: out of range",
    ):
        assert words in err, (words, err)
    assert SCRIPT not in err and "Traceback" not in err
    assert table_counts(db) == before
    db.dispose()
