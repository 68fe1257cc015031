"""The ToRs API itself: who sees which transcript, parameters as the spec wants, and responses
that the official XSDs accept."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.ewp import BadParameters, Caller, MemoryMobilities, ToRsApi, TranscriptUnavailable
from emrex.ewp.namespaces import ELMO_NS, TORS_GET_NS, TORS_INDEX_NS
from emrex.ewp.schema import TORS_GET, TORS_INDEX
from emrex.trust import verify
from tests.ewp.conftest import Validator
from tests.ewp.network import FJORDBY, LINDHOLM, OSTMARK, emp_issued, mobilities, mobility, signed_elmo

LINDHOLM_CALLER = Caller("k" * 64, frozenset({LINDHOLM}), "id", "sig", ())
NOBODY = Caller("n" * 64, frozenset(), "id", "sig", ())


def api(transcript=lambda m: signed_elmo(), source: MemoryMobilities | None = None) -> ToRsApi:  # type: ignore[no-untyped-def]
    return ToRsApi(source or mobilities(), transcript, hei_ids={FJORDBY}, max_omobility_ids=3)


def get_ids(body: bytes) -> list[str]:
    root = etree.fromstring(body)
    assert root.tag == f"{{{TORS_GET_NS}}}imobility-tors-get-response"
    return [t.findtext(f"{{{TORS_GET_NS}}}omobility-id") or "" for t in root]


def index_ids(body: bytes) -> list[str]:
    root = etree.fromstring(body)
    assert root.tag == f"{{{TORS_INDEX_NS}}}imobility-tors-index-response"
    return [e.text or "" for e in root]


def get(*pairs: tuple[str, str], caller: Caller = LINDHOLM_CALLER) -> list[str]:
    return get_ids(api().get(caller, list(pairs)))


def index(*pairs: tuple[str, str], caller: Caller = LINDHOLM_CALLER) -> list[str]:
    return index_ids(api().index(caller, list(pairs)))


R = ("receiving_hei_id", FJORDBY)


def test_get_returns_the_approved_transcript_of_a_mobility_from_the_callers_institution() -> None:
    assert get(R, ("omobility_id", "m-approved-1")) == ["m-approved-1"]


def test_get_leaves_out_unknown_pending_and_other_institutions_mobilities() -> None:
    ids = [("omobility_id", i) for i in ("m-pending", "m-ostmark", "no-such-id")]
    assert get(R, *ids) == []
    assert get(
        R, ("omobility_id", "m-ostmark"), caller=Caller("o" * 64, frozenset({OSTMARK}), "", "", ())
    ) == ["m-ostmark"]
    assert get(R, ("omobility_id", "m-approved-1"), caller=NOBODY) == []


def test_get_keeps_the_order_asked_and_answers_a_repeated_id_once() -> None:
    asked = [
        ("omobility_id", "m-approved-2"),
        ("omobility_id", "m-approved-1"),
        ("omobility_id", "m-approved-2"),
    ]
    assert get(R, *asked) == ["m-approved-2", "m-approved-1"]


def test_get_of_another_receiving_institution_is_empty() -> None:
    assert get(("receiving_hei_id", "unknown.example"), ("omobility_id", "m-approved-1")) == []


@pytest.mark.parametrize(
    ("pairs", "words"),
    [
        ((), "receiving_hei_id is missing"),
        ((("omobility_id", "m-approved-1"),), "receiving_hei_id is missing"),
        ((R,), "omobility_id is missing"),
        ((R, R, ("omobility_id", "m-approved-1")), "given 2 times"),
        ((R, ("receiving_hei_id", "x"), ("omobility_id", "m-approved-1")), "given 2 times"),
        ((("receiving_hei_id", " "), ("omobility_id", "m-approved-1")), "empty"),
        ((R, *[("omobility_id", "m-approved-1")] * 4), "at most 3"),
        ((R, *[("omobility_id", f"unknown-{n}") for n in range(4)]), "at most 3"),
        ((("omobility_id_param", "m-approved-1"),), "missing"),
    ],
)
def test_get_parameter_errors_are_400(pairs: tuple[tuple[str, str], ...], words: str) -> None:
    with pytest.raises(BadParameters, match=words):
        api().get(LINDHOLM_CALLER, list(pairs))


def test_the_served_elmo_is_the_signed_document_and_still_verifies() -> None:
    body = api().get(LINDHOLM_CALLER, [R, ("omobility_id", "m-approved-1")])
    elmo = etree.fromstring(body).find(f".//{{{ELMO_NS}}}elmo")
    assert elmo is not None
    standalone = etree.tostring(elmo.__copy__())
    assert verify(standalone, emp_issued().certificate).signer.startswith("CN=EMP Fjordby")


def test_a_transcript_without_the_students_esi_is_not_served() -> None:
    no_esi = write_elmo(sample_elmo(3)).replace(b'type="esi"', b'type="local"')
    with pytest.raises(TranscriptUnavailable, match="esi"):
        api(lambda m: no_esi).get(LINDHOLM_CALLER, [R, ("omobility_id", "m-approved-1")])
    source = MemoryMobilities([mobility("m-other-student")])
    other = mobility("m-other-student")
    source.put(type(other)(**{**other.__dict__, "student": type(other.student)("A", "B", "urn:other:esi")}))
    with pytest.raises(TranscriptUnavailable, match="esi"):
        api(source=source).get(LINDHOLM_CALLER, [R, ("omobility_id", "m-other-student")])


@pytest.mark.parametrize("document", [b"<notelmo/>", b"not xml", b'<!DOCTYPE x [<!ENTITY e "x">]><elmo/>'])
def test_a_broken_transcript_is_a_server_error_not_a_silent_gap(document: bytes) -> None:
    with pytest.raises(TranscriptUnavailable):
        api(lambda m: document).get(LINDHOLM_CALLER, [R, ("omobility_id", "m-approved-1")])


def test_index_lists_what_get_would_return() -> None:
    assert index(R) == ["m-approved-1", "m-approved-2"]
    assert index(R, caller=NOBODY) == []
    for omobility_id in index(R):
        assert get(R, ("omobility_id", omobility_id)) == [omobility_id]


def test_index_sending_hei_ids_are_anded_with_the_rest_and_ored_among_themselves() -> None:
    known, unknown = ("sending_hei_id", LINDHOLM), ("sending_hei_id", "unknown.example")
    assert index(R, known) == index(R, known, unknown) == ["m-approved-1", "m-approved-2"]
    assert index(R, unknown) == index(R, unknown, unknown) == []
    assert index(R, ("sending_hei_id", OSTMARK)) == []  # not covered by the caller


def test_index_modified_since() -> None:
    source = mobilities()
    later = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    source.put(mobility("m-approved-2", approved=dt.datetime(2026, 8, 1, tzinfo=dt.UTC)))
    tors = api(source=source)
    since = [R, ("modified_since", "2026-07-15T00:00:00+02:00")]
    assert index_ids(tors.index(LINDHOLM_CALLER, since)) == ["m-approved-2"]
    assert index_ids(tors.index(LINDHOLM_CALLER, [R, ("modified_since", "2000-02-12T15:19:21+01:00")])) == [
        "m-approved-1",
        "m-approved-2",
    ]
    assert index_ids(tors.index(LINDHOLM_CALLER, [R, ("modified_since", later.isoformat())])) == []
    assert index_ids(tors.index(LINDHOLM_CALLER, [R, ("modified_since", "2046-02-12T15:19:21Z")])) == []


@pytest.mark.parametrize(
    ("pairs", "words"),
    [
        ((R, R), "given 2 times"),
        ((("sending_hei_id", LINDHOLM),), "receiving_hei_id is missing"),
        ((R, ("receiving_hei_id", "unknown.example")), "given 2 times"),
        ((), "missing"),
        (
            (
                R,
                ("modified_since", "2019-02-12T15:19:21+01:00"),
                ("modified_since", "2019-02-12T15:19:21+01:00"),
            ),
            "2 times",
        ),
        ((R, ("modified_since", "not-a-date")), "xs:dateTime"),
        ((R, ("modified_since", "2004-02-12")), "xs:dateTime"),
        ((R, ("modified_since", "05/29/2015 05:50")), "xs:dateTime"),
        ((R, ("modified_since", "2004-02-30T10:00:00Z")), "not a real date"),
    ],
)
def test_index_parameter_errors_are_400(pairs: tuple[tuple[str, str], ...], words: str) -> None:
    with pytest.raises(BadParameters, match=words):
        api().index(LINDHOLM_CALLER, list(pairs))


def test_responses_validate_against_the_official_xsds(xsd: Validator) -> None:
    tors = api(lambda m: signed_elmo(60))
    full = tors.get(LINDHOLM_CALLER, [R, ("omobility_id", "m-approved-1"), ("omobility_id", "m-approved-2")])
    assert xsd(full, TORS_GET) == []
    assert xsd(tors.get(LINDHOLM_CALLER, [R, ("omobility_id", "nothing")]), TORS_GET) == []
    assert xsd(tors.index(LINDHOLM_CALLER, [R]), TORS_INDEX) == []
    assert xsd(tors.index(NOBODY, [R]), TORS_INDEX) == []


def test_the_xsd_check_can_fail(xsd: Validator) -> None:
    body = (
        api()
        .get(LINDHOLM_CALLER, [R, ("omobility_id", "m-approved-1")])
        .replace(b"<omobility-id>", b"<omobility>")
    )
    body = body.replace(b"</omobility-id>", b"</omobility>")
    assert xsd(body, TORS_GET) != []
