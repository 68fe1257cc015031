"""Polling a partner's index: new transcripts fetched, each stored for the student here with its ESI;
what is stored already is not asked for again; no student with the ESI stores nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from emrex.db import Database
from emrex.emc.config import EmcSettings
from emrex.emc.ewp_poll import poll, student_by_esi
from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.web.auth import Person
from tests.emc.ewp_partner import fetcher_for, partner
from tests.ewp.network import ESI, FJORDBY


def _logged_in_before(db: Database, subject: str, esi: str) -> None:
    """The student started an EMREX transfer here once: the EMC knows their identifiers."""
    person = Person(subject, "Åsa Žofie", "Lindqvist-Dvořáková", "demo", identifiers={"esi": esi})
    now = dt.datetime.now(dt.UTC)
    with db.session() as s:
        s.add(
            Transfer(
                session_id=f"s-{subject}", student=subject, student_name=person.display_name,
                student_json=person.to_json(), status=Status.CANCELLED, created_at=now, expires_at=now,
                country_code="SE", emp_acronym="N", emp_name="N", emp_url="https://n.example",
                emp_certificates="", courses=0, credits="0",
            )
        )  # fmt: skip


def test_poll_fetches_what_is_new_for_the_students_it_knows(
    make_settings: Callable[..., EmcSettings],
) -> None:
    fetcher = fetcher_for(make_settings(), partner())
    db = fetcher.service.database
    first = poll(fetcher, FJORDBY, "cron")
    assert [(p.omobility_id, p.outcome) for p in first] == [
        ("m-approved-1", "no student"),
        ("m-approved-2", "no student"),
    ]
    with db.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(ForeignCredential)) == 0

    _logged_in_before(db, "asa", ESI)
    second = poll(fetcher, FJORDBY, "cron")
    assert [(p.omobility_id, p.outcome) for p in second] == [
        ("m-approved-1", "imported"),
        ("m-approved-2", "refused"),
    ]
    assert "received already" in second[1].detail  # the same transcript under two mobilities
    third = poll(fetcher, FJORDBY, "cron")
    assert [p.omobility_id for p in third] == ["m-approved-2"]  # m-approved-1 is stored: not asked again
    with db.session(readonly=True) as s:
        transfer = s.scalars(select(Transfer).where(Transfer.source == "ewp")).one()
        assert (transfer.student, transfer.mobility_id, transfer.fetched_by) == (
            "asa",
            "m-approved-1",
            "cron",
        )


def test_an_esi_two_students_here_carry_names_nobody(make_settings: Callable[..., EmcSettings]) -> None:
    fetcher = fetcher_for(make_settings(), partner())
    db = fetcher.service.database
    assert student_by_esi(db, ESI) is None
    _logged_in_before(db, "asa", ESI)
    assert student_by_esi(db, ESI) is not None
    _logged_in_before(db, "asa-again", ESI)
    assert student_by_esi(db, ESI) is None
