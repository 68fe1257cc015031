"""The pages of credit recognition: the queue and its filters, two officers on one case, attachments,
Swedish, statistics."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient

from emrex.elmo.sample import sample_elmo
from emrex.emc.recognition import cases
from emrex.emc.recognition.cases import Actor, ItemDecision
from emrex.emc.recognition.foreign import ForeignResult
from emrex.emc.recognition.models import Outcome
from emrex.transcript import render_transcript
from emrex.web.auth import Person
from tests.emc.conftest import Keys, database_of, login
from tests.emc.recognition.helpers import (
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

PDF = render_transcript(sample_elmo(1))


def officers(
    make_emc: Callable[..., TestClient], keys: Keys
) -> tuple[TestClient, TestClient, TestClient, int]:
    student, first, second = make_emc(), make_emc(), make_emc()
    load_catalogue(student)
    login(student)
    case_id = submitted_case(student, keys, "C00000")
    login(first, "staff")
    login(second, "staff")
    return student, first, second, case_id


def test_two_officers_on_one_case_the_second_is_told_and_nothing_of_theirs_is_kept(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    _student, first, second, case_id = officers(make_emc, keys)
    (item,) = item_ids(first, case_id)
    seen = version(first, case_id, staff=True)
    assert version(second, case_id, staff=True) == seen  # both have the case open
    granted = post(
        first, f"/staff/recognition/{case_id}/decide", {"version": seen, f"outcome_{item}": "granted"}
    )
    assert granted.status_code == 303
    refused = post(
        second,
        f"/staff/recognition/{case_id}/decide",
        {"version": seen, f"outcome_{item}": "refused", f"reason_{item}": "Too different."},
    )
    assert refused.status_code == 409
    assert "Sven Lund changed this case (decided)" in refused.text
    assert "Nothing of yours was saved" in refused.text
    assert f'href="/staff/recognition/{case_id}"' in refused.text
    page = second.get(f"/staff/recognition/{case_id}").text
    assert "Granted: 7.5 credits" in page and "Too different." not in page


def test_the_queue_filters_by_status_student_and_institution_and_pages(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff, _second, case_id = officers(make_emc, keys)
    db = database_of(student)
    now = dt.datetime.now(dt.UTC)
    made = []
    with db.session() as s:
        for n in range(55):
            result = ForeignResult(
                "emrex", str(1000 + n), f"Università {n % 3}", None, "IT", f"X{n}", "Course", "28", "6",
                "ECTS", None, None, "passed",
            )  # fmt: skip
            case = cases.create(s, Person(f"student{n}", "Stu", f"Dent{n}", "demo"), [result], now)
            made.append((case.id, case.bases[0].id, f"student{n}"))
    for made_id, basis, subject in made:
        with db.session() as s:
            cases.add_item(
                s, Actor(subject, "x", False), made_id, 1, now, basis_ids=[basis], course_code="MA1001"
            )
        with db.session() as s:
            cases.submit(s, Actor(subject, "x", False), made_id, 2, "CR", now)
    first_page = staff.get("/staff/recognition").text
    assert first_page.count('href="/staff/recognition/') == 50
    assert "Next cases" in first_page
    last = max(int(x) for x in re.findall(r'href="/staff/recognition/(\d+)"', first_page))
    rest = staff.get(f"/staff/recognition?status=waiting&after={last}").text
    assert rest.count('href="/staff/recognition/') == 6 and "Next cases" not in rest
    by_student = staff.get("/staff/recognition?q=DENT12").text
    assert by_student.count('href="/staff/recognition/') == 1 and "Stu Dent12" in by_student
    by_place = staff.get("/staff/recognition", params={"institution": "università 1"}).text
    assert by_place.count('href="/staff/recognition/') == 18
    staff_act(staff, case_id, "expert", {"expert": "Dr Ek"})
    experts = staff.get("/staff/recognition?status=expert_statement").text
    assert experts.count('href="/staff/recognition/') == 1
    assert staff.get("/staff/recognition?status=decided").text.count('href="/staff/recognition/') == 0
    nonsense = staff.get("/staff/recognition", params={"status": "<b>", "q": "%_", "after": "x" * 40})
    assert nonsense.status_code == 200 and "<b>" not in nonsense.text


def test_students_cannot_open_the_officers_pages(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    student, _staff, _second, case_id = officers(make_emc, keys)
    for path in (
        "/staff/recognition",
        f"/staff/recognition/{case_id}",
        f"/staff/recognition/{case_id}/decision-en.pdf",
    ):
        assert student.get(path).status_code == 403


def test_attachments_are_pdf_only_and_served_as_downloads(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff, _second, case_id = officers(make_emc, keys)
    staff_act(staff, case_id, "request-information", {"request": "The syllabus, please."})

    def upload(name: str, data: bytes) -> object:
        values = {"case": case_id, "version": version(student, case_id)}
        return post(student, "/recognition/upload", values, files={"file": (name, data, "application/pdf")})

    not_pdf = upload("syllabus.pdf", b"<html><script>alert(1)</script></html>")
    assert not_pdf.status_code == 400 and "The file is not a PDF document." in not_pdf.text  # type: ignore[attr-defined]
    damaged = upload("syllabus.pdf", PDF[: len(PDF) // 2] + b"%%EOF")
    assert damaged.status_code == 400 and "not a readable PDF" in damaged.text  # type: ignore[attr-defined]
    assert upload("../../etc/Kursplan\u202e.pdf", PDF).status_code == 303  # type: ignore[attr-defined]
    page = staff.get(f"/staff/recognition/{case_id}").text
    attachment = re.search(rf'href="/staff/recognition/{case_id}/attachments/(\d+)"', page)
    assert attachment and "Kursplan.pdf" in page
    download = staff.get(f"/staff/recognition/{case_id}/attachments/{attachment.group(1)}")
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert (
        download.headers["content-disposition"]
        == f'attachment; filename="{attachment.group(1)}-Kursplan.pdf"'
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert student.get(f"/recognition/cases/{case_id}/attachments/{attachment.group(1)}").content == PDF


def test_the_pages_and_refusals_speak_swedish(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    student, staff, _second, case_id = officers(make_emc, keys)
    page = student.get(f"/recognition/cases/{case_id}?lang=sv").text
    assert "Inskickat: väntar på en handläggare" in page and "Återkalla ansökan" in page
    refused = act(student, case_id, "answer", {"answer": "Här."})
    assert refused.status_code == 409
    assert "Det går inte medan ärendet är inskickat." in refused.text
    assert "Ärenden om tillgodoräknande" in staff.get("/staff/recognition?lang=sv").text


def test_statistics_show_the_recognition_rate_and_the_time_to_decision(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff, _second, _case_id = officers(make_emc, keys)
    db = database_of(student)
    submitted_at = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    with db.session() as s:  # three more cases, decided 2, 4 and 6 days after they came in
        for days, outcome in ((2, Outcome.GRANTED), (4, Outcome.PARTLY), (6, Outcome.REFUSED)):
            result = ForeignResult(
                "emrex", str(days), "U", None, None, "C", "C", None, "5", "ECTS", None, None, "passed"
            )
            case = cases.create(s, Person("asa", "Åsa", "L", "demo"), [result], submitted_at)
            s.flush()
            cases.add_item(
                s,
                Actor("asa", "Å", False),
                case.id,
                1,
                submitted_at,
                basis_ids=[case.bases[0].id],
                course_code="KO1001",
            )
            s.flush()
            cases.submit(s, Actor("asa", "Å", False), case.id, 2, "CR", submitted_at)
            s.flush()
            item = case.items[0].id
            decision = {
                item: ItemDecision(outcome, Decimal(5) if outcome is Outcome.PARTLY else None, "Why.")
            }
            cases.decide(
                s, Actor("staff", "S", True), case.id, 3, decision, submitted_at + dt.timedelta(days=days)
            )
            s.flush()
    stats = staff.get("/staff/statistics").text
    assert "Recognition rate: 66.7% of 3 decided targets granted in full or in part" in stats
    assert "(1 granted, 1 partly granted, 1 refused)" in stats
    assert "Credits granted: 20 of 45 applied for." in stats
    assert "median 4.0 days" in stats and "(3 decided cases)" in stats
    assert "Submitted: waiting for a case officer</td><td>1</td>" in stats


def test_a_draft_is_its_students_alone(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    student, staff, _second, _case_id = officers(make_emc, keys)
    draft = start_case(student, refs(student, "asa", "C00001"))
    assert staff.get(f"/staff/recognition/{draft}").status_code == 404
    refused = post(staff, f"/staff/recognition/{draft}/expert", {"version": 1, "expert": "Dr Ek"})
    assert refused.status_code == 404 and "There is no such case among yours." in refused.text
    assert f"/staff/recognition/{draft}" not in staff.get("/staff/recognition?status=all").text
