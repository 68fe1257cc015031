"""Fetching over EWP: checked as an EMREX answer is, stored as foreign credentials with source EWP;
every refusal stores nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from emrex.emc.config import EmcSettings
from emrex.emc.ewp_fetch import EwpFetchError, StudentEntry, check_request, partner_of, student_person
from emrex.emc.models import ForeignCredential, Source, Status, Transfer
from emrex.trust.ca import issue, make_ca
from emrex.web.auth import Person
from tests.emc.conftest import Keys
from tests.emc.ewp_partner import ASA_ENTRY, fetcher_for, fjordby_elmo, partner
from tests.ewp.network import ESI, FJORDBY, LINDHOLM, catalogue


def _count(settings: EmcSettings) -> tuple[int, int]:
    from emrex.db import Database

    db = Database(settings.database_url)
    with db.session(readonly=True) as s:
        counts = (
            int(s.scalar(select(func.count()).select_from(Transfer)) or 0),
            int(s.scalar(select(func.count()).select_from(ForeignCredential)) or 0),
        )
    db.dispose()
    return counts


def _asa(settings: EmcSettings) -> Person:
    from emrex.db import Database

    return student_person(Database(settings.database_url), ASA_ENTRY)


def test_a_fetched_transcript_is_verified_and_imported_with_source_ewp(
    make_settings: Callable[..., EmcSettings],
) -> None:
    settings = make_settings()
    fetcher = fetcher_for(settings, partner())
    fetched = fetcher.fetch("Fjordby.Example", "m-approved-1", _asa(settings), "staff")
    assert fetched.status is Status.IMPORTED
    assert fetched.partner.name == "Fjordby University"
    with fetcher.service.database.session(readonly=True) as s:
        transfer = s.get(Transfer, fetched.transfer_id)
        assert transfer is not None
        assert (transfer.source, transfer.emp_acronym, transfer.emp_name) == (
            Source.EWP,
            FJORDBY,
            "Fjordby University",
        )
        assert (transfer.mobility_id, transfer.fetched_by, transfer.student) == (
            "m-approved-1",
            "staff",
            "asa",
        )
        assert transfer.identity_verdict == "match" and transfer.signer
        credentials = list(s.scalars(select(ForeignCredential)))
        assert len(credentials) == fetched.courses == transfer.courses > 0
        assert {c.issuer_id for c in credentials} == {FJORDBY}
    assert _count(settings)[1] == fetched.courses


def test_the_same_transcript_fetched_again_is_refused_as_a_duplicate(
    make_settings: Callable[..., EmcSettings],
) -> None:
    settings = make_settings()
    fetcher = fetcher_for(settings, partner())
    fetcher.fetch(FJORDBY, "m-approved-1", _asa(settings), "staff")
    before = _count(settings)
    with pytest.raises(EwpFetchError) as refused:
        fetcher.fetch(FJORDBY, "m-approved-1", _asa(settings), "staff")
    assert refused.value.stage == "duplicate"
    assert _count(settings) == before


def test_someone_elses_transcript_is_refused_and_nothing_is_stored(
    make_settings: Callable[..., EmcSettings],
) -> None:
    """Staff asked for Bo's transcript, but the mobility is Åsa's: her ESI is not his."""
    from emrex.db import Database

    settings = make_settings()
    bo = student_person(
        Database(settings.database_url), StudentEntry("bo", "Bo", "Ek", None, ESI.replace("482913", "111111"))
    )
    with pytest.raises(EwpFetchError) as refused:
        fetcher_for(settings, partner()).fetch(FJORDBY, "m-approved-1", bo, "staff")
    assert refused.value.stage == "identity"
    assert "someone else" in str(refused.value)
    assert _count(settings) == (0, 0)


def test_a_transcript_signed_with_a_key_the_catalogue_does_not_list_is_refused(
    make_settings: Callable[..., EmcSettings],
) -> None:
    settings = make_settings()
    fjordby = partner()
    stranger = issue(make_ca("Another CA"), "Not Fjordby's EMP")
    fjordby.transcripts["m-approved-1"] = fjordby_elmo(issued=stranger)
    with pytest.raises(EwpFetchError) as refused:
        fetcher_for(settings, fjordby).fetch(FJORDBY, "m-approved-1", _asa(settings), "staff")
    assert refused.value.stage == "signature"
    assert _count(settings) == (0, 0)


@pytest.mark.parametrize("mobility", ["m-pending", "m-ostmark", "no-such-mobility"])
def test_what_the_partner_does_not_serve_us_is_not_found(
    make_settings: Callable[..., EmcSettings], mobility: str
) -> None:
    settings = make_settings()
    with pytest.raises(EwpFetchError) as refused:
        fetcher_for(settings, partner()).fetch(FJORDBY, mobility, _asa(settings), "staff")
    assert refused.value.stage == "not_found"
    assert "Fjordby University" in str(refused.value)


def test_a_client_key_the_partner_does_not_know_gets_the_partners_refusal(
    make_settings: Callable[..., EmcSettings],
) -> None:
    settings = make_settings()
    with pytest.raises(EwpFetchError) as refused:
        fetcher_for(settings, partner(), "nobodys-key").fetch(FJORDBY, "m-approved-1", _asa(settings), "s")
    assert refused.value.stage == "partner"
    assert "403" in str(refused.value)


def test_a_partner_without_an_emrex_certificate_cannot_be_fetched_from() -> None:
    with pytest.raises(EwpFetchError) as refused:
        partner_of(catalogue(), LINDHOLM)
    assert refused.value.stage == "catalogue"
    found = partner_of(catalogue(), FJORDBY)
    assert (found.emp.country_code, found.emp.institutions) == ("NO", (FJORDBY,))


@pytest.mark.parametrize(
    ("partner_id", "mobility"),
    [
        ("", "m1"),
        ("not a schac", "m1"),
        ("x" * 300 + ".example", "m1"),
        (FJORDBY, ""),
        (FJORDBY, "a b"),
        (FJORDBY, "m" * 65),
        (FJORDBY, "é"),
    ],
)
def test_bad_input_is_refused_in_one_line(partner_id: str, mobility: str) -> None:
    with pytest.raises(EwpFetchError) as refused:
        check_request(partner_id, mobility)
    assert refused.value.stage == "input" and "\n" not in str(refused.value)


def test_the_student_is_known_from_their_logins_or_described_by_staff(
    make_settings: Callable[..., EmcSettings], keys: Keys
) -> None:
    from emrex.db import Database

    db = Database(make_settings().database_url)
    with pytest.raises(EwpFetchError, match="has logged in here"):
        student_person(db, StudentEntry("asa"))
    by_esi = student_person(db, StudentEntry("asa", esi=ESI))
    assert (by_esi.display_name, by_esi.identifiers["esi"]) == ("asa", ESI)
    with pytest.raises(EwpFetchError, match="ESI starts with"):
        student_person(db, StudentEntry("asa", "Åsa", "L", esi="not-an-esi"))
    described = student_person(db, StudentEntry("asa", "Åsa", "L", dt.date(1999, 3, 14), ESI))
    assert (described.source, described.identifiers["esi"], described.birth_date) == (
        "staff",
        ESI,
        dt.date(1999, 3, 14),
    )
    known = Person("asa", "Åsa Žofie", "Lindqvist", "demo", identifiers={"esi": ESI})
    now = dt.datetime.now(dt.UTC)
    with db.session() as s:
        s.add(
            Transfer(
                session_id="s1",
                student="asa",
                student_name="Åsa",
                student_json=known.to_json(),
                status=Status.STARTED,
                created_at=now,
                expires_at=now,
                country_code="SE",
                emp_acronym="N",
                emp_name="N",
                emp_url="https://n.example",
                emp_certificates="",
                courses=0,
                credits="0",
            )
        )
    found = student_person(db, StudentEntry("asa"))
    assert (found.given_names, found.source, found.identifiers["esi"]) == ("Åsa Žofie", "demo", ESI)
    db.dispose()
