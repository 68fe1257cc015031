"""The foreign results an application may rest on, whatever brought them here.

Each source of stored foreign results gives ``ForeignResult`` values under its own name and reference:
``emrex`` (credentials imported through EMREX, ``emc_credential``) now; a wallet or EWP source adds a
loader here and nothing else changes. Only passed results may be the basis of recognition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.emc.recognition.models import Basis

EMREX = "emrex"
PASSED = "passed"


@dataclass(frozen=True)
class ForeignResult:
    source: str
    ref: str
    issuer: str
    issuer_id: str | None
    issuer_country: str | None
    code: str | None
    title: str
    grade: str | None
    credits: str | None
    credit_scheme: str | None
    level: str | None
    end_date: dt.date | None
    status: str
    received_in: int | None = None  # the transfer (EMREX) that brought it, for the student's choice

    def basis(self) -> Basis:
        return Basis(
            source=self.source,
            source_ref=self.ref,
            issuer=self.issuer,
            issuer_id=self.issuer_id,
            issuer_country=self.issuer_country,
            code=self.code,
            title=self.title,
            grade=self.grade,
            credits=self.credits,
            credit_scheme=self.credit_scheme,
            level=self.level,
            end_date=self.end_date,
            issuer_key=issuer_key(self.issuer_id, self.issuer),
            code_key=code_key(self.code),
        )


def issuer_key(issuer_id: str | None, issuer: str) -> str:
    return " ".join((issuer_id or issuer).split()).casefold()[:255]


def code_key(code: str | None) -> str | None:
    key = " ".join((code or "").split()).casefold()[:255]
    return key or None


def student_results(s: Session, student: str, *, transfer_id: int | None = None) -> list[ForeignResult]:
    """The student's stored foreign results, newest transfer first (those of one transfer if given)."""
    query = (
        select(ForeignCredential)
        .join(Transfer, Transfer.id == ForeignCredential.transfer_id)
        .where(ForeignCredential.student == student, Transfer.status == Status.IMPORTED)
        .order_by(ForeignCredential.transfer_id.desc(), ForeignCredential.id)
    )
    if transfer_id is not None:
        query = query.where(ForeignCredential.transfer_id == transfer_id)
    return [_from_credential(c) for c in s.scalars(query)]


def chosen_results(s: Session, student: str, refs: Iterable[tuple[str, str]]) -> list[ForeignResult] | None:
    """The results named by (source, ref), all the student's own; None when one is not."""
    wanted = list(dict.fromkeys(refs))
    emrex_ids = [int(ref) for source, ref in wanted if source == EMREX and ref.isdigit() and len(ref) < 19]
    if len(emrex_ids) != len(wanted):
        return None
    found = {
        str(c.id): _from_credential(c)
        for c in s.scalars(
            select(ForeignCredential)
            .join(Transfer, Transfer.id == ForeignCredential.transfer_id)
            .where(
                ForeignCredential.id.in_(emrex_ids),
                ForeignCredential.student == student,
                Transfer.status == Status.IMPORTED,
            )
        )
    }
    if len(found) != len(wanted):
        return None
    return [found[ref] for _source, ref in wanted]


def _from_credential(c: ForeignCredential) -> ForeignResult:
    return ForeignResult(
        source=EMREX,
        ref=str(c.id),
        issuer=c.issuer,
        issuer_id=c.issuer_id,
        issuer_country=c.issuer_country,
        code=c.code,
        title=c.title,
        grade=c.grade,
        credits=c.credits,
        credit_scheme=c.credit_scheme,
        level=c.level,
        end_date=c.end_date,
        status=c.status,
        received_in=c.transfer_id,
    )
