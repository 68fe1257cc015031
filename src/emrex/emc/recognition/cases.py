"""Recognition cases in the database: every change a student or an officer makes, as one transaction.

Every change names the version of the case it was made from and is written with a conditional
``UPDATE … WHERE version = :seen AND status IN (…)``: of two officers deciding one case, the first
wins and the second gets a ``CaseError`` of kind ``conflict`` saying who changed it, and nothing of
theirs is stored. Each change adds a row to the audit trail (``emc_recognition_event``).

    draft --submit--> submitted --request information--> needs_information --answer--> submitted
    submitted --send to expert--> expert_statement (--record statement-->) --decide--> decided
    submitted --decide--> decided --register--> registered
    submitted / needs_information / expert_statement --withdraw--> withdrawn; a draft is deleted
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from emrex.emc.recognition.data import add_webhook_event
from emrex.emc.recognition.errors import CaseError, _
from emrex.emc.recognition.foreign import ForeignResult
from emrex.emc.recognition.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseStatus,
    Course,
    Item,
    ItemBasis,
    Outcome,
    TargetKind,
)
from emrex.web.auth import Person

MAX_ID = 2**63 - 1
MAX_TEXT = 4000  # motivation, answers, requests, statements
MAX_REASON = 2000
MAX_ITEMS = 30
MAX_BASES = 40
MAX_ATTACHMENTS = 10
ANY = tuple(CaseStatus)
STATUS_NAMES = {
    CaseStatus.DRAFT: _("draft"),
    CaseStatus.SUBMITTED: _("submitted"),
    CaseStatus.NEEDS_INFORMATION: _("needs information"),
    CaseStatus.EXPERT_STATEMENT: _("expert statement"),
    CaseStatus.DECIDED: _("decided"),
    CaseStatus.REGISTERED: _("registered in the SIS"),
    CaseStatus.WITHDRAWN: _("withdrawn"),
}


@dataclass(frozen=True)
class Actor:
    subject: str
    name: str
    staff: bool

    @classmethod
    def of(cls, person: Person, *, staff: bool = False) -> Actor:
        return cls(person.subject[:255], person.display_name[:255], staff)


@dataclass(frozen=True)
class ItemDecision:
    outcome: Outcome
    credits: Decimal | None
    reason: str


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def load(s: Session, case_id: int, actor: Actor) -> Case:
    """The case as its student or an officer may see it (a draft is its student's alone); any other
    case is "not found"."""
    case = s.get(Case, case_id) if valid_id(case_id) else None
    if case is None or not (
        case.student == actor.subject or (actor.staff and case.status != CaseStatus.DRAFT)
    ):
        raise CaseError(_("There is no such case among yours."), "not_found")
    return case


def create(s: Session, person: Person, results: Sequence[ForeignResult], now: dt.datetime) -> Case:
    if not results:
        raise CaseError(_("Choose at least one of your foreign results."), "invalid")
    if len(results) > MAX_BASES:
        raise CaseError(
            _("Choose at most %(count)s results for one application."), "invalid", count=MAX_BASES
        )
    if any(r.status != "passed" for r in results):
        raise CaseError(_("Only passed results can be the basis of credit recognition."), "invalid")
    case = Case(
        student=person.subject[:255],
        student_name=person.display_name[:255],
        student_birth_date=person.birth_date,
        status=CaseStatus.DRAFT,
        version=1,
        motivation="",
        created_at=now,
        updated_at=now,
        bases=[result.basis() for result in results],
    )
    s.add(case)
    s.flush()
    _event(s, case, Actor.of(person), "created", now)
    return case


def add_item(
    s: Session,
    actor: Actor,
    case_id: int,
    version: int,
    now: dt.datetime,
    *,
    basis_ids: Sequence[int],
    course_code: str | None = None,
    credits: str | None = None,
    description: str | None = None,
) -> Item:
    case = _change(s, actor, case_id, version, (CaseStatus.DRAFT,), now)
    if len(case.items) >= MAX_ITEMS:
        raise CaseError(_("An application has at most %(count)s targets."), "invalid", count=MAX_ITEMS)
    own = {b.id for b in case.bases}
    chosen = sorted(set(basis_ids))
    if not chosen or not set(chosen) <= own:
        raise CaseError(_("Choose which of the foreign results this target rests on."), "invalid")
    if course_code is not None:
        course = s.scalars(select(Course).where(Course.code == course_code[:40], Course.active)).first()
        if course is None:
            raise CaseError(_("There is no such course in the catalogue."), "invalid")
        if any(i.course_id == course.id for i in case.items):
            raise CaseError(_("This course is a target of the application already."), "invalid")
        item = Item(kind=TargetKind.COURSE, course_id=course.id, code=course.code, titles=course.titles)
        item.credits = course.credits
    else:
        text = " ".join((description or "").split())[:200]
        if not text:
            raise CaseError(_("Say what the credits are for (for example, the subject)."), "invalid")
        item = Item(kind=TargetKind.CREDITS, code=None, titles=json.dumps({"": text}, ensure_ascii=False))
        item.credits = str(parse_credits(credits, required=True))
    item.links = [ItemBasis(basis_id=b) for b in chosen]
    case.items.append(item)
    _event(s, case, actor, "item_added", now, item.code or item.title(""))
    s.flush()
    return item


def remove_item(s: Session, actor: Actor, case_id: int, version: int, item_id: int, now: dt.datetime) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.DRAFT,), now)
    item = next((i for i in case.items if i.id == item_id), None)
    if item is None:
        raise CaseError(_("This target is not part of the application."), "invalid")
    case.items.remove(item)
    _event(s, case, actor, "item_removed", now, item.code or item.title(""))


def save_motivation(
    s: Session, actor: Actor, case_id: int, version: int, text: str, now: dt.datetime
) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.DRAFT,), now)
    case.motivation = _clean(text, MAX_TEXT)
    _event(s, case, actor, "motivation_saved", now)


def add_attachment(
    s: Session, actor: Actor, case_id: int, version: int, filename: str, data: bytes, now: dt.datetime
) -> Attachment:
    """``data`` must have passed ``attachments.check_pdf``."""
    allowed = (CaseStatus.DRAFT, CaseStatus.NEEDS_INFORMATION)
    case = _change(s, actor, case_id, version, allowed, now)
    if len(case.attachments) >= MAX_ATTACHMENTS:
        raise CaseError(_("A case has at most %(count)s attachments."), "invalid", count=MAX_ATTACHMENTS)
    attachment = Attachment(
        filename=filename,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=actor.subject,
        uploaded_at=now,
    )
    case.attachments.append(attachment)
    _event(s, case, actor, "attachment_added", now, filename)
    s.flush()
    return attachment


def remove_attachment(
    s: Session, actor: Actor, case_id: int, version: int, attachment_id: int, now: dt.datetime
) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.DRAFT,), now)
    attachment = next((a for a in case.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise CaseError(_("This attachment is not part of the application."), "invalid")
    case.attachments.remove(attachment)
    _event(s, case, actor, "attachment_removed", now, attachment.filename)


def delete_draft(s: Session, actor: Actor, case_id: int, version: int, now: dt.datetime) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.DRAFT,), now)
    s.delete(case)


def submit(s: Session, actor: Actor, case_id: int, version: int, prefix: str, now: dt.datetime) -> Case:
    case = _change(s, actor, case_id, version, (CaseStatus.DRAFT,), now)
    if not case.items:
        raise CaseError(_("Choose at least one target before you submit."), "invalid")
    case.status = CaseStatus.SUBMITTED
    case.submitted_at = now
    if case.number is None:
        case.number = f"{prefix}-{now.year}-{case.id:05d}"
    _event(s, case, actor, "submitted", now)
    s.flush()
    add_webhook_event(s, "recognition.submitted", case, now)
    return case


def withdraw(s: Session, actor: Actor, case_id: int, version: int, now: dt.datetime) -> None:
    case = _change(s, actor, case_id, version, OPEN_TO_WITHDRAW, now)
    case.status = CaseStatus.WITHDRAWN
    _event(s, case, actor, "withdrawn", now)


def answer(s: Session, actor: Actor, case_id: int, version: int, text: str, now: dt.datetime) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.NEEDS_INFORMATION,), now)
    note = _required(text, _("Write your answer."))
    case.status = CaseStatus.SUBMITTED
    _event(s, case, actor, "information_given", now, note)


def request_information(
    s: Session, actor: Actor, case_id: int, version: int, text: str, now: dt.datetime
) -> None:
    allowed = (CaseStatus.SUBMITTED, CaseStatus.EXPERT_STATEMENT)
    case = _change(s, actor, case_id, version, allowed, now, staff=True)
    note = _required(text, _("Say what the student should add."))
    case.status = CaseStatus.NEEDS_INFORMATION
    _event(s, case, actor, "information_requested", now, note)


def send_to_expert(
    s: Session, actor: Actor, case_id: int, version: int, expert: str, now: dt.datetime
) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.SUBMITTED,), now, staff=True)
    name = _required(expert, _("Name the subject expert."), 255)
    case.status = CaseStatus.EXPERT_STATEMENT
    case.expert_name = name
    case.expert_statement = None
    _event(s, case, actor, "sent_to_expert", now, name)


def record_statement(
    s: Session, actor: Actor, case_id: int, version: int, statement: str, now: dt.datetime
) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.EXPERT_STATEMENT,), now, staff=True)
    case.expert_statement = _required(statement, _("Write the expert's statement."))
    _event(s, case, actor, "statement_recorded", now, case.expert_statement)


def decide(
    s: Session,
    actor: Actor,
    case_id: int,
    version: int,
    decisions: Mapping[int, ItemDecision],
    now: dt.datetime,
) -> Case:
    allowed = (CaseStatus.SUBMITTED, CaseStatus.EXPERT_STATEMENT)
    case = _change(s, actor, case_id, version, allowed, now, staff=True)
    if case.status == CaseStatus.EXPERT_STATEMENT and not case.expert_statement:
        raise CaseError(_("Record the expert's statement before the decision."), "state")
    for item in case.items:
        decision = decisions.get(item.id)
        if decision is None:
            raise CaseError(_("Decide every target of the application."), "invalid")
        _apply(item, decision)
    case.status = CaseStatus.DECIDED
    case.decided_at = now
    case.decided_by = actor.subject
    case.decided_by_name = actor.name
    summary = ", ".join(f"{i.code or i.title('')}: {i.outcome}" for i in case.items)
    _event(s, case, actor, "decided", now, summary)
    s.flush()
    add_webhook_event(s, "recognition.decided", case, now)
    return case


def register(s: Session, actor: Actor, case_id: int, version: int, reference: str, now: dt.datetime) -> None:
    case = _change(s, actor, case_id, version, (CaseStatus.DECIDED,), now, staff=True)
    case.status = CaseStatus.REGISTERED
    case.registered_at = now
    case.sis_reference = " ".join(reference.split())[:255] or None
    _event(s, case, actor, "registered", now, case.sis_reference)


OPEN_TO_WITHDRAW = (CaseStatus.SUBMITTED, CaseStatus.NEEDS_INFORMATION, CaseStatus.EXPERT_STATEMENT)


def parse_credits(value: str | None, *, required: bool = False) -> Decimal | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        if required:
            raise CaseError(_("Give the number of credits."), "invalid")
        return None
    try:
        number = Decimal(text[:12])
    except InvalidOperation:
        raise CaseError(_("The credits must be a number, such as 7.5."), "invalid") from None
    if not number.is_finite() or number <= 0 or number >= 1000 or number != number.quantize(Decimal("0.1")):
        raise CaseError(_("The credits must be a number, such as 7.5."), "invalid")
    return number.quantize(Decimal("0.1")).normalize() if number % 1 else Decimal(int(number))


def _apply(item: Item, decision: ItemDecision) -> None:
    reason = _clean(decision.reason, MAX_REASON)
    full = Decimal(item.credits)
    if decision.outcome is Outcome.GRANTED:
        item.granted_credits = item.credits
    elif decision.outcome is Outcome.PARTLY:
        if decision.credits is None or not 0 < decision.credits < full:
            raise CaseError(
                _("A partly granted target needs the credits granted, less than %(credits)s."),
                "invalid",
                credits=item.credits,
            )
        item.granted_credits = str(decision.credits)
    else:
        item.granted_credits = None
    if decision.outcome is not Outcome.GRANTED and not reason:
        raise CaseError(_("Give the reason for every target not granted in full."), "invalid")
    item.outcome = decision.outcome
    item.reason = reason or None


def _change(
    s: Session,
    actor: Actor,
    case_id: int,
    version: int,
    allowed: Sequence[CaseStatus],
    now: dt.datetime,
    *,
    staff: bool = False,
) -> Case:
    """Claim the case at ``version`` in one of the ``allowed`` statuses (version + 1), or CaseError."""
    if staff and not actor.staff:
        raise CaseError(_("Only staff can do this."), "not_found")
    if not valid_id(case_id):
        raise CaseError(_("There is no such case among yours."), "not_found")
    claim = (
        update(Case)
        .where(Case.id == case_id, Case.version == version, Case.status.in_([str(a) for a in allowed]))
        .values(version=Case.version + 1, updated_at=now)
    )
    if not actor.staff:
        claim = claim.where(Case.student == actor.subject)
    result = s.execute(claim.execution_options(synchronize_session=False))
    case = s.scalars(select(Case).where(Case.id == case_id).execution_options(populate_existing=True)).first()
    if int(getattr(result, "rowcount", 0) or 0) == 1 and case is not None:
        return case
    if case is None or not (
        case.student == actor.subject or (actor.staff and case.status != CaseStatus.DRAFT)
    ):
        raise CaseError(_("There is no such case among yours."), "not_found")
    if case.version != version:
        last = case.events[-1] if case.events else None
        raise CaseError(
            _(
                "%(who)s changed this case (%(what)s) at %(when)s, after you opened it. Nothing of yours was "
                "saved: open the case again and check."
            ),
            "conflict",
            who=last.actor_name if last else "?",
            what=ACTION_NAMES.get(last.action, last.action) if last else "?",
            when=last.at.strftime("%Y-%m-%d %H:%M UTC") if last else "?",
        )
    raise CaseError(
        _("This cannot be done while the case is %(status)s."),
        "state",
        status=STATUS_NAMES.get(CaseStatus(case.status), case.status),
    )


def _event(
    s: Session, case: Case, actor: Actor, action: str, now: dt.datetime, note: str | None = None
) -> None:
    s.add(
        CaseEvent(
            case_id=case.id,
            at=now,
            actor=actor.subject,
            actor_name=actor.name,
            action=action,
            status=case.status,
            note=note,
        )
    )


def _clean(text: str, limit: int) -> str:
    lines = [
        "".join(c for c in line if c.isprintable()).rstrip()
        for line in text.replace("\r\n", "\n").split("\n")
    ]
    return "\n".join(lines).strip()[:limit]


def _required(text: str, message: str, limit: int = MAX_TEXT) -> str:
    cleaned = _clean(text, limit)
    if not cleaned:
        raise CaseError(message, "invalid")
    return cleaned


ACTION_NAMES = {
    "created": _("application started"),
    "item_added": _("target added"),
    "item_removed": _("target removed"),
    "motivation_saved": _("motivation saved"),
    "attachment_added": _("attachment added"),
    "attachment_removed": _("attachment removed"),
    "submitted": _("application submitted"),
    "withdrawn": _("application withdrawn"),
    "information_requested": _("more information requested"),
    "information_given": _("information given"),
    "sent_to_expert": _("sent to a subject expert"),
    "statement_recorded": _("expert statement recorded"),
    "decided": _("decided"),
    "registered": _("registered in the SIS"),
}
