"""Polling a partner's EWP index: every approved transcript it lists for us that is not stored yet is
fetched, its learner found among the EMC's students by ESI, and verified and stored as a staff fetch.

The EMC knows a student's ESI from their logins (the identifiers copied into their transfers). A
transcript whose ESI no student here has is left for staff (``emrex emc ewp fetch`` with the
student named); nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from emrex.db import Database
from emrex.elmo.errors import ElmoError
from emrex.elmo.reader import read_elmo
from emrex.emc.ewp_fetch import EwpFetcher, EwpFetchError, Partner, partner_of
from emrex.emc.models import Source, Transfer
from emrex.errors import EmrexError
from emrex.ewp import EwpClient, EwpError
from emrex.identity import local_identifier
from emrex.trust import verify
from emrex.web.auth import Person, PersonError

MAX_PER_POLL = 200  # mobilities fetched in one run; the rest come at the next


@dataclass(frozen=True)
class Polled:
    omobility_id: str
    outcome: str  # "imported", "review", "no student", or "refused"
    detail: str = ""  # the transfer id, or why not


def known_mobilities(db: Database, hei_id: str, ids: Sequence[str]) -> set[str]:
    """Of ``ids``, the mobilities of ``hei_id`` stored here already."""
    with db.session(readonly=True) as s:
        found = s.scalars(
            select(Transfer.mobility_id)
            .where(Transfer.source == Source.EWP)
            .where(Transfer.emp_acronym == hei_id)
            .where(Transfer.mobility_id.in_(list(ids)))
        )
        return {m for m in found if m is not None}


def student_by_esi(db: Database, esi: str) -> Person | None:
    """The student here whose latest login carried ``esi``; None when none, or several, do."""
    found: dict[str, Person] = {}
    with db.session(readonly=True) as s:
        rows = s.execute(
            select(Transfer.student, Transfer.student_json)
            .where(Transfer.source == Source.EMREX)
            .where(Transfer.student_json.contains(esi.split(":")[-1]))  # a cheap first filter
            .order_by(Transfer.id.desc())
        )
        for subject, stored in rows:
            if subject in found:
                continue
            try:
                person = Person.from_json(stored)
            except PersonError:
                continue
            if local_identifier(person.identifiers, "esi") == esi:
                found[subject] = person
    return next(iter(found.values())) if len(found) == 1 else None


def poll(
    fetcher: EwpFetcher, partner_id: str, staff: str, *, modified_since: dt.datetime | None = None
) -> list[Polled]:
    """Fetch what the partner's index lists that is not stored yet (at most ``MAX_PER_POLL``)."""
    current = fetcher.catalogue()
    hei_id = partner_id.strip().lower()
    partner = partner_of(current, hei_id)
    client = EwpClient(fetcher.key, lambda: current, http=fetcher.http)
    db = fetcher.service.database
    try:
        listed = client.index_tors(hei_id, modified_since=modified_since)
        known = known_mobilities(db, hei_id, listed)
        wanted = [i for i in listed if i not in known][:MAX_PER_POLL]
        tors = client.get_tors(hei_id, wanted) if wanted else []
    except EwpError as error:
        raise EwpFetchError(f"{partner.name}: {error}", "partner") from None
    return [_one(fetcher, partner, tor.omobility_id, tor.elmo, staff) for tor in tors]


def _one(fetcher: EwpFetcher, partner: Partner, mobility: str, xml: bytes, staff: str) -> Polled:
    try:
        signed = verify(xml, partner.emp.certificates, fetcher.service.settings.verify_policy).signed_xml
        learner = read_elmo(signed).elmo.learner
    except (EmrexError, ElmoError) as error:
        return Polled(mobility, "refused", f"the signature or document was not accepted: {error}")
    esis = [i.value for i in learner.identifiers if i.type.casefold() == "esi" and i.value]
    person = next((p for e in esis if (p := student_by_esi(fetcher.service.database, e)) is not None), None)
    if person is None:
        return Polled(
            mobility, "no student", "no student here has the transcript's ESI; fetch it naming them"
        )
    try:
        received = fetcher.verify(xml, partner, person)
        stored = fetcher.store(xml, received, partner, mobility, person, staff)
    except EwpFetchError as error:
        return Polled(mobility, "refused", str(error))
    return Polled(mobility, str(stored.status), f"transfer {stored.transfer_id}")
