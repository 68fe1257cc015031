"""Finding students for staff: by name, login name or identifier, in any case and without diacritics.

The EMC knows a student through the transfers they started (the login's name and identifiers are
copied into each one). Names are compared in Python, folded as the identity check folds them: SQLite's
``lower()`` folds ASCII letters only, so "ÅSA" would not find "Åsa" in SQL.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

from sqlalchemy import exists, select

from emrex.db import Database
from emrex.emc.models import Transfer
from emrex.identity import normalise_name

MAX_QUERY = 200
MIN_IDENTIFIER_PART = 4  # shorter text would find a part of almost every identifier
MAX_MATCHES = 200


@dataclass(frozen=True)
class StudentMatch:
    subject: str  # the login name
    name: str


def find_students(db: Database, query: str) -> list[StudentMatch]:
    """Students whose login name, name or identifier contains ``query`` (each word of it, for names)."""
    text = query.strip()[:MAX_QUERY]
    if not text:
        return []
    words = normalise_name(text, ascii_fold=True).split()
    folded_text, compact = text.casefold(), _compact(text)
    by_identifier = len(compact) >= MIN_IDENTIFIER_PART
    folded_names: dict[str, str] = {}  # a student's name repeats in each of their transfers
    found: dict[str, StudentMatch] = {}
    with db.session(readonly=True) as s:
        rows = s.execute(
            select(Transfer.student, Transfer.student_name, Transfer.student_json)
            .distinct()
            .order_by(Transfer.student)
        )
        for subject, name, person_json in rows:
            if subject in found:
                continue
            if name not in folded_names:
                folded_names[name] = normalise_name(name, ascii_fold=True)
            if (
                folded_text in subject.casefold()
                or (words and _all_in(words, folded_names[name]))
                or (by_identifier and _has_identifier(person_json, compact))
            ):
                found[subject] = StudentMatch(subject, name)
                if len(found) >= MAX_MATCHES:
                    break
    return sorted(found.values(), key=lambda m: (normalise_name(m.name, ascii_fold=True), m.subject))


def is_known(db: Database, subject: str) -> bool:
    """Whether the student with this login name has started a transfer here."""
    if not subject:
        return False
    with db.session(readonly=True) as s:
        return bool(s.scalar(select(exists().where(Transfer.student == subject))))


def _all_in(words: list[str], name: str) -> bool:
    return all(word in name for word in words)


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _has_identifier(person_json: str, compact: str) -> bool:
    # the whole record first (cheap), then its identifiers alone
    return compact in _compact(person_json) and compact in _identifiers(person_json)


def _identifiers(person_json: str) -> str:
    """The person's identifiers as one folded text (values only), for a containment test."""
    try:
        identifiers = json.loads(person_json).get("identifiers", {})
    except (ValueError, AttributeError):
        return ""
    if not isinstance(identifiers, dict):
        return ""
    return "\n".join(_compact(str(v)) for v in identifiers.values())
