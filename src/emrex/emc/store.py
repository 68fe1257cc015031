"""Transfers in the database: start, return, deletion, retention, and their JSON data (the student's
decision and staff review are ``emrex.emc.importing``).

Each function runs in one transaction (``Database.session()``): it changes everything it says or,
when it raises, nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.dml import Update

from emrex.db import Database, UtcDateTime, utcnow
from emrex.emc.models import (
    DELETABLE,
    ForeignCredential,
    Source,
    Status,
    Transfer,
    WebhookEvent,
    shown_status,
)
from emrex.emc.registries import emp_title
from emrex.emc.results_view import view_json
from emrex.emc.returns import Outcome, Received, ResultKey, ReturnRefused, result_key
from emrex.emc.student_record import read_record, record_of
from emrex.errors import N_, EmrexError
from emrex.identity import LocalPerson, neutral_reason, neutral_text
from emrex.registry.model import Country, Emp
from emrex.trust.certs import load_certificates
from emrex.web.auth import Person
from emrex.web.wallet_store import revoke_subject_in

SESSION_ID_BYTES = 16  # 32 hex characters
DEFAULT_MAX_OPEN = 5  # transfers of one student waiting for their data provider at once
MAX_ID = 2**63 - 1  # ids are BIGINT: larger numbers from a URL name nothing (and must not reach the driver)

# The tables for the statements of the hot paths (return, confirm): Core statements built once and
# run with parameters, so SQLAlchemy finds them compiled in its cache and no ORM unit of work runs.
_TRANSFER = cast(Table, Transfer.__table__)
_CREDENTIAL = cast(Table, ForeignCredential.__table__)
_EVENT = cast(Table, WebhookEvent.__table__)


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


class TransferError(EmrexError):
    """A transfer cannot be found or used as asked; ``kind`` names the reason for the page."""

    def __init__(self, message: str, kind: str, **values: object) -> None:
        super().__init__(message)
        self.kind = kind
        self.worded(message, **values)


def new_session_id() -> str:
    return secrets.token_hex(SESSION_ID_BYTES)


def start_transfer(
    db: Database,
    person: Person,
    country: Country,
    emp: Emp,
    lifetime: dt.timedelta,
    max_open: int = DEFAULT_MAX_OPEN,
) -> Transfer:
    if not emp.certificates:
        raise TransferError(
            N_("%(emp)s publishes no certificate; its results cannot be verified"), "emp", emp=emp_title(emp)
        )
    now = utcnow()
    pems = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in emp.certificates).decode("ascii")
    values = {
        "session_id": new_session_id(),
        "student": person.subject,
        "student_name": person.display_name[:255],
        "student_json": record_of(person),
        "status": Status.STARTED,
        "created_at": now,
        "expires_at": now + lifetime,
        "country_code": country.code,
        "emp_acronym": emp.acronym[:255],
        "emp_name": emp_title(emp),
        "emp_url": emp.url,
        "emp_certificates": pems,
        "emp_institutions": json.dumps(list(emp.institutions), ensure_ascii=False),
        "courses": 0,
        "credits": "0",
        "source": Source.EMREX,
    }
    with db.session() as s:
        lock_student(s, person.subject)
        waiting = s.scalar(
            _OPEN_COUNT, {"student": person.subject, "waiting": Status.STARTED.value, "now": now}
        )
        if (waiting or 0) >= max_open:
            raise TransferError(
                N_(
                    "you have %(count)s transfers waiting for their data provider, the most at once; "
                    "finish or delete one of them, or wait until they expire"
                ),
                "limit",
                count=waiting,
            )
        transfer_id = s.execute(_INSERT_TRANSFER, values).scalar_one()
    return Transfer(id=transfer_id, **values)  # as stored (not attached to a session)


_OPEN_COUNT = (
    select(func.count())
    .select_from(_TRANSFER)
    .where(_TRANSFER.c.student == bindparam("student"))
    .where(_TRANSFER.c.status == bindparam("waiting"))
    .where(_TRANSFER.c.expires_at > bindparam("now", type_=UtcDateTime()))
)
_INSERT_TRANSFER = insert(_TRANSFER).returning(_TRANSFER.c.id)


def lock_student(s: Session, student: str) -> None:
    """Serialise the writers of one student's transfers (SQLite: every writer already is)."""
    if s.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(b"emc-transfers:" + student.encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@dataclass(frozen=True)
class Waiting:
    """A transfer waiting for its answer, as the return reads it: what was pinned at its start."""

    id: int
    student: str
    student_json: str
    created_at: dt.datetime
    country_code: str
    emp_acronym: str
    emp_url: str
    emp_certificates: str
    emp_institutions: str | None


_WAITING = (
    select(
        *(_TRANSFER.c[name] for name in Waiting.__dataclass_fields__),
        _TRANSFER.c.status,
        _TRANSFER.c.expires_at,
    )
    .where(_TRANSFER.c.session_id == bindparam("session_id"))
    .with_for_update()
)


def pinned_certificates(transfer: Transfer | Waiting) -> tuple[x509.Certificate, ...]:
    return load_certificates(transfer.emp_certificates)


def pinned_emp(transfer: Transfer | Waiting) -> Emp | None:
    """The EMP as the registry listed it when the transfer started (its institutions, for the issuer
    check); None for a transfer started before they were pinned, whose issuers are not compared."""
    if transfer.emp_institutions is None:
        return None
    listed = json.loads(transfer.emp_institutions)
    return Emp(transfer.emp_acronym, transfer.country_code, transfer.emp_url, tuple(listed))


def local_person(transfer: Transfer | Waiting) -> LocalPerson:
    return read_record(transfer.student_json)


def open_for_return(s: Session, session_id: str, now: dt.datetime) -> Waiting:
    """The transfer waiting for this ``sessionId`` (locked for update), or TransferError."""
    if not session_id or len(session_id) > 64:
        raise TransferError(N_("the answer carries no valid sessionId"), "unknown")
    transfer = s.execute(_WAITING, {"session_id": session_id}).first()
    if transfer is None:
        raise TransferError(N_("no transfer was started with this sessionId"), "unknown")
    if transfer.status == Status.WITHDRAWN:
        raise TransferError(N_("the student cancelled this transfer before the answer came"), "cancelled")
    if transfer.status != Status.STARTED:
        raise TransferError(N_("this transfer has been answered already; a sessionId is used once"), "used")
    if transfer.expires_at <= now:
        raise TransferError(N_("this transfer expired before the answer came; start a new one"), "expired")
    return Waiting(*transfer[: len(Waiting.__dataclass_fields__)])


@functools.cache
def _answering(columns: tuple[str, ...]) -> Update:
    """UPDATE of ``columns`` in the transfer that still waits for the answer to ``session_id``."""
    return (
        update(_TRANSFER)
        .where(_TRANSFER.c.session_id == bindparam("answered_session"))
        .where(_TRANSFER.c.status == bindparam("waiting"))
        .where(_TRANSFER.c.expires_at > bindparam("answered_at", type_=UtcDateTime()))
        .values({name: bindparam(f"new_{name}", type_=_TRANSFER.c[name].type) for name in columns})
        .returning(_TRANSFER.c.id)
    )


def store_answer(s: Session, session_id: str, values: dict[str, Any], now: dt.datetime) -> None:
    """Write an answer's ``values`` into the transfer if it still waits for it, in one statement (the
    row lock makes the ``sessionId`` single use); TransferError saying why not, nothing written."""
    params = {f"new_{name}": value for name, value in values.items()}
    params |= {"answered_session": session_id, "waiting": Status.STARTED.value, "answered_at": now}
    if s.execute(_answering(tuple(values)), params).first() is None:
        open_for_return(s, session_id, now)  # raises why it no longer waits
        raise TransferError(N_("this transfer has been answered already; a sessionId is used once"), "used")


def _record(transfer: Transfer, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(transfer, name, value)


def outcome_values(outcome: Outcome, return_code: str, message: str, now: dt.datetime) -> dict[str, Any]:
    """What an answer without results stores (the student cancelled, nothing found, the EMP's error)."""
    status = {
        Outcome.CANCEL: Status.CANCELLED,
        Outcome.NO_RESULTS: Status.NO_RESULTS,
        Outcome.ERROR: Status.EMP_ERROR,
    }.get(outcome, Status.FAILED)
    return {
        "return_code": return_code[:40],
        "return_message": message or None,
        "returned_at": now,
        "status": status,
    }


def record_outcome(
    transfer: Transfer, outcome: Outcome, return_code: str, message: str, now: dt.datetime
) -> None:
    _record(transfer, outcome_values(outcome, return_code, message, now))


def failure_values(reason: str, return_code: str, now: dt.datetime) -> dict[str, Any]:
    """What a refused answer stores: why, and no document."""
    return {
        "return_code": return_code[:40] or None,
        "returned_at": now,
        "status": Status.FAILED,
        "failure": reason,
        "elmo_xml": None,
        "pdf": None,
        "results_view": None,
    }


def record_failure(transfer: Transfer, reason: str, return_code: str, now: dt.datetime) -> None:
    _record(transfer, failure_values(reason, return_code, now))


def received_values(
    transfer: Transfer | Waiting,
    xml: bytes,
    received: Received,
    return_code: str,
    now: dt.datetime,
    languages: Iterable[str] = ("en",),
) -> dict[str, Any]:
    """What a verified answer stores: the document, what was verified, and its results view in
    ``languages`` (the EMC's)."""
    verified = received.verified
    return {
        "return_code": return_code[:40],
        "returned_at": now,
        "status": Status.RECEIVED,
        "signer": verified.signer,
        "signer_fingerprint": verified.fingerprint,
        "algorithms": json.dumps(_algorithm_names(verified.algorithms)),
        "warnings": json.dumps(list(verified.warnings)),
        "identity_verdict": str(received.identity.verdict),
        "identity_reasons": json.dumps(list(received.identity.reasons)),
        "issuers": json.dumps(issuers_of(received), ensure_ascii=False),
        "courses": len(received.courses),
        "credits": str(received.credits),
        "elmo_xml": xml,
        "pdf": received.pdf,
        "document_digest": document_digest(received),
        "results_view": view_json(received, languages, pinned_emp(transfer)),
    }


def record_received(
    transfer: Transfer,
    xml: bytes,
    received: Received,
    return_code: str,
    now: dt.datetime,
    languages: Iterable[str] = ("en",),
) -> None:
    """Store a verified answer and its results view in ``languages`` (the EMC's)."""
    _record(transfer, received_values(transfer, xml, received, return_code, now, languages))


# What a course's values are called on the page, for the columns with a length.
_STORED = {
    "issuer_id": "an issuer identifier",
    "issuer_country": "an issuer country",
    "code": "a course code",
    "los_type": "a type",
    "grade": "a grade",
    "credits": "credits",
    "credit_scheme": "a credit scheme",
    "level": "a level",
    "status": "a status",
}


def storable_refusal(received: Received) -> ReturnRefused | None:
    """Why a signed value cannot be stored as it is (longer than its column), or None.

    Checked at the return, on every database alike: PostgreSQL refuses a value longer than its column
    only when the import writes it, and a transfer that cannot be imported would wait for ever.
    """
    columns = ForeignCredential.__table__.columns
    total = str(received.credits)
    if len(total) > _length(Transfer.__table__.columns["credits"]):
        return ReturnRefused.said(
            N_("the results cannot be stored: their credits add up to %(total)s…"),
            "document",
            total=total[:40],
        )
    for course in received.courses:
        for name, words in _STORED.items():
            value = getattr(course, name)
            text = str(value) if value is not None else ""
            limit = _length(columns[name])
            if len(text) > limit:
                return ReturnRefused.said(
                    N_(
                        "the results cannot be stored: %(title)s has %(field)s of %(length)s "
                        "characters (at most %(limit)s are stored)"
                    ),
                    "document",
                    title=repr(course.title[:80]),
                    field=words,
                    length=len(text),
                    limit=limit,
                )
    return None


def _length(column: Any) -> int:
    length = getattr(column.type, "length", None)
    return int(length) if length else 2**31


def document_digest(received: Received) -> str:
    """SHA-256 of the signed content: the same results re-signed or re-encoded have the same digest."""
    return hashlib.sha256(received.verified.signed_xml).hexdigest()


HOLDS_RESULTS = (Status.RECEIVED, Status.REVIEW, Status.IMPORTED)


_EARLIER = (
    select(_TRANSFER.c.id, _TRANSFER.c.status)
    .where(_TRANSFER.c.student == bindparam("student"))
    .where(_TRANSFER.c.document_digest == bindparam("digest"))
    .where(_TRANSFER.c.status.in_([status.value for status in HOLDS_RESULTS]))
    .where(_TRANSFER.c.id != bindparam("transfer_id"))
    .order_by(_TRANSFER.c.id)
    .limit(1)
)


def duplicate_refusal(s: Session, transfer: Transfer | Waiting, received: Received) -> ReturnRefused | None:
    """Why these results must not be taken again for this student, or None.

    The same signed content in another transfer that holds or imported it is refused whole, as are
    results that were every one imported already; results partly imported before are kept, and the
    import skips what is there (``imported_elsewhere``).
    """
    lock_student(s, transfer.student)  # a second answer of the same student waits for this one
    digest = document_digest(received)
    earlier = s.execute(
        _EARLIER, {"student": transfer.student, "digest": digest, "transfer_id": transfer.id}
    ).first()
    if earlier is not None:
        return ReturnRefused.said(
            N_(
                "these results were received already in transfer %(id)s (%(status)s); "
                "they are not imported twice"
            ),
            "duplicate",
            id=earlier.id,
            status=earlier.status,
        )
    found = imported_elsewhere(s, transfer, [c.key for c in received.courses])
    if received.courses and len(found) == len({c.key for c in received.courses}):
        ids = ", ".join(str(i) for i in sorted(set(found.values())))
        return ReturnRefused.said(
            N_(
                "all %(count)s results in this document were imported already "
                "(transfer %(ids)s); there is nothing new to import"
            ),
            "duplicate",
            count=len(received.courses),
            ids=ids,
        )
    return None


_IMPORTED = (
    select(
        _CREDENTIAL.c.issuer,
        _CREDENTIAL.c.issuer_id,
        _CREDENTIAL.c.code,
        _CREDENTIAL.c.title,
        _CREDENTIAL.c.start_date,
        _CREDENTIAL.c.end_date,
        _CREDENTIAL.c.transfer_id,
    )
    .where(_CREDENTIAL.c.student == bindparam("student"))
    .where(_CREDENTIAL.c.transfer_id != bindparam("transfer_id"))
    .order_by(_CREDENTIAL.c.id)
)


def imported_elsewhere(
    s: Session, transfer: Transfer | Waiting, keys: Sequence[ResultKey]
) -> dict[ResultKey, int]:
    """Of ``keys``, those the student has imported from another transfer, with that transfer's id."""
    wanted = set(keys)
    found: dict[ResultKey, int] = {}
    rows = s.execute(_IMPORTED, {"student": transfer.student, "transfer_id": transfer.id})
    for issuer, issuer_id, code, title, start, end, transfer_id in rows:
        key = result_key(issuer, issuer_id, code, title, end or start)
        if key in wanted:
            found.setdefault(key, transfer_id)
    return found


def issuers_of(received: Received) -> list[dict[str, str | None]]:
    """Each report's issuer (once), as the signed document names it."""
    found: list[dict[str, str | None]] = []
    for report in received.elmo.reports:
        issuer = report.issuer
        name = issuer.title("en") or (issuer.titles[0].text if issuer.titles else "")
        ident = issuer.identifier("schac") or issuer.identifier("erasmus") or issuer.identifier("pic")
        entry = {"name": name.strip()[:255] or None, "id": ident, "country": issuer.country}
        if entry not in found:
            found.append(entry)
    return found


def issuers_data(t: Transfer) -> list[dict[str, str | None]]:
    try:
        data = json.loads(t.issuers or "[]")
    except ValueError:
        return []
    return [i for i in data if isinstance(i, dict)] if isinstance(data, list) else []


def _algorithm_names(algorithms: Any) -> dict[str, str]:
    return {
        "canonicalization": algorithms.c14n,
        "signature": algorithms.signature,
        "digest": algorithms.digest,
    }


def owned(s: Session, transfer_id: int, student: str) -> Transfer:
    """The student's own transfer; another student's or a missing one is "not found" alike."""
    transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
    if transfer is None or transfer.student != student:
        raise TransferError(N_("there is no such transfer among yours"), "not_found")
    return transfer


def withdraw(transfer: Transfer, now: dt.datetime) -> None:
    """The student gives up a transfer that waits for the data provider; its answer is refused later."""
    if transfer.status != Status.STARTED:
        raise TransferError(N_("only a transfer that waits for the data provider can be cancelled"), "state")
    transfer.status = Status.WITHDRAWN
    transfer.decided_at = now


def discard(transfer: Transfer, now: dt.datetime) -> None:
    if transfer.status != Status.RECEIVED:
        raise TransferError(N_("these results are not waiting for your decision"), "state")
    session = object_session(transfer)
    if session is not None:
        revoke_wallet_credentials(session, transfer.id)
    transfer.status = Status.DISCARDED
    transfer.decided_at = now
    transfer.elmo_xml = None
    transfer.pdf = None
    transfer.results_view = None
    transfer.raw_purged_at = now


def delete_transfer(s: Session, transfer: Transfer) -> None:
    if transfer.status not in DELETABLE:
        raise TransferError(N_("imported results and results waiting for review stay on record"), "state")
    revoke_wallet_credentials(s, transfer.id)
    s.delete(transfer)


def wallet_subject(transfer_id: int) -> str:
    """What the wallet issuer records a credential of this transfer under."""
    return f"transfer:{transfer_id}"


def revoke_wallet_credentials(s: Session, transfer_id: int) -> int:
    """Revoke, in the open transaction, the wallet credentials issued for the transfer (if any)."""
    return revoke_subject_in(s, wallet_subject(transfer_id))


def purge_raw(db: Database, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Drop the received documents of transfers that were not imported and are older than the limit.

    Imported documents stay: they are the evidence the credentials rest on.
    """
    moment = now or utcnow()
    with db.session() as s:
        result = s.execute(
            update(Transfer)
            .where(Transfer.created_at < moment - older_than)
            .where(Transfer.status != Status.IMPORTED)
            .where(Transfer.status != Status.REVIEW)
            .where((Transfer.elmo_xml.is_not(None)) | (Transfer.pdf.is_not(None)))
            .values(elmo_xml=None, pdf=None, results_view=None, raw_purged_at=moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def transfer_data(t: Transfer) -> dict[str, Any]:
    """A transfer as JSON data for the SIS API and the webhook (no documents, no session id)."""
    return {
        "id": t.id,
        "student": t.student,
        "status": shown_status(t, utcnow()).value,
        "created_at": t.created_at.isoformat(),
        "returned_at": t.returned_at.isoformat() if t.returned_at else None,
        "country": t.country_code,
        "emp": {"acronym": t.emp_acronym, "name": t.emp_name, "url": t.emp_url},
        # "ewp": fetched from the partner institution emp.acronym (SCHAC) over EWP, this mobility
        "source": t.source,
        "mobility_id": t.mobility_id,
        "issuers": issuers_data(t),
        "return_code": t.return_code,
        "failure": neutral_text(t.failure) if t.failure else None,
        "signer": t.signer,
        # Told about the student: the SIS reads these, not the student.
        "identity": {
            "verdict": t.identity_verdict,
            "reasons": [neutral_reason(r) for r in json.loads(t.identity_reasons or "[]")],
        },
        "review": {
            "decision": t.review_decision,
            "reason": t.review_reason,
            "by": t.reviewed_by,
            "at": t.reviewed_at.isoformat() if t.reviewed_at else None,
        }
        if t.review_decision
        else None,
        "courses": t.courses,
        "credits": t.credits,
    }


def credential_data(c: ForeignCredential) -> dict[str, Any]:
    return credential_json(c.id, {column.key: getattr(c, column.key) for column in _CREDENTIAL.c})


def credential_json(credential_id: int, c: dict[str, Any]) -> dict[str, Any]:
    """A stored credential (its column values) as JSON data for the SIS API and the webhook."""
    return {
        "id": credential_id,
        "transfer_id": c["transfer_id"],
        "student": c["student"],
        "imported_at": c["imported_at"].isoformat(),
        "issuer": {"name": c["issuer"], "id": c["issuer_id"], "country": c["issuer_country"]},
        "title": c["title"],
        "code": c["code"],
        "type": c["los_type"],
        "grade": c["grade"],
        "grading_scheme": c["grading_scheme"],
        "credits": c["credits"],
        "credit_scheme": c["credit_scheme"],
        "level": c["level"],
        "start_date": c["start_date"].isoformat() if c["start_date"] else None,
        "end_date": c["end_date"].isoformat() if c["end_date"] else None,
        "status": c["status"],
    }
