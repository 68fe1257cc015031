"""Credit recognition end to end: results imported through EMREX become the basis of an application that
goes through every status (draft, submitted, needs information, expert statement, decided, registered;
withdrawn), while the SIS hears of it by webhook and reads it through the API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from emrex.elmo.sample import sample_elmo
from emrex.emc.config import EmcSettings
from emrex.emc.webhook import verify_signature
from emrex.transcript import render_transcript
from tests.emc.conftest import (
    API_TOKEN,
    Keys,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
)
from tests.emc.recognition.helpers import (
    act,
    basis_ids,
    imported,
    item_ids,
    load_catalogue,
    post,
    refs,
    staff_act,
    start_case,
    version,
)

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash"]
SECRET = "sis-webhook-secret-0123"
SYLLABUS = render_transcript(sample_elmo(2))  # any real PDF will do as a syllabus


class Sis:
    """The student information system: receives the webhook, reads the API."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        headers = request.headers
        assert verify_signature(
            SECRET, headers["x-emrex-timestamp"], request.content, headers["x-emrex-signature"]
        )
        event = json.loads(request.content)
        if event["type"].startswith("recognition."):  # not the credentials.imported of the transfer
            self.events.append(event)
        return httpx.Response(204)


def setup(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings]
) -> tuple[TestClient, TestClient, Sis]:
    sis = Sis()
    settings = make_settings(
        webhook={"url": "https://sis.example.org/hook", "secret": SECRET},
        recognition={"case_prefix": "TG", "institution": "Nordvik University", "appeal_weeks": 3},
    )
    student = make_emc(settings, webhook_transport=httpx.MockTransport(sis.handle))
    staff = make_emc(settings)
    load_catalogue(student)
    login(student)
    login(staff, "staff")
    return student, staff, sis


def deliver(client: TestClient) -> None:
    client.app.state.emc_webhook.deliver_due()  # type: ignore[attr-defined]


def api(client: TestClient, path: str) -> httpx.Response:
    return client.get(f"/api/v1/recognition{path}", headers={"Authorization": f"Bearer {API_TOKEN}"})


def status_of(client: TestClient, case_id: int) -> str:
    return str(api(client, f"/cases/{case_id}").json()["status"])


def test_a_case_goes_through_every_status_and_the_sis_follows(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], keys: Keys
) -> None:
    student, staff, sis = setup(make_emc, make_settings)
    transfer_id = imported(student, keys)
    assert f'href="/recognition/new?transfer={transfer_id}"' in student.get(f"/transfers/{transfer_id}").text
    chooser = student.get(f"/recognition/new?transfer={transfer_id}").text
    assert chooser.count(" checked>") == 6  # the passed results of this transfer; failed ones are not offered
    assert "Compiler Construction" not in chooser

    # Draft: two foreign courses, a home course for one, credits without a course for the other.
    algebra, italian = refs(student, "asa", "C00000"), refs(student, "asa", "C00006")
    case_id = start_case(student, algebra + italian)
    page = student.get(f"/recognition/cases/{case_id}?q=linear").text
    assert 'value="course:MA1001"' in page and "MA1002" not in page
    bases = basis_ids(student, case_id)
    assert act(student, case_id, "items", {"target": "course:MA1001", "basis": bases[:1]}).status_code == 303
    credits = {"target": "credits", "credits": "15", "description": "Italian, elective", "basis": bases[1:]}
    assert act(student, case_id, "items", credits).status_code == 303
    assert (
        act(student, case_id, "motivation", {"motivation": "Same syllabus.\nSee the attachment."}).status_code
        == 303
    )
    upload = post(
        student,
        "/recognition/upload",
        {"case": case_id, "version": version(student, case_id)},
        files={"file": ("syllabus algebra.pdf", SYLLABUS, "application/pdf")},
    )
    assert upload.status_code == 303, upload.text
    assert api(student, f"/cases/{case_id}").status_code == 404  # drafts stay with the student

    # Submitted: a case number, and the SIS is told.
    assert act(student, case_id, "submit").status_code == 303
    submitted = api(student, f"/cases/{case_id}").json()
    number = submitted["number"]
    assert re.fullmatch(r"TG-\d{4}-\d{5}", number) and submitted["status"] == "submitted"
    assert [i["target"]["kind"] for i in submitted["items"]] == ["course", "credits"]
    assert submitted["attachments"][0]["filename"] == "syllabus algebra.pdf"
    deliver(student)
    assert [(e["type"], e["case"]["number"]) for e in sis.events] == [("recognition.submitted", number)]

    # Needs information, answered.
    queue = staff.get("/staff/recognition").text
    assert f'href="/staff/recognition/{case_id}">{number}</a>' in queue
    assert (
        staff_act(
            staff, case_id, "request-information", {"request": "Send the Italian syllabus."}
        ).status_code
        == 303
    )
    assert status_of(student, case_id) == "needs_information"
    page = student.get(f"/recognition/cases/{case_id}").text
    assert "Send the Italian syllabus." in page and "More information needed from you" in page
    upload = post(
        student,
        "/recognition/upload",
        {"case": case_id, "version": version(student, case_id)},
        files={"file": ("italian.pdf", SYLLABUS, "application/pdf")},
    )
    assert upload.status_code == 303
    assert act(student, case_id, "answer", {"answer": "Attached: italian.pdf"}).status_code == 303
    assert status_of(student, case_id) == "submitted"

    # Expert statement, then the decision.
    assert staff_act(staff, case_id, "expert", {"expert": "Dr Maria Georgiou"}).status_code == 303
    assert status_of(student, case_id) == "expert_statement"
    assert (
        staff_act(
            staff, case_id, "statement", {"statement": "Algebra equivalent; Italian B1 is worth 7.5."}
        ).status_code
        == 303
    )
    course_item, credits_item = item_ids(staff, case_id)
    decision = {
        f"outcome_{course_item}": "granted",
        f"outcome_{credits_item}": "partly",
        f"credits_{credits_item}": "7,5",
        f"reason_{credits_item}": "Only the B1 part is at the level of our courses.",
    }
    assert staff_act(staff, case_id, "decide", decision).status_code == 303
    decided = api(student, f"/cases/{case_id}").json()
    assert decided["status"] == "decided" and decided["decided_by"] == "staff"
    assert [i["decision"] for i in decided["items"]] == [
        {"outcome": "granted", "credits": "7.5", "reason": None},
        {"outcome": "partly", "credits": "7.5", "reason": "Only the B1 part is at the level of our courses."},
    ]
    assert "grade" not in json.dumps(decided["items"])  # a credited course carries no grade
    deliver(student)
    assert [e["type"] for e in sis.events] == ["recognition.submitted", "recognition.decided"]

    # The student reads and downloads the decision; the SIS fetches the same document.
    page = student.get(f"/recognition/cases/{case_id}").text
    assert "Partly granted: 7.5 of 15 credits" in page and "how to appeal" in page
    pdf = student.get(f"/recognition/cases/{case_id}/decision-en.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert api(student, f"/cases/{case_id}/decision.pdf?language=en").content == pdf.content
    assert student.get(f"/recognition/cases/{case_id}/decision-sv.pdf").content != pdf.content

    # Registered in the SIS.
    assert staff_act(staff, case_id, "register", {"reference": "LADOK 2026-4711"}).status_code == 303
    registered = api(student, f"/cases/{case_id}").json()
    assert (registered["status"], registered["sis_reference"]) == ("registered", "LADOK 2026-4711")
    history = staff.get(f"/staff/recognition/{case_id}").text
    steps = re.findall(r"· ([^:<]+): ([A-Za-z ]+)", history)
    assert [step.strip() for _who, step in steps] == [
        "application started", "target added", "target added", "motivation saved", "attachment added",
        "application submitted", "more information requested", "attachment added", "information given",
        "sent to a subject expert", "expert statement recorded", "decided", "registered in the SIS",
    ]  # fmt: skip
    assert {who for who, step in steps if step in ("decided", "registered in the SIS")} == {"Sven Lund"}


def test_an_equal_case_later_gets_the_earlier_decision_as_a_suggestion(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], keys: Keys
) -> None:
    student, staff, _sis = setup(make_emc, make_settings)
    imported(student, keys)
    first = start_case(student, refs(student, "asa", "C00000"))
    act(student, first, "items", {"target": "course:MA1001", "basis": basis_ids(student, first)})
    act(student, first, "submit")
    (item,) = item_ids(staff, first)
    staff_act(staff, first, "decide", {f"outcome_{item}": "granted"})
    number = api(student, f"/cases/{first}").json()["number"]

    second = start_case(student, refs(student, "asa", "C00000"))
    page = student.get(f"/recognition/cases/{second}").text
    assert "Suggested from earlier decisions" in page
    assert 'value="course:MA1001" checked' in page and "1 granted, 0 partly granted, 0 refused" in page
    staff_page = staff.get(f"/staff/recognition/{first}").text
    assert "No earlier decision on these foreign courses." in staff_page
    act(student, second, "items", {"target": "course:MA1001", "basis": basis_ids(student, second)})
    act(student, second, "submit")
    earlier = staff.get(f"/staff/recognition/{second}").text
    assert f'<a href="/staff/recognition/{first}">{number}</a>' in earlier
    assert "Granted: 7.5 credits" in earlier


def test_a_draft_can_be_deleted_and_a_submitted_case_withdrawn(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], keys: Keys
) -> None:
    student, staff, _sis = setup(make_emc, make_settings)
    imported(student, keys)
    draft = start_case(student, refs(student, "asa", "C00001"))
    response = act(student, draft, "delete")
    assert (response.status_code, response.headers["location"]) == (303, "/recognition")
    assert student.get(f"/recognition/cases/{draft}").status_code == 404

    case_id = start_case(student, refs(student, "asa", "C00001"))
    act(student, case_id, "items", {"target": "course:MA1002", "basis": basis_ids(student, case_id)})
    act(student, case_id, "submit")
    assert act(student, case_id, "withdraw").status_code == 303
    assert status_of(student, case_id) == "withdrawn"
    assert "Withdrawn" in staff.get("/staff/recognition?status=withdrawn").text
    late = post(staff, f"/staff/recognition/{case_id}/expert", {"version": 4, "expert": "Dr Ek"})
    assert late.status_code == 409 and "This cannot be done while the case is withdrawn." in late.text
