"""Our EWP client: it finds the partner in the registry, splits requests at the partner's limit,
trusts only responses signed by the partner's registered server key, and reports errors in words."""

from __future__ import annotations

import httpx
import pytest

from emrex.ewp import EwpClient, PartnerError, ResponseNotTrusted, SigningKey
from emrex.registry import catalogue_from_manifests, read_ewp_catalogue
from emrex.trust import verify
from tests.ewp.network import FJORDBY, Fjordby, catalogue, emp_issued, manifests, signing_key


def test_get_tors_returns_standalone_elmos_that_verify(fjordby: Fjordby) -> None:
    tors = fjordby.client().get_tors(FJORDBY, ["m-approved-1", "m-pending", "m-ostmark", "nope"])
    assert [t.omobility_id for t in tors] == ["m-approved-1"]
    assert tors[0].partner_hei_id == FJORDBY
    assert tors[0].elmo.startswith(b"<?xml")
    assert verify(tors[0].elmo, emp_issued().certificate).certificate == emp_issued().certificate


def test_requests_are_split_at_the_partners_max_omobility_ids(fjordby: Fjordby) -> None:
    calls: list[bytes] = []
    original = fjordby.http.stream

    def counting(method, url, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["content"])
        return original(method, url, **kwargs)

    fjordby.http.stream = counting  # type: ignore[method-assign]
    ids = ["m-approved-1", "x1", "x2", "m-approved-2", "x3"]
    tors = fjordby.client().get_tors(FJORDBY, ids)
    assert [t.omobility_id for t in tors] == ["m-approved-1", "m-approved-2"]
    assert len(calls) == 2  # max 3 per request


def test_index_and_echo(fjordby: Fjordby) -> None:
    client = fjordby.client()
    assert client.index_tors(FJORDBY) == ["m-approved-1", "m-approved-2"]
    assert client.index_tors(FJORDBY, sending_hei_ids=["unknown.example"]) == []
    reply = client.echo(FJORDBY, ["x", "y"])
    assert reply.hei_ids == ("lindholm.example",) and reply.echo == ("x", "y")


def test_a_partner_the_registry_does_not_know(fjordby: Fjordby) -> None:
    with pytest.raises(
        PartnerError, match=r"no host in the EWP registry serves the imobility-tors API for 'x.example'"
    ):
        fjordby.client().get_tors("x.example", ["m"])


def test_a_partner_error_is_reported_with_its_developer_message(fjordby: Fjordby) -> None:
    with pytest.raises(PartnerError, match=r"answered HTTP 403: the key .* is not a client key") as caught:
        fjordby.client("stranger-client").get_tors(FJORDBY, ["m-approved-1"])
    assert caught.value.http_status == 403


def test_a_response_signed_with_a_key_not_registered_for_the_host_is_refused(fjordby: Fjordby) -> None:
    fjordby.server.response_key = signing_key("lindholm-server")  # a real key, but another host's
    with pytest.raises(ResponseNotTrusted, match="does not list as a server key of the host we called"):
        fjordby.client().get_tors(FJORDBY, ["m-approved-1"])


def test_an_unsigned_response_is_refused(fjordby: Fjordby) -> None:
    fjordby.server.response_key = None
    with pytest.raises(ResponseNotTrusted, match="not signed although we asked"):
        fjordby.client().get_tors(FJORDBY, ["m-approved-1"])


def _catalogue_without_signed_responses():  # type: ignore[no-untyped-def]
    changed = [
        m.replace(
            b'<httpsig xmlns="https://github.com/erasmus-without-paper/ewp-specs-sec-srvauth-httpsig/tree/stable-v1"/>',
            b"",
        )
        for m in manifests()
    ]
    assert changed != manifests()
    return read_ewp_catalogue(catalogue_from_manifests(changed))


def test_a_partner_that_does_not_sign_responses_is_refused_unless_allowed(fjordby: Fjordby) -> None:
    unsigned = _catalogue_without_signed_responses()
    client = EwpClient(signing_key("lindholm-client"), lambda: unsigned, http=fjordby.http)
    with pytest.raises(PartnerError, match="does not offer signed responses"):
        client.get_tors(FJORDBY, ["m-approved-1"])
    lenient = EwpClient(
        signing_key("lindholm-client"), lambda: unsigned, http=fjordby.http, require_signed_responses=False
    )
    assert [t.omobility_id for t in lenient.get_tors(FJORDBY, ["m-approved-1"])] == ["m-approved-1"]


def test_an_oversized_answer_is_cut_off(fjordby: Fjordby) -> None:
    client = EwpClient(signing_key("lindholm-client"), catalogue, http=fjordby.http, max_response_bytes=1000)
    with pytest.raises(PartnerError, match="larger than 1000 bytes"):
        client.get_tors(FJORDBY, ["m-approved-1"])


def test_an_unreachable_partner(fjordby: Fjordby) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = EwpClient(
        signing_key("lindholm-client"), catalogue, http=httpx.Client(transport=httpx.MockTransport(refuse))
    )
    with pytest.raises(
        PartnerError, match=r"cannot reach fjordby.example at fjordby.example: connection refused"
    ):
        client.get_tors(FJORDBY, ["m-approved-1"])


def test_tors_not_asked_for_or_repeated_are_not_taken() -> None:
    # A partner answering with another mobility's record must not have it filed under ours.
    from emrex.ewp.client import _tors
    from tests.ewp.test_tors import LINDHOLM_CALLER, api

    body = api().get(
        LINDHOLM_CALLER,
        [("receiving_hei_id", FJORDBY), ("omobility_id", "m-approved-1"), ("omobility_id", "m-approved-2")],
    )
    assert [t.omobility_id for t in _tors(body, {"m-approved-1", "m-approved-2"}, FJORDBY, set())] == [
        "m-approved-1",
        "m-approved-2",
    ]
    assert [t.omobility_id for t in _tors(body, {"m-approved-2"}, FJORDBY, set())] == ["m-approved-2"]
    assert _tors(body, {"m-approved-2"}, FJORDBY, {"m-approved-2"}) == []
    with pytest.raises(PartnerError, match="not <imobility-tors-get-response>"):
        _tors(b"<other/>", {"m"}, FJORDBY, set())


def test_the_client_key_must_be_rsa() -> None:
    with pytest.raises(TypeError):
        SigningKey("not a key")  # type: ignore[arg-type]
