"""Incoming mobilities in the built-in SIS (``sis_incoming_mobility``): the students from other
institutions who studied here, served to their sending institution over EWP (imobility-tors).

The SIS import file lists them under ``incomingMobilities`` (docs/SIS-IMPORT.md); each names its
student by ESI, a person in the same file or stored before, and its receiving institution, an
institution of the file or stored. Importing the same file again changes nothing; a mobility whose
values change gets a new ``updated_at`` (what the EWP index's ``modified_since`` compares), and so
does a mobility whose student's person or results change: its transcript is made again
(``sis_mobility_transcript``, made ahead by the EMP, is deleted).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from emrex.identity import ESI_PREFIX
from emrex.sis.checks import JsonChecker
from emrex.sis.tables import (
    SisIncomingMobility,
    SisInstitution,
    SisMobilityTranscript,
    SisPerson,
    SisPersonIdentifier,
)

KEY = "incomingMobilities"
_MOBILITY_ID = re.compile(r"[!-~]{1,64}")  # ewp:AsciiPrintableIdentifier
_SCHAC = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
_FIELDS = frozenset(
    {"omobilityId", "sendingHei", "receivingHei", "studentEsi", "start", "end", "torApprovedAt"}
)


@dataclass(frozen=True)
class MobilityData:
    path: str
    omobility_id: str
    sending_hei: str
    receiving_hei: str
    student_esi: str
    start: dt.date
    end: dt.date
    tor_approved_at: dt.datetime | None


def check_mobilities(checker: JsonChecker, raw: Any) -> list[MobilityData]:
    """The checked ``incomingMobilities`` of an import file, problems recorded on ``checker``. A
    student ESI not in the file is looked up when the import writes (``import_mobilities``)."""
    found: list[MobilityData] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(checker.array(raw, KEY)):
        path = f"{KEY}[{i}]"
        before = len(checker.problems)
        o = checker.obj(item, path)
        if o is None:
            continue
        checker.unknown(o, path, _FIELDS)
        mobility_id = checker.string(o, "omobilityId", path, required=True, max_len=64)
        if mobility_id is not None and not _MOBILITY_ID.fullmatch(mobility_id):
            checker.problem(f"{path}.omobilityId", "1 to 64 printable ASCII characters without spaces")
            mobility_id = None
        elif mobility_id is not None and mobility_id in seen:
            checker.problem(f"{path}.omobilityId", f"{mobility_id!r} is already used by {seen[mobility_id]}")
            mobility_id = None
        if mobility_id is not None:
            seen[mobility_id] = path
        sending = _schac(checker, o, "sendingHei", path)
        receiving = _schac(checker, o, "receivingHei", path)
        esi = checker.string(o, "studentEsi", path, required=True)
        if esi is not None and not esi.startswith(ESI_PREFIX):
            checker.problem(f"{path}.studentEsi", f"an ESI starts with {ESI_PREFIX}")
            esi = None
        start = checker.date(o, "start", path, required=True)
        end = checker.date(o, "end", path, required=True)
        if start and end and end < start:
            checker.problem(f"{path}.end", "is before the start")
        approved = _moment(checker, o, "torApprovedAt", path)
        if sending and receiving and sending == receiving:
            checker.problem(f"{path}.sendingHei", "is the receiving institution itself")
        if (
            mobility_id
            and sending
            and receiving
            and esi
            and start
            and end
            and len(checker.problems) == before
        ):
            found.append(MobilityData(path, mobility_id, sending, receiving, esi, start, end, approved))
    return found


def _schac(checker: JsonChecker, o: dict[str, Any], key: str, path: str) -> str | None:
    value = checker.string(o, key, path, required=True)
    if value is not None and not _SCHAC.fullmatch(value):
        checker.problem(f"{path}.{key}", "a SCHAC code in lower case, like uni.example")
        return None
    return value


def _moment(checker: JsonChecker, o: dict[str, Any], key: str, path: str) -> dt.datetime | None:
    value = o.get(key)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        checker.problem(f"{path}.{key}", "a date and time with its zone, like 2026-07-01T09:00:00Z, or null")
        return None
    return moment.astimezone(dt.UTC)


def import_mobilities(s: Session, mobilities: Sequence[MobilityData], now: dt.datetime) -> list[str]:
    """Write the mobilities (after the file's institutions and persons); the problems with stored
    data (an unknown institution or student), which the caller turns into a rollback."""
    problems: list[str] = []
    for data in mobilities:
        institution = s.scalars(
            select(SisInstitution).where(SisInstitution.schac == data.receiving_hei)
        ).first()
        person = s.scalar(
            select(SisPerson)
            .join(SisPersonIdentifier, SisPersonIdentifier.person_id == SisPerson.id)
            .where(SisPersonIdentifier.type == "esi", SisPersonIdentifier.value == data.student_esi)
        )
        if institution is None:
            problems.append(
                f"{data.path}.receivingHei: {data.receiving_hei!r} is neither in the file nor stored"
            )
        if person is None:
            problems.append(
                f"{data.path}.studentEsi: no person in the file or stored has this esi identifier"
            )
        if institution is None or person is None:
            continue
        row = s.scalars(
            select(SisIncomingMobility).where(SisIncomingMobility.omobility_id == data.omobility_id)
        ).first()
        if row is None:
            row = SisIncomingMobility(omobility_id=data.omobility_id)
            s.add(row)
        row.sending_hei, row.receiving_institution_id = data.sending_hei, institution.id
        row.person_id, row.student_esi = person.id, data.student_esi
        row.start_date, row.end_date, row.tor_approved_at = data.start, data.end, data.tor_approved_at
        if row.id is None or s.is_modified(row):
            row.updated_at = now
    s.flush()
    return problems


def results_changed(s: Session, person_ids: set[int], now: dt.datetime) -> None:
    """The mobilities changed by this import (their row, or their student's person or results): a
    new ``updated_at``, and their stored transcripts deleted (the EMP makes them again)."""
    if person_ids:
        s.execute(
            update(SisIncomingMobility)
            .where(SisIncomingMobility.person_id.in_(sorted(person_ids)))
            .values(updated_at=now),
            execution_options={"synchronize_session": False},
        )
    changed = select(SisIncomingMobility.id).where(SisIncomingMobility.updated_at == now)
    s.execute(
        delete(SisMobilityTranscript).where(SisMobilityTranscript.mobility_id.in_(changed)),
        execution_options={"synchronize_session": False},
    )
