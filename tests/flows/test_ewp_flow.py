"""A whole EWP exchange in one process, signed both ways: Lindholm (the sending institution) polls
Fjordby's index, fetches the transcripts it may see, and gets ELMOs that verify with Fjordby's EMP
certificate; the independent httpsig implementation agrees with both signatures."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives import serialization
from httpsig.verify import HeaderVerifier
from starlette.testclient import TestClient

from emrex.elmo.reader import read_elmo
from emrex.ewp import partner_emp_certificates
from emrex.ewp.httpsig import digest_header
from emrex.trust import verify
from tests.ewp.network import (
    ESI,
    FJORDBY,
    FJORDBY_URL,
    LINDHOLM,
    Fjordby,
    catalogue,
    emp_issued,
    mobility,
    rsa_key,
    signed_elmo,
)

Exchange = tuple[str, dict[str, str], dict[str, str], bytes]


def _recording(fjordby: Fjordby) -> list[Exchange]:
    """Every exchange as it crossed the wire: path, request headers, response headers and body."""
    seen: list[Exchange] = []
    app = fjordby.app

    async def recorder(scope, receive, send):  # type: ignore[no-untyped-def]
        request = {k.decode(): v.decode() for k, v in scope["headers"]}
        response: dict[str, str] = {}
        body: list[bytes] = []

        async def capture(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                response.update({k.decode(): v.decode() for k, v in message["headers"]})
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        await app(scope, receive, capture)
        seen.append((scope["path"], request, response, b"".join(body)))

    fjordby.http = TestClient(recorder, base_url=FJORDBY_URL)
    return seen


def test_lindholm_polls_and_fetches_fjordbys_transcripts() -> None:
    fjordby = Fjordby()
    fjordby.transcripts["m-approved-2"] = signed_elmo(60, seed=2)
    seen = _recording(fjordby)
    lindholm = fjordby.client()

    listed = lindholm.index_tors(FJORDBY, sending_hei_ids=[LINDHOLM])
    assert listed == ["m-approved-1", "m-approved-2"]
    tors = lindholm.get_tors(FJORDBY, listed)
    assert [t.omobility_id for t in tors] == listed
    # Trusted as an EMREX transfer is: the certificate Fjordby's EMP entry in the registry lists.
    trusted = partner_emp_certificates(catalogue(), FJORDBY)
    assert trusted == (emp_issued().certificate,)
    for tor in tors:
        verified = verify(tor.elmo, trusted)
        learner = read_elmo(verified.signed_xml).elmo.learner
        assert ("esi", ESI) in [(i.type, i.value) for i in learner.identifiers]
    assert (
        sum(len(list(r.iter_los())) for r in read_elmo(tors[1].elmo).elmo.reports) > 60
    )  # the 60-course one

    # Signed both ways, and an independent implementation agrees.
    client_pem = (
        rsa_key("lindholm-client")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    server_pem = (
        rsa_key("fjordby-server")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert len(seen) == 2
    for path, request_headers, response_headers, body in seen:
        assert HeaderVerifier(
            request_headers,
            client_pem,
            required_headers=["(request-target)", "host", "date", "digest", "x-request-id"],
            method="POST",
            path=path,
        ).verify()
        assert HeaderVerifier(
            response_headers,
            server_pem,
            required_headers=["original-date", "digest", "x-request-id", "x-request-signature"],
            sign_header="signature",
        ).verify()
        assert response_headers["x-request-id"] == request_headers["x-request-id"]
        assert response_headers["digest"] == digest_header(body)


def test_polling_with_modified_since_sees_only_what_changed() -> None:
    fjordby = Fjordby()
    lindholm = fjordby.client()
    checked = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert lindholm.index_tors(FJORDBY, modified_since=checked) == []
    fjordby.mobilities.put(mobility("m-pending", approved=dt.datetime.now(dt.UTC)))
    assert lindholm.index_tors(FJORDBY, modified_since=checked) == ["m-pending"]
    assert [t.omobility_id for t in lindholm.get_tors(FJORDBY, ["m-pending"])] == ["m-pending"]
