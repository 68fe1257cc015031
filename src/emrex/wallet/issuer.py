"""OpenID4VCI 1.0 issuer of ELM credentials: the credential offer by reference, the pre-authorized code
flow with a transaction code shown to the student, token, nonce and credential endpoints, and the
status list that revokes what was issued.

Each endpoint is a method taking what the request carried (a form, a header, bytes) and returning a
``Reply``; ``emrex.web.wallet`` puts them on routes. Codes are single use and short-lived; after
``max_wrong_tx_codes`` wrong transaction codes an offer is locked for good.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from emrex.wallet.credential import DEFAULT_LIFETIME, elm_claims, issue_elm_credential
from emrex.wallet.errors import ProtocolError, Unreadable, WalletError
from emrex.wallet.jose import Json, SigningKey, loads_object
from emrex.wallet.metadata import (
    CONFIGURATION_ID,
    PRE_AUTHORIZED,
    authorization_server_metadata,
    credential_issuer_metadata,
    credential_offer,
)
from emrex.wallet.proof import PROOF_MAX_AGE, check_proof
from emrex.wallet.reply import NO_STORE, Reply, error_reply, ok
from emrex.wallet.statuslist import (
    INVALID,
    MAX_ENTRIES,
    MEDIA_TYPE,
    StatusList,
    StatusListFull,
    list_number,
    status_list_token,
    status_reference,
    successor,
)
from emrex.wallet.store import ISSUED, LOCKED, OFFERED, TOKEN, IssuerStore, OfferRecord
from emrex.wallet.typemeta import type_metadata
from emrex.wallet.urls import ServiceUrls

OFFER_SCHEME = "openid-credential-offer://"
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True)
class IssuerConfig:
    url: str  # the credential issuer identifier: https://host or https://host/path
    key: SigningKey  # with its certificate chain (x5c)
    name: str  # shown by wallets, e.g. the institution's name
    offer_seconds: int = 600
    token_seconds: int = 300
    nonce_seconds: int = 300
    proof_max_age: int = PROOF_MAX_AGE
    credential_lifetime: int = DEFAULT_LIFETIME
    tx_code_digits: int = 6
    max_wrong_tx_codes: int = 5
    status_list_id: str = "1"  # the first list; when it is full, "2" follows at a new URI, and so on
    status_list_size: int = 1 << 17  # 16 KB at one bit per credential: a crowd to hide in

    def __post_init__(self) -> None:
        if list_number(self.status_list_id) is None:
            raise WalletError(f"the status list id must be a number, not {self.status_list_id[:20]!r}")
        if not 1 <= self.status_list_size <= MAX_ENTRIES:
            raise WalletError(f"a status list has 1 to {MAX_ENTRIES} entries")


@dataclass(frozen=True)
class Offer:
    """A credential offer to show the student: the link (for a QR code or a same-device button) and the
    transaction code to type into the wallet."""

    offer_id: str
    offer_uri: str
    link: str
    tx_code: str | None
    expires_at: int


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode("utf-8")).hexdigest()


class CredentialIssuer:
    def __init__(self, config: IssuerConfig, store: IssuerStore, *, clock: Callable[[], float] = time.time):
        self.config = config
        self.store = store
        self.clock = clock
        self.urls = ServiceUrls(config.url)
        self._list_id: str | None = None  # the list issuing goes on in, once known (lists only fill up)

    def now(self) -> int:
        return int(self.clock())

    @property
    def post_paths(self) -> tuple[str, ...]:
        """Paths wallets post to from outside: exempt them from CSRF checks."""
        return tuple(self.urls.route(self.urls.endpoint(name)) for name in ("token", "nonce", "credential"))

    # Published documents.

    def metadata_reply(self) -> Reply:
        return ok(
            credential_issuer_metadata(
                self.urls.base,
                name=self.config.name,
                credential_endpoint=self.urls.endpoint("credential"),
                nonce_endpoint=self.urls.endpoint("nonce"),
                signing_alg=self.config.key.alg,
            )
        )

    def server_metadata_reply(self) -> Reply:
        return ok(authorization_server_metadata(self.urls.base, token_endpoint=self.urls.endpoint("token")))

    def type_metadata_reply(self) -> Reply:
        return ok(type_metadata())

    def status_list_reply(self, list_id: str) -> Reply:
        """A list of this issuer: the first one, or a successor opened since."""
        number, first = list_number(list_id[:20]), int(self.config.status_list_id)
        latest = list_number(self.store.latest_status_list() or self.config.status_list_id) or first
        if number is None or not first <= number <= latest:
            return Reply(404, {"error": "not_found", "error_description": "no such status list"})
        statuses = StatusList.of(self.config.status_list_size, self.store.statuses(list_id))
        token = status_list_token(statuses, self.status_uri(list_id), self.config.key, now=self.now())
        return ok(token, MEDIA_TYPE)

    def status_uri(self, list_id: str) -> str:
        return self.urls.endpoint(f"status/{list_id}")

    # Offers.

    def create_offer(self, elm: Json, *, subject_ref: str, tx_code: bool = True) -> Offer:
        """Store an offer of ``elm`` for the student; Unreadable (nothing stored) if it is not ELM."""
        content = elm_claims(elm)
        offer_id, code = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        digits = self.config.tx_code_digits if tx_code else 0
        tx = "".join(secrets.choice("0123456789") for _ in range(digits)) or None
        expires = self.now() + self.config.offer_seconds
        self.store.add_offer(
            OfferRecord(
                offer_id=offer_id,
                code=code,
                code_hash=_digest(code),
                tx_code_hash=_digest(code, tx) if tx else None,
                configuration_id=CONFIGURATION_ID,
                content=content,
                subject_ref=subject_ref,
                expires_at=expires,
            )
        )
        uri = self.urls.endpoint(f"offers/{offer_id}")
        return Offer(
            offer_id, uri, OFFER_SCHEME + "?" + urlencode({"credential_offer_uri": uri}), tx, expires
        )

    def offer_reply(self, offer_id: str) -> Reply:
        offer = self.store.offer(offer_id)
        if offer is None or offer.expires_at < self.now() or offer.state != OFFERED:
            return Reply(
                404,
                {"error": "invalid_request", "error_description": "no such offer, or it was used or expired"},
            )
        digits = self.config.tx_code_digits if offer.tx_code_hash else None
        return ok(credential_offer(self.urls.base, offer.code, digits), store=False)

    # Token endpoint.

    def token_reply(self, form: Mapping[str, str]) -> Reply:
        try:
            return self._token(form)
        except ProtocolError as exc:
            return error_reply(exc)

    def _token(self, form: Mapping[str, str]) -> Reply:
        if form.get("grant_type") != PRE_AUTHORIZED:
            raise ProtocolError("only the pre-authorized code grant is offered", "unsupported_grant_type")
        code = form.get("pre-authorized_code")
        if not code:
            raise ProtocolError("the pre-authorized_code is missing")
        offer = self.store.offer_by_code(_digest(code))
        if offer is None or offer.expires_at < self.now():
            raise ProtocolError("the pre-authorized code is unknown or has expired", "invalid_grant")
        if offer.state in (TOKEN, ISSUED):
            self._lock(offer)  # a code used twice: whoever holds the first token loses it too
            raise ProtocolError("the pre-authorized code was used already", "invalid_grant")
        if offer.state == LOCKED:
            raise ProtocolError("this offer is locked; ask for a new one", "invalid_grant")
        if offer.tx_code_hash is not None:
            self._check_tx_code(offer, code, form.get("tx_code"))
        token = secrets.token_urlsafe(32)
        taken = self.store.save_offer(
            replace(
                offer,
                state=TOKEN,
                code="",
                token_hash=_digest(token),
                token_expires_at=self.now() + self.config.token_seconds,
            )
        )
        if not taken:
            raise ProtocolError("the pre-authorized code was used already", "invalid_grant")
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.config.token_seconds}
        return Reply(200, body, headers=NO_STORE)

    def _check_tx_code(self, offer: OfferRecord, code: str, given: str | None) -> None:
        if not given:
            raise ProtocolError("this offer needs the transaction code (tx_code) shown to the student")
        assert offer.tx_code_hash is not None
        if hmac.compare_digest(offer.tx_code_hash, _digest(code, given)):
            return
        # Count the wrong guess, retrying against concurrent writes: parallel guesses must all count.
        record: OfferRecord | None = offer
        while record is not None:
            wrong = record.wrong_tx_codes + 1
            state = LOCKED if wrong >= self.config.max_wrong_tx_codes else record.state
            if self.store.save_offer(replace(record, wrong_tx_codes=wrong, state=state)):
                break
            record = self.store.offer(offer.offer_id)
        left = max(0, self.config.max_wrong_tx_codes - wrong)
        if left == 0:
            raise ProtocolError(
                "wrong transaction code; the offer is now locked, ask for a new one", "invalid_grant"
            )
        raise ProtocolError(f"wrong transaction code ({left} attempts left)", "invalid_grant")

    def _lock(self, offer: OfferRecord) -> None:
        record: OfferRecord | None = offer
        while record is not None and record.state != LOCKED:
            if self.store.save_offer(replace(record, state=LOCKED, token_hash=None, content={})):
                return
            record = self.store.offer(offer.offer_id)

    # Nonce and credential endpoints.

    def nonce_reply(self) -> Reply:
        nonce = secrets.token_urlsafe(24)
        self.store.add_nonce(_digest(nonce), self.now() + self.config.nonce_seconds)
        return Reply(200, {"c_nonce": nonce}, headers=NO_STORE)

    def credential_reply(self, authorization: str | None, body: bytes) -> Reply:
        try:
            return self._credential(authorization, body)
        except ProtocolError as exc:
            challenge = {"WWW-Authenticate": f'Bearer error="{exc.error}"'} if exc.status == 401 else None
            return error_reply(exc, challenge)

    def _credential(self, authorization: str | None, body: bytes) -> Reply:
        offer = self._offer_of_token(authorization)
        if len(body) > MAX_REQUEST_BYTES:
            raise ProtocolError(
                f"the request is larger than {MAX_REQUEST_BYTES} bytes", "invalid_credential_request"
            )
        try:
            request = loads_object(body, "the credential request")
        except Unreadable as exc:
            raise ProtocolError(str(exc), "invalid_credential_request") from None
        if "credential_identifier" in request:
            raise ProtocolError(
                "no credential identifiers were issued; ask by configuration id",
                "unknown_credential_identifier",
            )
        if request.get("credential_configuration_id") != offer.configuration_id:
            raise ProtocolError(
                "this offer is for another credential configuration", "unknown_credential_configuration"
            )
        holder = check_proof(
            _one_proof(request),
            audience=self.urls.base,
            take_nonce=lambda nonce: self.store.take_nonce(_digest(nonce), self.now()),
            now=self.now(),
            max_age=self.config.proof_max_age,
        )
        # Claim the offer first: a token raced twice must not yield two credentials.
        if not self.store.save_offer(replace(offer, state=ISSUED, token_hash=None, content={})):
            raise ProtocolError("the access token was used already", "invalid_token", 401)
        list_id, index = self._allocate(offer.subject_ref)
        credential = issue_elm_credential(
            offer.content,
            self.config.key,
            holder,
            issuer=self.urls.base,
            status=status_reference(self.status_uri(list_id), index),
            lifetime=self.config.credential_lifetime,
            now=self.now(),
        )
        return Reply(200, {"credentials": [{"credential": credential}]}, headers=NO_STORE)

    def _allocate(self, subject_ref: str) -> tuple[str, int]:
        """An entry for a new credential in the newest list; a full list is followed by its successor."""
        list_id = self._list_id
        if list_id is None:
            first = self.config.status_list_id
            latest = self.store.latest_status_list() or first
            list_id = latest if int(latest) > int(first) else first
        while True:
            try:
                index = self.store.allocate_status(
                    list_id, self.config.status_list_size, subject_ref, self.now()
                )
            except StatusListFull:  # another worker may have moved on already: it is full for us too
                list_id = successor(list_id)
                continue
            self._list_id = list_id
            return list_id, index

    def _offer_of_token(self, authorization: str | None) -> OfferRecord:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ProtocolError("an access token (Authorization: Bearer) is needed", "invalid_token", 401)
        offer = self.store.offer_by_token(_digest(token.strip()))
        if offer is None or offer.state != TOKEN or offer.token_expires_at < self.now():
            raise ProtocolError("the access token is unknown, used or expired", "invalid_token", 401)
        return offer

    # Revocation (a staff action, or the service deleting a transfer).

    def revoke_subject(self, subject_ref: str) -> int:
        """Revoke every credential issued for ``subject_ref``; the number revoked."""
        issued = self.store.issued_for(subject_ref)
        for record in issued:
            self.store.set_status(record.list_id, record.index, INVALID)
        return len(issued)


def _one_proof(request: Json) -> object:
    proofs, legacy = request.get("proofs"), request.get("proof")
    if proofs is not None and legacy is not None:
        raise ProtocolError("give proofs or proof, not both", "invalid_credential_request")
    if isinstance(legacy, dict) and legacy.get("proof_type") == "jwt":
        return legacy.get("jwt")
    if isinstance(proofs, dict) and set(proofs) == {"jwt"} and isinstance(proofs["jwt"], list):
        if len(proofs["jwt"]) != 1:
            raise ProtocolError(
                "one proof per request: this issuer issues one credential at a time", "invalid_proof"
            )
        return proofs["jwt"][0]
    raise ProtocolError("the request carries no jwt proof of the holder's key", "invalid_proof")
