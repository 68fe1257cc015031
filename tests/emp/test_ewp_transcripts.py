"""The transcripts served over EWP: made ahead, stored in the database for every worker, made again
when an import changes the mobility or the student's results; only the results within the period."""

from __future__ import annotations

import datetime as dt

import pytest

from emrex.db import Database
from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.emp.ewp_serving import SisMobilities, prepare
from emrex.emp.ewp_transcripts import SisTranscripts, within
from emrex.ewp import IncomingMobility, TranscriptUnavailable
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust import verify
from emrex.trust.signer import Signer
from tests.emp.ewp_host import HOST, chloe_file, import_chloe
from tests.sis.data import dumps


def _titles(xml: bytes, signer: Signer) -> set[str | None]:
    elmo = read_elmo(verify(xml, (signer.certificate,)).signed_xml).elmo
    return {los.title("en") for r in elmo.reports for _, los in r.iter_los()}


def _mobility(database: Database, omobility_id: str = "CH-1") -> IncomingMobility:
    return SisMobilities(database).find(HOST, [omobility_id])[0]


def _must_not_make(*_: object) -> bytes:
    raise AssertionError("made again although a current copy is stored")


def test_made_once_and_served_from_the_database_by_every_worker(database: Database, signer: Signer) -> None:
    import_chloe(database)
    first = SisTranscripts(database, signer)(_mobility(database))
    other_worker = SisTranscripts(database, signer)
    other_worker.make = _must_not_make  # type: ignore[method-assign]
    assert other_worker(_mobility(database)) == first


def test_prepare_makes_the_approved_ones_ahead(database: Database, signer: Signer) -> None:
    import_chloe(database)
    transcripts = SisTranscripts(database, signer)
    assert transcripts.pending() == ["CH-1", "CH-ostmark"]  # CH-pending is not approved
    assert prepare(SisMobilities(database), transcripts, HOST) == 2
    assert transcripts.pending() == []
    assert prepare(SisMobilities(database), transcripts, HOST) == 0


def test_importing_the_same_file_again_keeps_the_stored_transcripts(
    database: Database, signer: Signer
) -> None:
    import_chloe(database)
    transcripts = SisTranscripts(database, signer)
    prepare(SisMobilities(database), transcripts, HOST)
    import_chloe(database)
    assert transcripts.pending() == []


def test_a_changed_result_makes_the_transcript_again(database: Database, signer: Signer) -> None:
    import_chloe(database)
    transcripts = SisTranscripts(database, signer)
    before = transcripts(_mobility(database))
    changed = chloe_file()
    changed["persons"][0]["results"][0]["titles"] = {"en": "Nordic Design and Craft"}
    import_sis(database, parse_sis_json(dumps(changed)))
    assert transcripts.pending() == ["CH-1", "CH-ostmark"]
    after = transcripts(_mobility(database))
    assert after != before
    assert "Nordic Design and Craft" in _titles(after, signer)


def test_a_changed_period_makes_the_transcript_again_with_the_results_of_the_new_period(
    database: Database, signer: Signer
) -> None:
    import_chloe(database)
    transcripts = SisTranscripts(database, signer)
    prepare(SisMobilities(database), transcripts, HOST)
    changed = chloe_file()
    changed["incomingMobilities"][0] |= {"start": "2024-07-01", "end": "2026-04-01"}
    import_sis(database, parse_sis_json(dumps(changed)))
    assert transcripts.pending() == ["CH-1"]
    titles = _titles(transcripts(_mobility(database)), signer)
    assert titles == {"Summer School in Glassblowing", "Nordic Design"}


def test_no_results_in_the_period_is_not_a_transcript(database: Database, signer: Signer) -> None:
    import_chloe(database)
    changed = chloe_file()
    changed["incomingMobilities"][0] |= {"start": "2027-01-01", "end": "2027-06-01"}
    import_sis(database, parse_sis_json(dumps(changed)))
    with pytest.raises(TranscriptUnavailable, match=r"no results at nordvik\.example from 2027-01-01"):
        SisTranscripts(database, signer)(_mobility(database))


def _los(
    title: str, date: dt.date | None, *parts: m.LearningOpportunitySpecification
) -> m.LearningOpportunitySpecification:
    instance = m.LearningOpportunityInstance(date=date) if date else None
    return m.LearningOpportunitySpecification(
        titles=(m.LangText(title, "en"),), specifies=instance, has_part=parts
    )


def test_a_programme_keeps_only_its_parts_within_the_period() -> None:
    start, end = dt.date(2026, 1, 15), dt.date(2026, 6, 15)
    programme = _los(
        "Programme",
        dt.date(2027, 6, 1),
        _los("Module A", None, _los("In", dt.date(2026, 3, 1)), _los("Before", dt.date(2025, 12, 1))),
        _los("Module B", None, _los("After", dt.date(2026, 8, 1))),
    )
    kept = within(programme, start, end)
    assert kept is not None
    assert [(d, los.title("en")) for d, los in kept.walk()] == [(0, "Programme"), (1, "Module A"), (2, "In")]
    assert within(_los("Old", dt.date(2020, 1, 1)), start, end) is None
    assert within(_los("Undated", None), start, end) is None
    assert within(_los("On the last day", end), start, end) is not None
