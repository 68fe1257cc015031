"""The EWP registry validator's steps for imobility-tors v2 (get and index), over HTTP with both
methods, as the validator runs them against a server (ewp-registry-service, the ToRs suites)."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.ewp.http import call
from tests.ewp.network import FJORDBY, LINDHOLM, OSTMARK, PATHS, Fjordby

KNOWN, FAKE = "m-approved-1", "this-id-is-unknown"
MAX = 3  # Fjordby's <max-omobility-ids>


def R(hei: str = FJORDBY) -> tuple[str, str]:
    return ("receiving_hei_id", hei)


def ID(value: str = KNOWN) -> tuple[str, str]:
    return ("omobility_id", value)


def S(hei: str) -> tuple[str, str]:
    return ("sending_hei_id", hei)


def M(value: str) -> tuple[str, str]:
    return ("modified_since", value)


GET_STEPS = [
    ("Request for one of known omobility_ids, expect 200 OK.", [R(), ID()], [KNOWN]),
    ("Request one unknown omobility_id, expect 200 and empty response.", [R(), ID(FAKE)], []),
    (
        "Request one known and one unknown omobility_id, expect 200 and only one.",
        [R(), ID(), ID(FAKE)],
        [KNOWN],
    ),
    ("Request without receiving_hei_id and omobility_ids, expect 400.", [], 400),
    ("Request without receiving_hei_id, expect 400.", [ID()], 400),
    ("Request without omobility_ids, expect 400.", [R()], 400),
    (
        "Request for one of known omobility_ids with unknown receiving_hei_id, expect 200 and empty.",
        [R(FAKE), ID()],
        [],
    ),
    (
        "Request more than <max-omobility-ids> known omobility_ids, expect 400.",
        [R(), *[ID()] * (MAX + 1)],
        400,
    ),
    (
        "Request more than <max-omobility-ids> unknown omobility_ids, expect 400.",
        [R(), *[ID(FAKE)] * (MAX + 1)],
        400,
    ),
    (
        "Request exactly <max-omobility-ids> known omobility_ids, expect 200 and non-empty.",
        [R(), *[ID()] * MAX],
        [KNOWN],
    ),
    ("Request with single incorrect parameter, expect 400.", [("omobility_id_param", KNOWN)], 400),
    ("Request with correct receiving_hei_id twice, expect 400.", [R(), R(), ID()], 400),
    (
        "Request with correct receiving_hei_id and incorrect receiving_hei_id, expect 400.",
        [R(), R(FAKE), ID()],
        400,
    ),
]

INDEX_STEPS = [
    ("Request one known receiving_hei_id, expect 200 OK.", [R()], ["m-approved-1", "m-approved-2"]),
    ("Request with known receiving_hei_id twice, expect 400.", [R(), R()], 400),
    ("Request without receiving_hei_id and known sending_hei_id, expect 400.", [S(LINDHOLM)], 400),
    ("Request with known receiving_hei_id and unknown receiving_hei_id, expect 400.", [R(), R(FAKE)], 400),
    ("Request without parameters, expect 400.", [], 400),
    (
        "Request with known receiving_hei_id and unknown sending_hei_id, expect 200 and empty.",
        [R(), S(FAKE)],
        [],
    ),
    ("Request with unknown receiving_hei_id, expect 200 and empty response.", [R(FAKE)], []),
    (
        "Request with known receiving_hei_id and known and unknown sending_hei_id, expect non-empty.",
        [R(), S(LINDHOLM), S(FAKE)],
        ["m-approved-1", "m-approved-2"],
    ),
    (
        "Request with known receiving_hei_id and two unknown sending_hei_id, expect empty.",
        [R(), S(FAKE), S(FAKE)],
        [],
    ),
    (
        "Request with multiple modified_since parameters, expect 400.",
        [R(), M("2019-02-12T15:19:21+01:00"), M("2019-02-12T15:19:21+01:00")],
        400,
    ),
    (
        "Request with modified_since in the future, expect 200 OK and empty.",
        [R(), M("2046-02-12T15:19:21+01:00")],
        [],
    ),
    (
        "Request with modified_since far in the past, expect 200 OK and non-empty.",
        [R(), M("2000-02-12T15:19:21+01:00")],
        ["m-approved-1", "m-approved-2"],
    ),
    ("Request with invalid value of modified_since, expect 400.", [R(), M(FAKE)], 400),
    ("Request with modified_since being only a date, expect 400.", [R(), M("2004-02-12")], 400),
    (
        "Request with modified_since being a dateTime in wrong format, expect 400.",
        [R(), M("05/29/2015 05:50")],
        400,
    ),
    (
        "Request with sending_hei_id valid but not covered by the validator, expect empty.",
        [R(), S(OSTMARK)],
        [],
    ),
]


def _ids(content: bytes) -> list[str]:
    root = etree.fromstring(content)
    return [(e.text or "") for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}omobility-id")]


def _check(fjordby: Fjordby, path: str, method: str, params: list[tuple[str, str]], expected: object) -> None:
    response = call(fjordby, path, params, method=method)
    if expected == 400:
        assert response.status_code == 400, response.text
    else:
        assert response.status_code == 200, response.text
        assert _ids(response.content) == expected


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("step", "params", "expected"), GET_STEPS, ids=[s[0] for s in GET_STEPS])
def test_get_steps(
    fjordby: Fjordby, method: str, step: str, params: list[tuple[str, str]], expected: object
) -> None:
    _check(fjordby, PATHS.tors_get, method, params, expected)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("step", "params", "expected"), INDEX_STEPS, ids=[s[0] for s in INDEX_STEPS])
def test_index_steps(
    fjordby: Fjordby, method: str, step: str, params: list[tuple[str, str]], expected: object
) -> None:
    _check(fjordby, PATHS.tors_index, method, params, expected)


def test_index_as_another_ewp_participant_is_empty(fjordby: Fjordby) -> None:
    # Fjordby's own client key covers the receiving institution, which the spec leaves to us: not shown.
    response = call(fjordby, PATHS.tors_index, [R()], key="fjordby-client")
    assert response.status_code == 200 and _ids(response.content) == []
