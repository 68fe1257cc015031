"""Cases in the database: which change is allowed in which status, what a decision needs, the audit
trail, and two officers deciding one case at the same moment (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from emrex.db import Database, upgrade
from emrex.emc.models import WebhookEvent
from emrex.emc.recognition import cases, import_catalogue, parse_catalogue
from emrex.emc.recognition.cases import Actor, ItemDecision
from emrex.emc.recognition.errors import CaseError
from emrex.emc.recognition.foreign import ForeignResult
from emrex.emc.recognition.models import Case, CaseEvent, CaseStatus, Outcome
from emrex.web.auth import Person
from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)
from tests.emc.recognition.helpers import CATALOGUE

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
ASA = Person("asa", "Åsa", "Lindqvist", "demo", birth_date=dt.date(1999, 3, 14))
BO = Person("bo", "Bo", "Ek", "demo")
STAFF = Actor("karin", "Karin Registrar", staff=True)
OTHER_STAFF = Actor("sven", "Sven Lund", staff=True)
STUDENT = Actor.of(ASA)


def result(
    code: str = "PHIL210", title: str = "Ancient Greek Philosophy", status: str = "passed"
) -> ForeignResult:
    return ForeignResult(
        "emrex", code[-3:], "Kyklades University", "kyklades.example", "GR", code, title, "8.5", "6",
        "ECTS", None, dt.date(2026, 6, 30), status,
    )  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/cases.db")
    upgrade(database)
    import_catalogue(database, parse_catalogue(json.dumps(CATALOGUE)))
    yield database
    database.dispose()


def draft(db: Database, *codes: str) -> int:
    """A draft of asa with a basis per code and MA1001 as its one target; its id."""
    with db.session() as s:
        case = cases.create(s, ASA, [result(code) for code in codes or ("PHIL210",)], NOW)
        case_id, bases = case.id, [b.id for b in case.bases]
    with db.session() as s:
        cases.add_item(s, STUDENT, case_id, 1, NOW, basis_ids=bases, course_code="MA1001")
    return case_id


def version(db: Database, case_id: int) -> int:
    with db.session(readonly=True) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.version


def status(db: Database, case_id: int) -> str:
    with db.session(readonly=True) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.status


def run(db: Database, step: Callable[..., object], actor: Actor, case_id: int, *args: object) -> None:
    with db.session() as s:
        step(s, actor, case_id, version(db, case_id), *args)


def submitted(db: Database) -> int:
    case_id = draft(db)
    run(db, cases.submit, STUDENT, case_id, "CR", NOW)
    return case_id


def item_of(db: Database, case_id: int) -> int:
    with db.session(readonly=True) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.items[0].id


def test_a_draft_becomes_a_numbered_case_with_an_event_for_the_sis(db: Database) -> None:
    case_id = submitted(db)
    with db.session(readonly=True) as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert (case.status, case.number, case.submitted_at) == ("submitted", f"CR-2026-{case_id:05d}", NOW)
        assert [e.action for e in case.events] == ["created", "item_added", "submitted"]
        assert {e.actor for e in case.events} == {"asa"}
        events = [json.loads(e.payload) for e in s.scalars(select(WebhookEvent))]
    assert [(e["type"], e["case"]["number"]) for e in events] == [("recognition.submitted", case.number)]
    assert events[0]["case"]["items"][0]["target"]["course_code"] == "MA1001"


@pytest.mark.parametrize(
    ("step", "args", "allowed"),
    [
        (cases.submit, ("CR", NOW), {"draft"}),
        (cases.request_information, ("Add the syllabus.", NOW), {"submitted", "expert_statement"}),
        (cases.answer, ("Attached.", NOW), {"needs_information"}),
        (cases.send_to_expert, ("Dr Ek", NOW), {"submitted"}),
        (cases.register, ("LADOK-1", NOW), {"decided"}),
        (cases.withdraw, (NOW,), {"submitted", "needs_information", "expert_statement"}),
    ],
)
def test_each_step_is_refused_in_every_other_status(
    db: Database, step: Callable[..., object], args: tuple[object, ...], allowed: set[str]
) -> None:
    statuses = _one_case_per_status(db)
    staff_step = step in (cases.request_information, cases.send_to_expert, cases.register)
    for name, case_id in statuses.items():
        actor = STAFF if staff_step else STUDENT
        before = (status(db, case_id), version(db, case_id))
        try:
            run(db, step, actor, case_id, *args)
        except CaseError as error:
            assert name not in allowed, (step.__name__, name, str(error))
            hidden = staff_step and name == "draft"  # a draft is its student's alone
            assert error.kind == ("not_found" if hidden else "state"), (step.__name__, name, error.kind)
            assert (status(db, case_id), version(db, case_id)) == before  # nothing changed
        else:
            assert name in allowed, (step.__name__, name)


def _one_case_per_status(db: Database) -> dict[str, int]:
    made = {"draft": draft(db)}
    made["submitted"] = submitted(db)
    made["needs_information"] = submitted(db)
    run(db, cases.request_information, STAFF, made["needs_information"], "More, please.", NOW)
    made["expert_statement"] = submitted(db)
    run(db, cases.send_to_expert, STAFF, made["expert_statement"], "Dr Ek", NOW)
    for name in ("decided", "registered"):
        made[name] = submitted(db)
        decision = {item_of(db, made[name]): ItemDecision(Outcome.GRANTED, None, "")}
        run(db, cases.decide, STAFF, made[name], decision, NOW)
    run(db, cases.register, STAFF, made["registered"], "", NOW)
    made["withdrawn"] = submitted(db)
    run(db, cases.withdraw, STUDENT, made["withdrawn"], NOW)
    assert {name: status(db, case_id) for name, case_id in made.items()} == {n: n for n in made}
    return made


def test_a_decision_needs_every_item_a_reason_for_less_than_all_and_sane_credits(db: Database) -> None:
    case_id = submitted(db)
    item = item_of(db, case_id)
    for decision, message in (
        ({}, "Decide every target"),
        ({item: ItemDecision(Outcome.REFUSED, None, "  ")}, "Give the reason"),
        ({item: ItemDecision(Outcome.PARTLY, Decimal(5), "")}, "Give the reason"),
        ({item: ItemDecision(Outcome.PARTLY, None, "Part of it")}, "needs the credits granted"),
        ({item: ItemDecision(Outcome.PARTLY, Decimal("7.5"), "All of it?")}, "less than 7.5"),
        ({item: ItemDecision(Outcome.PARTLY, Decimal(-1), "Less")}, "needs the credits granted"),
    ):
        with pytest.raises(CaseError, match=message):
            run(db, cases.decide, STAFF, case_id, decision, NOW)
        assert status(db, case_id) == "submitted"
    run(
        db,
        cases.decide,
        STAFF,
        case_id,
        {item: ItemDecision(Outcome.PARTLY, Decimal(5), "Lab part missing")},
        NOW,
    )
    with db.session(readonly=True) as s:
        case = s.get(Case, case_id)
        assert case is not None
        done = case.items[0]
        assert (done.outcome, done.granted_credits, done.reason) == ("partly", "5", "Lab part missing")
        assert (case.decided_by, case.decided_by_name, case.decided_at) == ("karin", "Karin Registrar", NOW)


def test_the_expert_statement_is_needed_before_a_decision_once_an_expert_was_asked(db: Database) -> None:
    case_id = submitted(db)
    run(db, cases.send_to_expert, STAFF, case_id, "Dr Maria Georgiou", NOW)
    decision = {item_of(db, case_id): ItemDecision(Outcome.GRANTED, None, "")}
    with pytest.raises(CaseError, match="statement before the decision"):
        run(db, cases.decide, STAFF, case_id, decision, NOW)
    run(db, cases.record_statement, STAFF, case_id, "The content matches.", NOW)
    run(db, cases.decide, STAFF, case_id, decision, NOW)
    assert status(db, case_id) == "decided"


def test_students_cannot_take_staff_steps_or_touch_anothers_case(db: Database) -> None:
    case_id = submitted(db)
    with pytest.raises(CaseError) as caught:
        run(db, cases.request_information, STUDENT, case_id, "Me?", NOW)
    assert caught.value.kind == "not_found"
    with pytest.raises(CaseError) as caught:
        run(db, cases.withdraw, Actor.of(BO), case_id, NOW)
    assert caught.value.kind == "not_found"
    assert status(db, case_id) == "submitted"


def test_only_passed_results_of_a_student_become_a_basis(db: Database) -> None:
    with db.session() as s, pytest.raises(CaseError, match="Only passed results"):
        cases.create(s, ASA, [result(status="failed")], NOW)
    with db.session() as s, pytest.raises(CaseError, match="at least one"):
        cases.create(s, ASA, [], NOW)


def test_a_step_from_an_older_version_is_refused_and_says_who_changed_the_case(db: Database) -> None:
    case_id = submitted(db)
    seen = version(db, case_id)
    with db.session() as s:
        cases.request_information(s, OTHER_STAFF, case_id, seen, "Send the syllabus.", NOW)
    decision = {item_of(db, case_id): ItemDecision(Outcome.GRANTED, None, "")}
    with db.session() as s, pytest.raises(CaseError) as caught:
        cases.decide(s, STAFF, case_id, seen, decision, NOW)
    assert caught.value.kind == "conflict"
    assert "Sven Lund changed this case (more information requested)" in str(caught.value)
    assert status(db, case_id) == "needs_information"


def race(db: Database, case_id: int) -> list[str]:
    """Two officers decide the case from the same version at the same moment; what each got."""
    seen = version(db, case_id)
    item = item_of(db, case_id)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(actor: Actor, outcome: Outcome) -> None:
        barrier.wait()
        try:
            with db.session() as s:
                cases.decide(
                    s, actor, case_id, seen, {item: ItemDecision(outcome, None, "Not the same")}, NOW
                )
            outcomes.append(f"won:{actor.subject}")
        except CaseError as error:
            outcomes.append(error.kind)

    threads = [
        threading.Thread(target=decide, args=(STAFF, Outcome.GRANTED)),
        threading.Thread(target=decide, args=(OTHER_STAFF, Outcome.REFUSED)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def _check_race(db: Database) -> None:
    case_id = submitted(db)
    outcomes = race(db, case_id)
    assert len(outcomes) == 2 and outcomes[0] == "conflict" and outcomes[1].startswith("won:"), outcomes
    winner = outcomes[1].removeprefix("won:")
    with db.session(readonly=True) as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert (case.status, case.decided_by) == ("decided", winner)
        assert case.items[0].outcome == ("granted" if winner == "karin" else "refused")
        decided = list(
            s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "decided"))
        )
        assert [e.actor for e in decided] == [winner]  # one decision, one event, one webhook
        payloads = [json.loads(e.payload) for e in s.scalars(select(WebhookEvent))]
        kinds = [p["type"] for p in payloads if p["case"]["id"] == case_id]
        assert kinds == ["recognition.submitted", "recognition.decided"]


def test_two_officers_deciding_one_case_at_once_one_wins_on_sqlite(db: Database) -> None:
    for _ in range(3):
        _check_race(db)


@pytest.mark.postgres
def test_two_officers_deciding_one_case_at_once_one_wins_on_postgresql(
    postgres_schema: Callable[[], str],  # noqa: F811
) -> None:
    database = Database(postgres_schema())
    try:
        upgrade(database)
        import_catalogue(database, parse_catalogue(json.dumps(CATALOGUE)))
        for _ in range(3):
            _check_race(database)
    finally:
        database.dispose()


def test_withdrawn_and_draft_cases(db: Database) -> None:
    case_id = draft(db)
    run(db, cases.delete_draft, STUDENT, case_id, NOW)
    with db.session(readonly=True) as s:
        assert s.get(Case, case_id) is None
    case_id = submitted(db)
    with pytest.raises(CaseError):
        run(db, cases.delete_draft, STUDENT, case_id, NOW)
    run(db, cases.withdraw, STUDENT, case_id, NOW)
    assert status(db, case_id) == CaseStatus.WITHDRAWN
