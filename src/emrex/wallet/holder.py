"""A small holder (wallet) for tests and demos: it keeps its key and credentials in a folder and plays
the wallet's side of OpenID4VCI (accept an offer) and OpenID4VP (present to a request) over HTTP.

It is not a certified EUDI wallet: it checks what a careful wallet checks (the request object's
signature and ``x509_san_dns`` name, the credential's signature and binding to its key), and consults
trust anchors for issuers and verifiers only when it is given some.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from emrex.wallet.certificates import TrustAnchors, leaf_key, parse_x5c, san_dns_names, verify_chain
from emrex.wallet.credential import VC_TYP
from emrex.wallet.dcql import wanted_from
from emrex.wallet.errors import HolderError
from emrex.wallet.jose import (
    RESPONSE_ENCS,
    Json,
    SigningKey,
    dumps,
    loads_object,
    new_ec_key,
    parse_jwt,
    response_registry,
    sign_jwt,
    signing_key,
    verify_jwt,
)
from emrex.wallet.metadata import PRE_AUTHORIZED
from emrex.wallet.presentation import present
from emrex.wallet.proof import PROOF_TYP
from emrex.wallet.sdjwt import ClaimPath, resolve, split
from emrex.wallet.typemeta import COURSES, ELM_VCT
from emrex.wallet.urls import ServiceUrls, check_url
from emrex.wallet.verification import VerifyPolicy, verify_presentation
from emrex.wallet.verifier import REQUEST_MEDIA_TYPE, REQUEST_TYP

KEY_FILE = "holder-key.jwk"
CREDENTIALS = "credentials"
MAX_BODY = 16_000_000
TIMEOUT = 15.0


@dataclass(frozen=True)
class HeldCredential:
    id: str
    issuer: str
    vct: str
    received_at: int
    credential: str
    claims: Json

    @property
    def learner(self) -> str:
        return learner_name(self.claims.get("elm"))

    @property
    def courses(self) -> list[str]:
        return titles(self.claims.get("elm"))


def learner_name(elm: object) -> str:
    subject = elm.get("credentialSubject") if isinstance(elm, dict) else None
    if not isinstance(subject, dict):
        return "(not disclosed)"
    names = [_text(subject.get(k)) for k in ("givenName", "familyName")]
    return " ".join(n for n in names if n) or "(not disclosed)"


def titles(elm: object) -> list[str]:
    subject = elm.get("credentialSubject") if isinstance(elm, dict) else None
    courses = subject.get("hasClaim") if isinstance(subject, dict) else None
    if not isinstance(courses, list):
        return []
    return [_text(c.get("title")) or "(untitled)" for c in courses if isinstance(c, dict)]


@dataclass(frozen=True)
class Presented:
    verifier: str
    status: int
    redirect_uri: str | None
    disclosed: tuple[ClaimPath, ...]


@dataclass(frozen=True)
class Asked:
    """A checked presentation request: who asks (its client identifier and the name it gives) and, for
    each held credential that answers it, the claim paths presenting it would disclose."""

    client_id: str
    verifier: str
    matches: tuple[tuple[HeldCredential, tuple[ClaimPath, ...]], ...]


class Holder:
    def __init__(
        self,
        folder: str | Path,
        *,
        client: httpx.Client | None = None,
        issuer_anchors: TrustAnchors | None = None,
        verifier_anchors: TrustAnchors | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self.issuer_anchors = issuer_anchors
        self.verifier_anchors = verifier_anchors

    # The key and the stored credentials.

    def key(self) -> SigningKey:
        path = self.folder / KEY_FILE
        if path.exists():
            return signing_key(ECKey.import_key(loads_object(path.read_bytes(), str(path))))
        key = new_ec_key()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(dumps(key.as_dict(private=True)))
        return signing_key(key)

    def credentials(self) -> list[HeldCredential]:
        folder = self.folder / CREDENTIALS
        if not folder.is_dir():
            return []
        held = []
        for path in sorted(folder.glob("*.json")):
            record = loads_object(path.read_bytes(), str(path))
            sd_jwt = split(record["credential"])
            claims = resolve(parse_jwt(sd_jwt.jwt, "a stored credential").payload, sd_jwt.disclosures).claims
            held.append(
                HeldCredential(
                    path.stem,
                    record["issuer"],
                    record["vct"],
                    record["received_at"],
                    record["credential"],
                    claims,
                )
            )
        return sorted(held, key=lambda c: c.received_at, reverse=True)

    def _keep(self, credential: str, issuer: str) -> HeldCredential:
        folder = self.folder / CREDENTIALS
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        received = int(time.time())
        name = f"{received}-{os.urandom(4).hex()}"
        record = {"credential": credential, "issuer": issuer, "vct": ELM_VCT, "received_at": received}
        (folder / f"{name}.json").write_bytes(dumps(record))
        return next(c for c in self.credentials() if c.id == name)

    # OpenID4VCI: accepting an offer.

    def accept_offer(self, offer_url: str, tx_code: str | None = None) -> HeldCredential:
        offer = self._offer(offer_url)
        issuer = offer.get("credential_issuer")
        if not isinstance(issuer, str):
            raise HolderError("the offer names no credential issuer")
        urls = ServiceUrls(issuer)
        metadata = self._get_json(urls.well_known("openid-credential-issuer"))
        if metadata.get("credential_issuer") != issuer:
            raise HolderError("the issuer's metadata names another issuer")
        server = (metadata.get("authorization_servers") or [issuer])[0]
        token_endpoint = self._get_json(ServiceUrls(server).well_known("oauth-authorization-server")).get(
            "token_endpoint"
        )
        grant = (offer.get("grants") or {}).get(PRE_AUTHORIZED)
        if not isinstance(grant, dict) or not isinstance(token_endpoint, str):
            raise HolderError("the offer has no pre-authorized code grant, the only one this holder follows")
        form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": str(grant.get("pre-authorized_code"))}
        if grant.get("tx_code") is not None:
            if not tx_code:
                raise HolderError(
                    "this offer needs the transaction code shown where the credential was offered"
                )
            form["tx_code"] = tx_code
        token = self._post(token_endpoint, data=form).get("access_token")
        nonce = self._post(str(metadata.get("nonce_endpoint"))).get("c_nonce")
        key = self.key()
        proof = sign_jwt(
            {"typ": PROOF_TYP, "jwk": key.public_jwk},
            {"aud": issuer, "iat": int(time.time()), "nonce": nonce},
            key,
        )
        configuration = (offer.get("credential_configuration_ids") or [None])[0]
        answer = self._post(
            str(metadata.get("credential_endpoint")),
            json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            credential = answer["credentials"][0]["credential"]
        except (KeyError, IndexError, TypeError):
            raise HolderError("the issuer's answer carries no credential") from None
        self._check_received(credential, key)
        return self._keep(credential, issuer)

    def _offer(self, offer_url: str) -> Json:
        query = parse_qs(urlsplit(offer_url.strip()).query)
        if "credential_offer" in query:
            return loads_object(query["credential_offer"][0], "the credential offer")
        if "credential_offer_uri" in query:
            return self._get_json(query["credential_offer_uri"][0])
        raise HolderError("this is not a credential offer link (no credential_offer_uri)")

    def _check_received(self, credential: str, key: SigningKey) -> None:
        sd_jwt = split(credential)
        jwt = parse_jwt(sd_jwt.jwt, "the received credential", typ=VC_TYP)
        if jwt.payload.get("cnf", {}).get("jwk") != key.public_jwk:
            raise HolderError("the received credential is bound to another key than this holder's")
        if self.issuer_anchors is not None:
            verify_presentation(credential, VerifyPolicy(self.issuer_anchors, require_key_binding=False))
            return
        leaf = parse_x5c(jwt.header.get("x5c"), "the received credential")[0]
        verify_jwt(jwt, leaf_key(leaf), "the received credential")
        resolve(jwt.payload, sd_jwt.disclosures)

    # OpenID4VP: presenting to a request.

    def present(
        self, request_url: str, *, courses: Sequence[int] | None = None, credential: str | None = None
    ) -> Presented:
        """Answer the presentation request at ``request_url`` with the newest credential that fits (or
        the one with id ``credential``); ``courses`` (indexes, as ``list`` shows them) limits which
        courses are shown."""
        client_id, request = self._read_request(request_url)
        held = [c for c in self.credentials() if credential is None or c.id == credential]
        if not held:
            raise HolderError(f"this wallet holds no credential {credential or 'yet'}")
        for candidate in held:
            try:
                wanted = wanted_from(request.get("dcql_query"), candidate.claims)
            except HolderError:
                continue
            paths = _only_courses(wanted.paths, courses)
            presentation = present(
                candidate.credential,
                paths,
                holder=self.key(),
                audience=client_id,
                nonce=str(request.get("nonce")),
            )
            payload = {"vp_token": {wanted.query_id: [presentation]}, "state": request.get("state")}
            answer = self._respond(str(request.get("response_uri")), _encrypt(payload, request))
            redirect = answer.json().get("redirect_uri") if answer.status_code == 200 else None
            if answer.status_code != 200:
                raise HolderError(f"the verifier refused the presentation: {_error_text(answer)}")
            return Presented(client_id, answer.status_code, redirect, paths)
        raise HolderError("no credential in this wallet has what the verifier asks for")

    def ask(self, request_url: str) -> Asked:
        """What the presentation request at ``request_url`` asks of this wallet, before anything is sent:
        the verifier (its request object checked as ``present`` checks it) and, for each held credential
        that answers the query, the claims it would disclose."""
        client_id, request = self._read_request(request_url)
        matches = []
        for candidate in self.credentials():
            try:
                matches.append((candidate, wanted_from(request.get("dcql_query"), candidate.claims).paths))
            except HolderError:
                continue
        metadata = request.get("client_metadata")
        name = metadata.get("client_name") if isinstance(metadata, dict) else None
        return Asked(client_id, _text(name) or client_id.removeprefix("x509_san_dns:"), tuple(matches))

    def _read_request(self, request_url: str) -> tuple[str, Json]:
        query = parse_qs(urlsplit(request_url.strip()).query)
        client_id = (query.get("client_id") or [""])[0]
        request_uri = (query.get("request_uri") or [""])[0]
        if not client_id.startswith("x509_san_dns:") or not request_uri:
            raise HolderError(
                "this holder answers only signed requests by reference with an x509_san_dns: client id"
            )
        return client_id, self._request_object(self._get_text(request_uri, REQUEST_MEDIA_TYPE), client_id)

    def _request_object(self, text: str, client_id: str) -> Json:
        jwt = parse_jwt(text.strip(), "the request object", typ=REQUEST_TYP)
        chain = parse_x5c(jwt.header.get("x5c"), "the request object")
        if self.verifier_anchors is not None:
            verify_chain(chain, self.verifier_anchors, dt.datetime.now(dt.UTC))
        verify_jwt(jwt, leaf_key(chain[0]), "the request object")
        request = jwt.payload
        host = client_id.removeprefix("x509_san_dns:")
        if request.get("client_id") != client_id:
            raise HolderError("the request object names another client than the link")
        if host not in san_dns_names(chain[0]):
            raise HolderError(f"the verifier's certificate does not name {host}")
        response_uri = str(request.get("response_uri"))
        if urlsplit(check_url(response_uri, "the response_uri")).hostname != host:
            raise HolderError("the response_uri lies on another host than the verifier's name")
        if request.get("response_mode") != "direct_post.jwt":
            raise HolderError("this holder answers only with encrypted responses (direct_post.jwt)")
        return request

    # HTTP.

    def _get_json(self, url: str) -> Json:
        return loads_object(self._get_text(url, "application/json"), url[:100])

    def _get_text(self, url: str, accept: str) -> str:
        response = self._send("GET", url, headers={"Accept": accept})
        if response.status_code != 200:
            raise HolderError(f"{url[:100]} answered {response.status_code}: {_error_text(response)}")
        return response.text

    def _post(self, url: str, **kwargs: Any) -> Json:
        response = self._send("POST", url, **kwargs)
        if response.status_code != 200:
            raise HolderError(f"{url[:100]} refused: {_error_text(response)}")
        return loads_object(response.content, url[:100])

    def _respond(self, url: str, jwe_text: str) -> httpx.Response:
        return self._send("POST", url, data={"response": jwe_text})

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        check_url(url, "a URL the holder was given")
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise HolderError(f"{url[:100]} cannot be reached ({type(exc).__name__})") from None
        if len(response.content) > MAX_BODY:
            raise HolderError(f"{url[:100]} answered with more than {MAX_BODY} bytes")
        return response


def _encrypt(payload: Json, request: Json) -> str:
    metadata = request.get("client_metadata") or {}
    keys = [
        k
        for k in (metadata.get("jwks") or {}).get("keys", [])
        if isinstance(k, dict) and k.get("kty") == "EC"
    ]
    if not keys:
        raise HolderError("the verifier offers no EC key to encrypt the response to")
    jwk = next((k for k in keys if k.get("use") == "enc"), keys[0])
    offered = metadata.get("encrypted_response_enc_values_supported") or ["A128GCM"]
    enc = next((e for e in offered if e in RESPONSE_ENCS), None)
    if enc is None:
        raise HolderError("the verifier offers no response encryption this holder supports")
    header = {"alg": "ECDH-ES", "enc": enc, **({"kid": jwk["kid"]} if "kid" in jwk else {})}
    try:
        key = ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})
        return jwe.encrypt_compact(header, dumps(payload), key, registry=response_registry(MAX_BODY))
    except (JoseError, KeyError, ValueError) as exc:
        raise HolderError(f"the verifier's encryption key is not usable ({exc})") from None


def _only_courses(paths: tuple[ClaimPath, ...], courses: Sequence[int] | None) -> tuple[ClaimPath, ...]:
    if courses is None:
        return paths
    kept = tuple(p for p in paths if p != COURSES)
    if len(kept) == len(paths):
        return paths
    return kept + tuple((*COURSES[:-1], index) for index in courses)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for language in ("en", "und", *value):
            if isinstance(value.get(language), str):
                return str(value[language])
    return ""


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and "error" in body:
        return f"{body.get('error')}: {str(body.get('error_description', ''))[:200]}"
    return f"HTTP {response.status_code}"
