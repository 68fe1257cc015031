"""A signed answer belongs to its transfer: generated while it was open, and imported once per student."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.elmo.codec import encode
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.emc.config import EmcSettings
from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.emc.returns import ReturnRefused, Window, check_fresh, courses_of
from emrex.trust import Signer
from tests.emc.conftest import (
    Keys,
    answer,
    csrf,
    database_of,
    fresh,
    login,
    now,
    ok,
    other_results,
    signed,
    start,
)

STARTED = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
WINDOW = Window(STARTED, STARTED + dt.timedelta(minutes=2), dt.timedelta(minutes=5))


@pytest.mark.parametrize(
    "generated",
    [
        STARTED,
        STARTED - dt.timedelta(minutes=4),  # the EMP's clock a little behind
        STARTED + dt.timedelta(minutes=6),  # ... or ahead
        dt.datetime(2026, 12, 7, 13, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),  # another zone
        dt.datetime(2026, 12, 7, 20, 0),  # no zone: local time somewhere (UTC-12 to UTC+14)
        dt.datetime(2026, 12, 7, 0, 30),
    ],
)
def test_documents_generated_while_the_transfer_was_open_are_fresh(generated: dt.datetime) -> None:
    check_fresh(generated, WINDOW)


@pytest.mark.parametrize(
    ("generated", "words"),
    [
        (None, "no generation date"),
        (STARTED - dt.timedelta(minutes=6), "before this transfer started (2026-12-07 12:00 UTC)"),
        (dt.datetime(2015, 12, 17, 10, 27, tzinfo=dt.UTC), "generated on 2015-12-17 10:27+00:00"),
        (dt.datetime(2026, 12, 6, 23, 0), "before this transfer started"),  # no zone reaches 12:00 UTC
        (STARTED + dt.timedelta(minutes=8), "later than their arrival"),
        (dt.datetime(2026, 12, 8, 3, 0), "later than their arrival"),
        (dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))), "impossible generation date"),
        (dt.datetime(1, 1, 1), "impossible generation date"),
    ],
)
def test_documents_from_before_the_transfer_or_from_the_future_are_stale(
    generated: dt.datetime | None, words: str
) -> None:
    with pytest.raises(ReturnRefused, match=re.escape(words)) as caught:
        check_fresh(generated, WINDOW)
    assert caught.value.stage == "stale"


def _transfer(client: TestClient, transfer_id: int) -> Transfer:
    with database_of(client).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        s.expunge(transfer)
        return transfer


def _refused(client: TestClient, session_id: str, response: object, words: str) -> Transfer:
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    assert words in response.text, response.text  # type: ignore[attr-defined]
    with database_of(client).session() as s:
        transfer = s.scalars(select(Transfer).where(Transfer.session_id == session_id)).one()
        s.expunge(transfer)
    assert transfer.status == Status.FAILED and words in (transfer.failure or "")
    assert transfer.elmo_xml is None and transfer.document_digest is None
    return transfer


def _confirm(client: TestClient, transfer_id: int) -> None:
    page = client.get(f"/transfers/{transfer_id}")
    response = client.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    assert response.status_code == 200, response.text


def _credentials(client: TestClient) -> list[ForeignCredential]:
    with database_of(client).session() as s:
        found = list(s.scalars(select(ForeignCredential).order_by(ForeignCredential.id)))
        s.expunge_all()
        return found


def test_the_clock_skew_is_a_setting(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], keys: Keys
) -> None:
    emc = make_emc(make_settings(verification={"clock_skew_minutes": 1}))
    login(emc)
    session_id = start(emc)
    three_minutes_early = dataclasses.replace(fresh(), generated_date=now() - dt.timedelta(minutes=3))
    document = Signer(keys.nordvik.key, keys.nordvik.certificate).sign(write_elmo(three_minutes_early))
    _refused(emc, session_id, answer(emc, session_id, elmo=encode(document)), "before this transfer started")


def test_a_few_minutes_of_clock_skew_are_accepted_by_default(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    early = dataclasses.replace(fresh(), generated_date=now() - dt.timedelta(minutes=3))
    document = Signer(keys.nordvik.key, keys.nordvik.certificate).sign(write_elmo(early))
    assert answer(emc, session_id, elmo=encode(document)).status_code == 303


def test_a_document_without_a_generation_date_is_refused(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    xml = write_elmo(fresh(courses=3))
    undated = re.sub(rb"<generatedDate>[^<]*</generatedDate>", b"", xml)  # our writer insists on one
    assert undated != xml
    document = Signer(keys.nordvik.key, keys.nordvik.certificate).sign(undated)
    _refused(emc, session_id, answer(emc, session_id, elmo=encode(document)), "no generation date")


def test_results_partly_imported_before_import_only_what_is_new(emc: TestClient, keys: Keys) -> None:
    login(emc)
    first = ok(emc, keys, start(emc), sample_elmo(6))
    _confirm(emc, first)
    assert len(_credentials(emc)) == 6
    # Later, the same provider's document holds more: three results of the first one unchanged
    # (two courses then failed or in progress have a new result since, which is not the same).
    again = {c.key for c in courses_of(sample_elmo(6))} & {c.key for c in courses_of(sample_elmo(12))}
    assert len(again) == 3
    second = ok(emc, keys, start(emc), sample_elmo(12))
    page = emc.get(f"/transfers/{second}").text
    assert "Imported already" in page and f"transfer {first}" in page
    assert page.count('class="duplicate"') == 3
    _confirm(emc, second)
    credentials = _credentials(emc)
    keys_seen = [(c.issuer_id, c.code, c.end_date) for c in credentials]
    assert len(keys_seen) == len(set(keys_seen)) == 6 + 12 - 3  # no result twice
    assert {c.transfer_id for c in credentials[6:]} == {second}
    imported = emc.get(f"/transfers/{second}").text
    assert "not imported again" in imported and f"transfer {first}" in imported


def test_results_all_imported_before_are_refused_as_duplicates(emc: TestClient, keys: Keys) -> None:
    login(emc)
    first = ok(emc, keys, start(emc))
    _confirm(emc, first)
    session_id = start(emc)
    again = answer(emc, session_id, elmo=encode(signed(keys.nordvik)))  # a new document, the same results
    words = f"all 8 results in this document were imported already (transfer {first})"
    _refused(emc, session_id, again, words)
    assert len(_credentials(emc)) == 8
    assert ok(emc, keys, start(emc), other_results("new"))  # other results still come in


def test_the_staff_see_the_duplicates_too(
    make_emc: Callable[..., TestClient], emc: TestClient, keys: Keys
) -> None:
    login(emc)
    first = ok(emc, keys, start(emc), sample_elmo(6))
    _confirm(emc, first)
    second = ok(emc, keys, start(emc), sample_elmo(12))
    staff = make_emc()
    login(staff, "staff")
    page = staff.get(f"/staff/transfers/{second}").text
    assert "Imported already" in page and f"transfer {first}" in page
