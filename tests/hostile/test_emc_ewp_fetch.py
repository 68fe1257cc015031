"""Hostile input to the EMC's EWP fetch form (/staff/ewp): forged posts, hostile fields, a partner's
answer that is someone else's or signed by an unlisted key."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from emrex.emc.config import EmcSettings
from emrex.emc.ewp_fetch import EwpFetcher
from emrex.emc.service import Service
from emrex.trust.ca import issue, make_ca
from tests.emc.conftest import (
    csrf,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
)
from tests.emc.ewp_partner import fjordby_elmo, partner
from tests.ewp.network import ESI, FJORDBY, Fjordby, catalogue, signing_key
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, watch_logs

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash", "watch_logs"]
exercised(
    "emc-ewp-fetch-forged-post",
    "emc-ewp-fetch-hostile-fields",
    "emc-ewp-fetch-someone-elses-transcript",
    "emc-ewp-fetch-untrusted-transcript",
)
EVIL = f'"><script>alert("{MARKER}")</script>'
GOOD = {"partner": FJORDBY, "mobility_id": "m-approved-1", "student": "asa", "esi": ESI}


def _emc(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], fjordby: Fjordby
) -> TestClient:
    def make(service: Service) -> EwpFetcher:
        return EwpFetcher(service, catalogue=catalogue, key=signing_key("lindholm-client"), http=fjordby.http)

    return make_emc(make_settings(), ewp_fetcher=make)


def _post(client: TestClient, fields: dict[str, str]) -> object:
    token = csrf(client.get("/staff/ewp").text)
    return client.post("/staff/ewp/fetch", data=fields | {"csrf_token": token}, follow_redirects=False)


def test_forged_posts_and_students_are_refused(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    staff = _emc(make_emc, make_settings, partner())
    login(staff, "staff")
    student = make_emc(make_settings())
    login(student, "asa")
    with nothing_stored(database_of(staff)):
        for fields in (GOOD, GOOD | {"csrf_token": "forged"}):
            assert staff.post("/staff/ewp/fetch", data=fields).status_code == 403
        token = csrf(student.get("/choose?country=SE").text)
        assert student.post("/staff/ewp/fetch", data=GOOD | {"csrf_token": token}).status_code == 403
    logs_clean(watch_logs)


def test_hostile_fields_are_refused_escaped_and_not_logged(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    staff = _emc(make_emc, make_settings, partner())
    login(staff, "staff")
    hostile = [
        (GOOD | {"partner": EVIL}, 400),
        # printable ASCII without spaces is a valid EWP id: asked for, not found, shown escaped
        (GOOD | {"mobility_id": EVIL}, 404),
        (GOOD | {"student": EVIL, "esi": ""}, 400),
        (GOOD | {"partner": "a" * 60_000 + ".example"}, 400),
        (GOOD | {"mobility_id": MARKER * 3000}, 400),
        (GOOD | {"birth_date": EVIL}, 400),
        (GOOD | {"esi": EVIL}, 400),
    ]
    with nothing_stored(database_of(staff)):
        responses = [(_post(staff, fields), status) for fields, status in hostile]
    for response, status in responses:
        text = response.text  # type: ignore[attr-defined]
        assert response.status_code == status, text[:300]  # type: ignore[attr-defined]
        assert "<script>" not in text and 'id="form-error"' in text
        assert "a" * 256 not in text and MARKER * 100 not in text  # cut to the field's length
        no_traceback(text)
    logs_clean(watch_logs)


def test_a_transcript_of_someone_else_or_signed_by_an_unlisted_key_stores_nothing(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    fjordby = partner()
    fjordby.transcripts["m-approved-2"] = fjordby_elmo(issued=issue(make_ca("Forger CA"), "Not Fjordby"))
    staff = _emc(make_emc, make_settings, fjordby)
    login(staff, "staff")
    with nothing_stored(database_of(staff)):
        other = _post(staff, GOOD | {"student": "bo", "esi": ESI.replace("482913", "000001")})
        forged = _post(staff, GOOD | {"mobility_id": "m-approved-2"})
    assert other.status_code == 409 and "belongs to someone else" in other.text  # type: ignore[attr-defined]
    assert forged.status_code == 502 and "signature was not accepted" in forged.text  # type: ignore[attr-defined]
    logs_clean(watch_logs)
