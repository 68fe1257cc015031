"""Third-party wallets against the EMC itself: its database-backed issuer (``[emc.wallet]``) and verifier
(``[emc.wallet_import]``) served by uvicorn on localhost, driven by the npm libraries a wallet vendor
would use. ``@openid4vc/openid4vci`` does discovery (both well-known documents), the pre-authorized
code with the transaction code, the nonce, the proof JWT and the credential request;
``@openid4vc/openid4vp`` parses the EMC's signed request object (``x509_san_dns:``), answers the DCQL
query with a presentation ``@sd-jwt/sd-jwt-vc`` makes and posts it encrypted (``direct_post.jwt``);
the EMC stores the transfer. ``@sd-jwt/sd-jwt-vc`` reads the EMC's status list before and after staff
revoke. Without node or the npm packages (``./run test-tools``) these tests skip and say so."""

from __future__ import annotations

import contextlib
import html
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from emrex.emc import create_emc_app
from emrex.emc.config import EmcSettings
from emrex.emc.models import Source, Status, Transfer
from emrex.emc.service import Service
from emrex.trust.keys import certificate_pem
from emrex.wallet import TrustAnchors, VerifyPolicy, http_fetch, issue_certificate, verify_presentation
from emrex.wallet.jose import Json, new_ec_key
from emrex.web.wallet_store import WalletOfferRow
from tests.db.conftest import postgres_admin, postgres_schema
from tests.emc.conftest import (
    NORDVIK,
    Keys,
    SealKeys,
    csrf,
    keys,
    login,
    make_settings,
    migrated_template,
    ok,
    password_hash,
    seal_keys,
)
from tests.emc.test_wallet_issue import offer_of, wallet_table
from tests.emc.test_wallet_plain import accounts_with_testesen
from tests.emc.wallet_network import converted_elm, make_net
from tests.wallet.helpers import listening, oracle, serving

__all__ = [
    "keys",
    "make_settings",
    "migrated_template",
    "password_hash",
    "postgres_admin",
    "postgres_schema",
    "seal_keys",
]


@dataclass
class LiveEmc:
    base: str
    app: FastAPI
    ca_pem: str  # the CA of the EMC's issuer certificate

    @property
    def service(self) -> Service:
        service: Service = self.app.state.emc_service
        return service

    @contextlib.contextmanager
    def client(self, username: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            login(client, username)  # type: ignore[arg-type]
            yield client

    def status_tokens(self, credential: str) -> dict[str, str]:
        """The status list the credential points to, fetched from the EMC as a wallet would."""
        uri = _claims(credential)["status"]["status_list"]["uri"]
        return {uri: httpx.get(uri, headers={"Accept": "application/statuslist+jwt"}).text}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def emc(
    request: pytest.FixtureRequest,
    make_settings: Callable[..., EmcSettings],
    seal_keys: SealKeys,
    tmp_path: Path,
    keys: Keys,
    password_hash: str,
) -> Iterator[LiveEmc]:
    # The EMC issues with its seal key and, as verifier, trusts the CA of that key; its state is in
    # SQLite, or in a fresh PostgreSQL schema.
    net = make_net(tmp_path)
    database = (
        {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("postgres_schema")()}
    )
    with listening() as (sockets, port):
        base = f"http://localhost:{port}"
        settings = make_settings(
            **database,
            base_url=base,
            dev_http_hosts=["localhost"],
            wallet=wallet_table(tmp_path, seal_keys),
            login=accounts_with_testesen(tmp_path, keys, password_hash),
            **net.tables("localhost", trust=seal_keys.ca, accept_without_signed_elmo=True),
        )
        app = create_emc_app(settings, background=False)  # status lists are read over HTTP
        with serving(app, sockets):
            yield LiveEmc(base, app, certificate_pem(seal_keys.ca.certificate).decode("ascii"))
        app.state.emc_service.database.dispose()


def _claims(credential: str) -> Json:
    from emrex.wallet.jose import parse_jwt

    return parse_jwt(credential.split("~")[0], "the credential").payload


def _imported_transfer(student: httpx.Client, keys: Keys) -> int:
    choose = student.get("/choose?country=SE").text
    started = student.post("/start", data={"country": "SE", "emp": NORDVIK, "csrf_token": csrf(choose)})
    session_id = re.search(r'name="sessionId" value="([^"]+)"', started.text)
    assert session_id, started.text
    transfer_id = ok(student, keys, session_id.group(1))  # type: ignore[arg-type]
    page = student.get(f"/transfers/{transfer_id}").text
    student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page)})
    return transfer_id


def _take(offer_link: str, tx_code: str, holder: Json, **extra: object) -> Json:
    return oracle("vci_wallet", {"offer": offer_link, "txCode": tx_code, "holderJwk": holder, **extra})


def test_an_openid4vci_wallet_takes_the_emc_offer_and_sees_it_revoked(emc: LiveEmc, keys: Keys) -> None:
    with emc.client("asa") as student:
        transfer_id = _imported_transfer(student, keys)
        choose = student.get(f"/transfers/{transfer_id}/wallet").text
        offered = student.post(
            f"/transfers/{transfer_id}/wallet", data={"csrf_token": csrf(choose), "scope": "all"}
        )
        link, tx_code = offer_of(offered.text)
        holder = new_ec_key().as_dict(private=True)
        taken = _take(link, tx_code, holder)
        assert "error" not in taken, taken
        assert taken["version"] == "V1"
        credential = taken["credential"]

        # The same wallet library, given the wrong transaction code for a second offer: refused and
        # counted in the database.
        choose = student.get(f"/transfers/{transfer_id}/wallet").text
        second = student.post(
            f"/transfers/{transfer_id}/wallet", data={"csrf_token": csrf(choose), "scope": "all"}
        )
        other_link, other_code = offer_of(second.text)
        wrong = "000000" if other_code != "000000" else "111111"
        assert "invalid_grant" in _take(other_link, wrong, holder)["error"]
    with emc.service.database.session(readonly=True) as s:
        assert sorted(s.scalars(select(WalletOfferRow.wrong_tx_codes))) == [0, 1]

    anchors = TrustAnchors.load([emc.ca_pem.encode("ascii")])
    verified = verify_presentation(credential, VerifyPolicy(anchors, status_fetch=http_fetch()))
    assert verified.claims["cnf"]["jwk"]["x"] == holder["x"] and verified.status == "valid"
    check = {"command": "verify", "sdjwt": credential, "ca": [emc.ca_pem]}
    read = oracle("sdjwt", {**check, "status": emc.status_tokens(credential)})
    assert "error" not in read, read
    assert read["payload"]["iss"] == emc.base and read["payload"]["elm"]["credentialSubject"]["hasClaim"]

    with emc.client("staff") as staff:
        page = staff.get(f"/staff/transfers/{transfer_id}").text
        revoked = staff.post(f"/staff/transfers/{transfer_id}/wallet/revoke", data={"csrf_token": csrf(page)})
        assert revoked.status_code == 303
    refused = oracle("sdjwt", {**check, "status": emc.status_tokens(credential)})
    assert "Status is not valid" in refused["error"]


def _wallet_credential(emc: LiveEmc, keys: Keys, holder: Json) -> str:
    """A credential the EMC's issuer offers (of results Nordvik's EMP signed), taken by the npm wallet."""
    assert emc.service.wallet is not None
    offer = emc.service.wallet.issuer.create_offer(converted_elm(keys), subject_ref="oracle")
    assert offer.tx_code is not None
    taken = _take(offer.link, offer.tx_code, holder)
    assert "error" not in taken, taken
    credential: str = taken["credential"]
    return credential


def _start_import(student: httpx.Client) -> tuple[str, str]:
    home = student.get("/").text
    started = student.post("/wallet-import/start", data={"csrf_token": csrf(home)})
    assert started.status_code == 303, started.text
    page_path = started.headers["location"]
    link = re.search(r'href="(openid4vp://[^"]+)"', student.get(page_path).text)
    assert link
    return page_path, link.group(1).replace("&amp;", "&")


def _transfers(emc: LiveEmc) -> list[Transfer]:
    with emc.service.database.session(readonly=True) as s:
        return list(s.scalars(select(Transfer)))


def test_an_openid4vp_wallet_presents_to_the_emc_which_stores_the_transfer(emc: LiveEmc, keys: Keys) -> None:
    holder = new_ec_key().as_dict(private=True)
    credential = _wallet_credential(emc, keys, holder)
    with emc.client("asa") as student:
        page_path, link = _start_import(student)
        answered = oracle("vp_wallet", {"link": link, "credential": credential, "holderJwk": holder})
        assert "error" not in answered, answered
        assert answered["status"] == 200, answered
        assert answered["clientId"] == "x509_san_dns:localhost"
        assert answered["encHeader"]["alg"] == "ECDH-ES"
        assert answered["body"]["redirect_uri"].startswith(f"{emc.base}/wallet-import/done?response_code=")

        arrived = student.get(page_path)
        assert arrived.status_code == 303
        preview = student.get(arrived.headers["location"]).text
        assert "From your wallet" in preview and "Lindholm EDC seal" in preview
    (transfer,) = _transfers(emc)
    assert (transfer.source, transfer.status, transfer.student) == (Source.WALLET, Status.RECEIVED, "asa")
    assert transfer.courses > 0 and transfer.signer and "Nordvik" in transfer.signer


def test_an_openid4vp_wallet_answering_another_verifier_stores_nothing(emc: LiveEmc, keys: Keys) -> None:
    holder = new_ec_key().as_dict(private=True)
    credential = _wallet_credential(emc, keys, holder)
    with emc.client("asa") as student:
        page_path, link = _start_import(student)
        request = {"link": link, "credential": credential, "holderJwk": holder}
        answered = oracle("vp_wallet", {**request, "aud": "x509_san_dns:evil.example"})
        assert answered.get("status") == 400, answered
        page = student.get(page_path).text
        assert "was not accepted" in page and "not for us" in page
    assert _transfers(emc) == []


def test_a_plain_elm_credential_of_a_third_party_issuer_is_imported_from_an_openid4vp_wallet(
    emc: LiveEmc, seal_keys: SealKeys, shared_dir: Path
) -> None:
    """As a DC4EU issuer would: @sd-jwt/sd-jwt-vc issues the DC4EU converter's ELM (no signed ELMO in
    it) under a CA the EMC trusts; the npm wallet presents it; with accept_without_signed_elmo the EMC
    converts it to ELMO and stores it as vouched for by that issuer alone."""
    issuer, _ = issue_certificate(seal_keys.ca, "DC4EU test issuer", dns_names=["issuer.dc4eu.example"])
    holder = new_ec_key().as_dict(private=True)
    sample = shared_dir / "samples-elm" / "converter-dc4eu" / "uio-tor.elm.json"
    elm: Json = json.loads(sample.read_text(encoding="utf-8"))
    claims = {
        "iss": "https://issuer.dc4eu.example",
        "vct": "urn:eudi:elm:1",
        "iat": int(time.time()),
        "elm": elm,
    }
    courses = list(range(len(elm["credentialSubject"]["hasClaim"])))
    subject = ["givenName", "familyName", "dateOfBirth", "identifier"]
    frame = {"elm": {"credentialSubject": {"_sd": subject, "hasClaim": {"_sd": courses}}}}
    made = oracle(
        "sdjwt",
        {
            "command": "issue",
            "claims": claims,
            "frame": frame,
            "issuerKeyPem": issuer.key.as_pem(private=True).decode("ascii"),
            "x5c": list(issuer.x5c),
            "holderJwk": holder,
        },
    )
    assert "error" not in made, made
    with emc.client("testesen") as student:
        page_path, link = _start_import(student)
        answered = oracle("vp_wallet", {"link": link, "credential": made["credential"], "holderJwk": holder})
        assert answered.get("status") == 200, answered
        arrived = student.get(page_path)
        assert arrived.status_code == 303, arrived.text
        preview = html.unescape(student.get(arrived.headers["location"]).text)
        assert (
            "No data provider's signature backs these results" in preview
            and "CN=DC4EU test issuer" in preview
        )
    (transfer,) = _transfers(emc)
    assert (transfer.source, transfer.identity_verdict, transfer.signer) == (Source.WALLET_ELM, "match", None)
    assert (
        transfer.elmo_xml is not None and b"INF4000" in transfer.elmo_xml and b"HMS0507" in transfer.elmo_xml
    )
