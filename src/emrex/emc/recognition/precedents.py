"""Earlier decisions for the same foreign courses (same issuer and code), so equal cases get equal decisions.

Officers see every earlier decision on such a course (case number, target, outcome, credits, reason);
students see suggested targets: the home courses those courses were credited against, and how often.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from emrex.emc.recognition.models import DECIDED, Basis, Case, Course, Item, ItemBasis, Outcome

MAX_PRECEDENTS = 50


@dataclass(frozen=True)
class Precedent:
    basis_key: tuple[str, str | None]  # (issuer_key, code_key) of the foreign course
    foreign_title: str
    case_id: int
    case_number: str | None
    decided_at: dt.datetime | None
    course_id: int | None
    code: str | None
    titles: str
    credits: str
    outcome: str
    granted_credits: str | None
    reason: str | None


@dataclass(frozen=True)
class Suggestion:
    course: Course
    granted: int  # earlier decisions granting it in full
    partly: int
    refused: int
    foreign: tuple[str, ...]  # titles of the foreign courses it was decided for


def precedents(s: Session, bases: Sequence[Basis], exclude_case: int) -> list[Precedent]:
    """Decided items resting on a foreign course with the issuer and code of one of ``bases``."""
    keys = sorted({(b.issuer_key, b.code_key) for b in bases if b.code_key})
    if not keys:
        return []
    rows = s.execute(
        select(Basis.issuer_key, Basis.code_key, Basis.title, Case.id, Case.number, Case.decided_at, Item)
        .join(ItemBasis, ItemBasis.basis_id == Basis.id)
        .join(Item, Item.id == ItemBasis.item_id)
        .join(Case, Case.id == Item.case_id)
        .where(tuple_(Basis.issuer_key, Basis.code_key).in_(keys))
        .where(Case.status.in_([str(status) for status in DECIDED]), Case.id != exclude_case)
        .order_by(Case.decided_at.desc(), Item.id)
        .limit(MAX_PRECEDENTS)
    ).all()
    return [
        Precedent(
            basis_key=(issuer, code),
            foreign_title=title,
            case_id=case_id,
            case_number=number,
            decided_at=decided_at,
            course_id=item.course_id,
            code=item.code,
            titles=item.titles,
            credits=item.credits,
            outcome=item.outcome or "",
            granted_credits=item.granted_credits,
            reason=item.reason,
        )
        for issuer, code, title, case_id, number, decided_at, item in rows
    ]


def suggestions(s: Session, found: Sequence[Precedent], taken: set[int]) -> list[Suggestion]:
    """Catalogue courses earlier decisions granted (in full or in part), most often granted first;
    courses in ``taken`` left out."""
    counts: dict[int, dict[str, int]] = {}
    foreign: dict[int, list[str]] = {}
    seen: set[tuple[int, int]] = set()
    for p in found:
        if p.course_id is None or p.course_id in taken or (p.case_id, p.course_id) in seen:
            continue
        seen.add((p.case_id, p.course_id))
        tally = counts.setdefault(p.course_id, {str(o): 0 for o in Outcome})
        tally[p.outcome] = tally.get(p.outcome, 0) + 1
        if p.foreign_title not in foreign.setdefault(p.course_id, []):
            foreign[p.course_id].append(p.foreign_title)
    if not counts:
        return []
    courses = {c.id: c for c in s.scalars(select(Course).where(Course.id.in_(counts), Course.active))}
    found_suggestions = [
        Suggestion(
            course=courses[cid],
            granted=tally[Outcome.GRANTED],
            partly=tally[Outcome.PARTLY],
            refused=tally[Outcome.REFUSED],
            foreign=tuple(foreign[cid]),
        )
        for cid, tally in counts.items()
        if cid in courses and tally[Outcome.GRANTED] + tally[Outcome.PARTLY] > 0
    ]
    found_suggestions.sort(key=lambda g: (-(g.granted + g.partly), g.refused, g.course.code))
    return found_suggestions
