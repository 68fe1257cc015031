"""What the return verified, kept as a results view: the same courses and keys as reading the signed
document again, in each language, values escaped; a view that cannot be read is not trusted blindly."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from emrex.elmo.codec import encode
from emrex.emc.models import Transfer
from emrex.emc.results_view import ResultsView, ViewError, load_view, view_json
from emrex.emc.returns import courses_of
from emrex.emc.service import Service, stored_received, verify_stored
from tests.emc.conftest import Keys, answer, database_of, login, signed, start


def _shown(view: ResultsView | None) -> tuple[object, ...]:
    assert view is not None
    rows = [(r.issuer, r.country, r.issued, r.rows, str(r.rows_html)) for r in view.reports]
    return (rows, view.courses, view.credits, view.issuer_problems, view.learner, view.verdict)


def _received_transfer(emc: TestClient, keys: Keys) -> Transfer:
    login(emc)
    session_id = start(emc)
    assert answer(emc, session_id, elmo=encode(signed(keys.nordvik))).status_code == 303
    with database_of(emc).session(readonly=True) as s:
        (transfer,) = s.query(Transfer).filter_by(session_id=session_id)
        s.expunge(transfer)
        return transfer


def test_the_view_has_what_reading_the_signed_document_gives(emc: TestClient, keys: Keys) -> None:
    service: Service = emc.app.state.emc_service  # type: ignore[attr-defined]
    transfer = _received_transfer(emc, keys)
    assert transfer.results_view is not None
    for language in ("en", "sv"):
        received = verify_stored(service, transfer, language)
        view = load_view(transfer.results_view, language)
        assert view.courses == tuple(courses_of(received.elmo, language))
        assert view.course_keys() == [c.key for c in view.courses]
        assert view.credits == received.credits and view.verdict is received.identity.verdict
        assert view.learner.family_name == received.elmo.learner.family_name
        rows = [row for report in view.reports for row in report.rows]
        assert len(rows) == sum(1 for _ in received.elmo.iter_los())
    assert _shown(stored_received(service, transfer)) == _shown(load_view(transfer.results_view, "en"))


def test_values_are_escaped_as_the_templates_escape(emc: TestClient, keys: Keys) -> None:
    service: Service = emc.app.state.emc_service  # type: ignore[attr-defined]
    transfer = _received_transfer(emc, keys)
    received = verify_stored(service, transfer)
    report = received.elmo.reports[0]
    los = report.learning_opportunity_specifications[0]
    hostile = dataclasses.replace(
        los, titles=(dataclasses.replace(los.titles[0], text="<b>\"A&B\"</b> 'x'"),)
    )
    elmo = dataclasses.replace(
        received.elmo, reports=(dataclasses.replace(report, learning_opportunity_specifications=(hostile,)),)
    )
    view = load_view(view_json(dataclasses.replace(received, elmo=elmo), ["en"]), "en")
    html = str(view.reports[0].rows_html)
    assert str(escape("<b>\"A&B\"</b> 'x'")) in html and "<b>" not in html


@pytest.mark.parametrize("stored", ["{", "[]", '{"format": 99}', '{"format": 1, "reports": 3}'])
def test_a_view_that_cannot_be_read_is_refused(stored: str) -> None:
    with pytest.raises(ViewError):
        load_view(stored, "en")


def test_a_damaged_view_falls_back_to_verifying_the_document(emc: TestClient, keys: Keys) -> None:
    service: Service = emc.app.state.emc_service  # type: ignore[attr-defined]
    transfer = _received_transfer(emc, keys)
    good = _shown(stored_received(service, transfer))
    transfer.results_view = '{"format": 1}'
    assert _shown(stored_received(service, transfer)) == good
