"""Hostile calls of the EWP endpoints (and hostile partner answers to our client): the status the
EWP specifications give, an EWP error response, no traceback, and no transcript served."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from lxml import etree

from emrex.db import Database, upgrade
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.emp.ewp_replay import DatabaseReplayCache
from emrex.ewp import PartnerError, ResponseNotTrusted
from emrex.ewp.httpsig import Headers, format_params, signing_string
from emrex.ewp.namespaces import COMMON_NS, ELMO_NS
from emrex.trust.signer import Signer
from tests.ewp.conftest import fjordby
from tests.ewp.http import call
from tests.ewp.network import FJORDBY, PATHS, Fjordby, emp_issued, signing_key
from tests.hostile.cases import exercised
from tests.hostile.checks import no_traceback

__all__ = ["fjordby"]
exercised(
    "ewp-unsigned",
    "ewp-unknown-key",
    "ewp-server-key-as-client",
    "ewp-wrong-key",
    "ewp-header-not-signed",
    "ewp-algorithm-confusion",
    "ewp-date-skew",
    "ewp-digest-mismatch",
    "ewp-target-changed",
    "ewp-host-mismatch",
    "ewp-replayed-request",
    "ewp-replayed-to-another-worker",
    "ewp-institution-not-covered",
    "ewp-not-approved",
    "ewp-oversized-request",
    "ewp-too-many-ids",
    "ewp-huge-authorization",
    "ewp-wrong-student-transcript",
    "ewp-response-forged",
    "ewp-response-other-mobility",
)

R = ("receiving_hei_id", FJORDBY)
ASK = [R, ("omobility_id", "m-approved-1")]


def refused(response: httpx.Response, status: int, words: str = "") -> str:
    """The response is the EWP error response with ``status``, and serves no transcript."""
    assert response.status_code == status, response.text
    no_traceback(response.content)
    assert ELMO_NS.encode() not in response.content
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{COMMON_NS}}}error-response"
    message = root.findtext(f"{{{COMMON_NS}}}developer-message") or ""
    assert words in message, message
    return message


def served(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    return [e.text or "" for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}omobility-id")]


def _resign(
    names: list[str], algorithm: str = "", key: str = "lindholm-client"
) -> Callable[[dict[str, str]], str]:
    def value(headers: dict[str, str]) -> str:
        signer = signing_key(key)
        text = signing_string(names, Headers(headers), method="POST", target=PATHS.tors_get)
        params = format_params(signer.key_id, names, signer.sign(text))
        return "Signature " + (params.replace("rsa-sha256", algorithm) if algorithm else params)

    return value


def test_unsigned(fjordby: Fjordby) -> None:
    response = fjordby.http.post(PATHS.tors_get, data=dict(ASK))
    refused(response, 401, "not signed")
    assert response.headers["www-authenticate"].startswith('Signature realm="EWP"')
    assert response.headers["want-digest"] == "SHA-256"


def test_unknown_key_and_server_key_as_client(fjordby: Fjordby) -> None:
    refused(call(fjordby, PATHS.tors_get, ASK, key="stranger-client"), 403, "not a client key")
    refused(call(fjordby, PATHS.tors_get, ASK, key="fjordby-server"), 403, "not a client key")


def test_wrong_key(fjordby: Fjordby) -> None:
    # Signed properly with the stranger's key (403 as itself), then claiming to be Lindholm.
    made = call(fjordby, PATHS.tors_get, ASK, key="stranger-client")
    assert made.status_code == 403
    headers = dict(made.request.headers)
    real_id, stranger_id = signing_key("lindholm-client").key_id, signing_key("stranger-client").key_id
    headers["authorization"] = headers["authorization"].replace(stranger_id, real_id)
    response = fjordby.http.post(PATHS.tors_get, content=made.request.content, headers=headers)
    refused(response, 400, "signature does not match")


def test_header_not_signed_and_algorithm_confusion(fjordby: Fjordby) -> None:
    full = ["(request-target)", "host", "date", "digest", "x-request-id"]
    for left_out in ("x-request-id", "digest", "date"):
        names = [n for n in full if n != left_out]
        made = call(fjordby, PATHS.tors_get, ASK)
        headers = dict(made.request.headers)
        headers["authorization"] = _resign(names)(headers)
        refused(
            fjordby.http.post(PATHS.tors_get, content=made.request.content, headers=headers), 401, left_out
        )
    made = call(fjordby, PATHS.tors_get, ASK)
    headers = dict(made.request.headers)
    headers["authorization"] = _resign(full, algorithm="hmac-sha256")(headers)
    refused(
        fjordby.http.post(PATHS.tors_get, content=made.request.content, headers=headers), 401, "rsa-sha256"
    )


@pytest.mark.parametrize("minutes", [-6, 6])
def test_date_skew(fjordby: Fjordby, minutes: int) -> None:
    now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    refused(call(fjordby, PATHS.tors_get, ASK, now=now), 400, "seconds away")


def test_digest_mismatch_and_target_changed(fjordby: Fjordby) -> None:
    made = call(fjordby, PATHS.tors_get, ASK)
    assert served(made) == ["m-approved-1"]
    headers = dict(made.request.headers)
    body = made.request.content + b"&omobility_id=m-approved-2"
    headers["content-length"] = str(len(body))
    response = fjordby.http.post(PATHS.tors_get, content=body, headers=headers)
    refused(response, 400, "does not match the SHA-256")
    made = call(fjordby, PATHS.tors_get, ASK, method="GET")
    url = str(made.request.url).replace("m-approved-1", "m-approved-2")
    refused(fjordby.http.get(url, headers=dict(made.request.headers)), 400, "signature does not match")


def test_host_mismatch(fjordby: Fjordby) -> None:
    refused(call(fjordby, PATHS.tors_get, ASK, headers={"Host": "evil.example"}), 400, "is not this server")


def test_replayed_request(fjordby: Fjordby) -> None:
    made = call(fjordby, PATHS.tors_get, ASK)
    assert served(made) == ["m-approved-1"]
    again = fjordby.http.post(
        PATHS.tors_get, content=made.request.content, headers=dict(made.request.headers)
    )
    refused(again, 400, "used before")


def test_replayed_to_another_worker(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/emp.db")
    upgrade(database)
    worker_1, worker_2 = (Fjordby(replay=DatabaseReplayCache(database)) for _ in range(2))
    made = call(worker_1, PATHS.tors_get, ASK)
    assert served(made) == ["m-approved-1"]
    again = worker_2.http.post(
        PATHS.tors_get, content=made.request.content, headers=dict(made.request.headers)
    )
    refused(again, 400, "used before")
    database.dispose()


def test_institution_not_covered_and_not_approved(fjordby: Fjordby) -> None:
    assert served(call(fjordby, PATHS.tors_get, ASK, key="ostmark-client")) == []
    assert served(call(fjordby, PATHS.tors_index, [R], key="ostmark-client")) == ["m-ostmark"]
    assert served(call(fjordby, PATHS.tors_get, [R, ("omobility_id", "m-pending")])) == []
    assert "m-pending" not in served(call(fjordby, PATHS.tors_index, [R]))


def test_oversized_request_and_too_many_ids(fjordby: Fjordby) -> None:
    checked: list[object] = []
    fjordby.server.verifier.verify = lambda request: checked.append(request)  # type: ignore[assignment,method-assign,return-value]
    big = b"omobility_id=" + b"x" * (1024 * 1024)
    refused(fjordby.http.post(PATHS.tors_get, content=big), 413, "larger than")
    refused(
        fjordby.http.post(PATHS.tors_get, content=iter([big[:500_000], big[500_000:]])), 413, "larger than"
    )
    assert checked == []
    fresh = Fjordby()
    ids = [("omobility_id", f"m-{n}") for n in range(4)]
    refused(call(fresh, PATHS.tors_get, [R, *ids]), 400, "at most 3")


def test_huge_authorization(fjordby: Fjordby) -> None:
    looked_up: list[str] = []
    real = fjordby.server.verifier.keys

    def keys():  # type: ignore[no-untyped-def]
        looked_up.append("x")
        return real()

    fjordby.server.verifier.keys = keys
    header = (
        'Signature keyId="'
        + "a" * 64
        + '",algorithm="rsa-sha256",headers="'
        + "x " * 50_000
        + '",signature="AQ=="'
    )
    response = call(fjordby, PATHS.tors_get, ASK, headers={"Authorization": header})
    refused(response, 400, "longer than")
    assert looked_up == []


def test_wrong_student_transcript(fjordby: Fjordby) -> None:
    elmo = write_elmo(sample_elmo(3)).replace(b"nordvik.example:482913", b"nordvik.example:999999")
    fjordby.transcripts["m-approved-1"] = Signer(emp_issued().key, emp_issued().certificate).sign(elmo)
    refused(call(fjordby, PATHS.tors_get, ASK), 500, "does not identify the student")


def test_response_forged(fjordby: Fjordby) -> None:
    fjordby.server.response_key = signing_key("lindholm-server")
    with pytest.raises(ResponseNotTrusted, match="server key of the host we called"):
        fjordby.client().get_tors(FJORDBY, ["m-approved-1"])
    fjordby.server.response_key = None
    with pytest.raises(ResponseNotTrusted, match="not signed"):
        fjordby.client().get_tors(FJORDBY, ["m-approved-1"])
    fjordby.server.response_key = signing_key("fjordby-server")
    original = fjordby.server.handle

    def altered(request, endpoint):  # type: ignore[no-untyped-def]
        answer = original(request, endpoint)
        return type(answer)(
            answer.status, answer.headers, answer.body.replace(b"Linear Algebra", b"Linear Algebro")
        )

    fjordby.server.handle = altered  # type: ignore[method-assign]
    with pytest.raises(ResponseNotTrusted, match="does not match the SHA-256"):
        fjordby.client().get_tors(FJORDBY, ["m-approved-1"])


def test_response_other_mobility(fjordby: Fjordby) -> None:
    original = fjordby.tors.get

    def other(caller, params):  # type: ignore[no-untyped-def]
        return original(
            caller, [p for p in params if p[0] != "omobility_id"] + [("omobility_id", "m-approved-2")]
        )

    fjordby.tors.get = other  # type: ignore[method-assign]
    fjordby.app.router.routes.clear()
    from emrex.ewp.routes import ewp_router

    fjordby.app.include_router(ewp_router(fjordby.server, tors=fjordby.tors))
    assert fjordby.client().get_tors(FJORDBY, ["m-approved-1"]) == []
    with pytest.raises(PartnerError, match="no host"):
        fjordby.client().get_tors("nowhere.example", ["m-approved-1"])
