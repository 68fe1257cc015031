"""The SAML 2.0 service provider: signed AuthnRequests and checked Responses (pysaml2); single logout
is in ``saml_logout``.

pysaml2 decrypts and verifies signatures (with the ``xmlsec1`` program) against the identity
provider's keys from its checked metadata. Around it we check what it leaves open or lax: the
document's shape before it is read (size, no DTD, one assertion, every signature enveloped in the
element it signs, no repeated IDs, SHA-2 only), and after: the issuer, a signed assertion, the
audience, the bearer confirmation's recipient and ``InResponseTo``, and the time window. Replays are
refused by ``SamlStore``. Everything we send is signed with RSA-SHA256.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import logging
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from emrex.errors import EmrexError
from emrex.trust.algorithms import RSA_SHA256, SHA256
from emrex.web.auth import Person
from emrex.web.login.attributes import build_person
from emrex.web.login.saml_attributes import collect
from emrex.web.login.saml_metadata import (
    POST,
    REDIRECT,
    IdpMetadata,
    MetadataError,
    read_idp_metadata,
    sp_metadata,
)
from emrex.web.login.saml_xml import (
    DS,
    SAML,
    SAMLP,
    SamlXmlError,
    check_ids,
    check_load,
    check_signatures,
    qname,
)
from emrex.web.login.settings import LoginSettings, SamlSettings
from emrex.web.login.table import LoginConfigError
from emrex.xml import parse_untrusted

with warnings.catch_warnings():
    # pysaml2 names cipher modes that cryptography has deprecated (CFB); we never use them.
    warnings.simplefilter("ignore")
    import saml2
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

# pysaml2 logs whole SAML messages (names, identifiers) when it refuses one; we log our own reasons.
logging.getLogger("saml2").setLevel(logging.CRITICAL)
logger = logging.getLogger("emrex.web.login.saml")
STATUS_PREFIX = "urn:oasis:names:tc:SAML:2.0:status:"
SUCCESS = STATUS_PREFIX + "Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
# The answer to a request is refused once the request is this old.
REQUEST_LIFETIME = dt.timedelta(minutes=10)


class SamlError(EmrexError):
    """The identity provider's message cannot be used; the message says why, for the person."""


@dataclass(frozen=True)
class Outgoing:
    """Where to send the browser: a redirect (``fields`` empty) or a form post of ``fields``."""

    url: str
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LoginAnswer:
    person: Person
    request_id: str
    name_id: Mapping[str, str]  # what single logout names the person by
    session_index: str
    used_ids: tuple[str, ...]  # the response's and the assertion's, refused from now on
    used_until: dt.datetime


class ServiceProvider:
    """One per service process. The identity provider's metadata is read at start (a file) or when
    first needed (a URL), and again every ``metadata_refresh_minutes``; a failed refresh keeps the last
    good metadata until its ``validUntil``."""

    def __init__(self, settings: LoginSettings, *, transport: Any = None) -> None:
        if settings.saml is None:
            raise LoginConfigError("login.saml: the saml method needs a [saml] table")
        self.settings = settings
        self.config: SamlSettings = settings.saml
        self._transport = transport
        self._metadata_xml = service_provider_metadata(settings)  # checks the keys at start
        self._lock = threading.Lock()
        self._idp: IdpMetadata | None = None
        self._client: Any = None
        self._loaded = 0.0
        if not self.config.metadata_is_url:
            try:
                self.refresh()
            except MetadataError as error:
                raise LoginConfigError(f"login.saml.idp_metadata: {error}") from None

    # --- metadata ---------------------------------------------------------------------------

    def sp_metadata(self) -> bytes:
        return self._metadata_xml

    def refresh(self) -> IdpMetadata:
        idp = read_idp_metadata(self.config, transport=self._transport)
        client = self._make_client(idp)
        with self._lock:
            self._idp, self._client, self._loaded = idp, client, time.monotonic()
        return idp

    def current(self) -> tuple[IdpMetadata, Any]:
        """The identity provider's metadata and the pysaml2 client that knows it (MetadataError)."""
        with self._lock:
            idp, client, loaded = self._idp, self._client, self._loaded
        age = time.monotonic() - loaded
        if idp is not None and age < self.config.metadata_refresh_minutes * 60:
            return idp, client
        try:
            idp = self.refresh()
        except MetadataError as error:
            if idp is None or (idp.valid_until is not None and idp.valid_until <= dt.datetime.now(dt.UTC)):
                raise
            logger.warning("SAML metadata refresh failed, the last good metadata stays in use: %s", error)
            with self._lock:
                self._loaded = time.monotonic()
        with self._lock:
            return self._idp, self._client  # type: ignore[return-value]

    def _make_client(self, idp: IdpMetadata) -> Any:
        c = self.config
        encryption = c.encryption_key_file or c.key_file
        encryption_cert = c.encryption_certificate_file or c.certificate_file
        config = SPConfig()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config.load(
                {
                    "entityid": c.entity_id,
                    "key_file": str(c.key_file),
                    "cert_file": str(c.certificate_file),
                    "encryption_keypairs": [{"key_file": str(encryption), "cert_file": str(encryption_cert)}],
                    "xmlsec_binary": c.xmlsec_binary,
                    "signing_algorithm": RSA_SHA256,
                    "digest_algorithm": SHA256,
                    "accepted_time_diff": c.clock_skew_seconds,
                    "only_use_keys_in_metadata": True,
                    "allow_unknown_attributes": True,
                    "metadata": {"inline": [idp.entity_xml]},
                    "service": {
                        "sp": {
                            "endpoints": {
                                "assertion_consumer_service": [(c.acs_url, saml2.BINDING_HTTP_POST)],
                                "single_logout_service": [(c.slo_url, saml2.BINDING_HTTP_REDIRECT)],
                            },
                            "authn_requests_signed": True,
                            "logout_requests_signed": True,
                            "want_assertions_signed": True,
                            "want_response_signed": c.want_response_signed,
                            "allow_unsolicited": False,
                            "name_id_format": c.name_id_format,
                        }
                    },
                }
            )
            client = Saml2Client(config, identity_cache=_NoCache())
        client.sec.crypto = _xmlsec_backend(c.xmlsec_binary)
        return client

    # --- login ------------------------------------------------------------------------------

    def login_request(self) -> tuple[str, Outgoing]:
        """A signed AuthnRequest for the identity provider: (its id, where to send the browser)."""
        idp, client = self.current()
        binding = REDIRECT if REDIRECT in idp.sso else POST
        destination = idp.sso[binding]
        request_id, request = client.create_authn_request(
            destination,
            binding=saml2.BINDING_HTTP_POST,  # how the answer comes back
            nameid_format=self.config.name_id_format,
            sign=binding == POST,
            sign_alg=RSA_SHA256,
            digest_alg=SHA256,
        )
        return request_id, send(client, binding, str(request), destination, "SAMLRequest")

    def check_response(self, encoded: str, is_waiting: Callable[[str], bool]) -> LoginAnswer:
        """The person from a ``SAMLResponse`` form value, or ``SamlError`` saying why not.

        ``is_waiting(request_id)`` tells whether we sent that AuthnRequest and still wait for it.
        """
        idp, client = self.current()
        document = self._decode(encoded)
        root = self._pre_check(document, idp)
        request_id = str(root.get("InResponseTo"))
        if not is_waiting(request_id):
            raise SamlError(
                "this answer does not belong to a login started here, was used already, or came too late; "
                "please log in again"
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                response = client.parse_authn_request_response(
                    encoded,
                    saml2.BINDING_HTTP_POST,
                    outstanding={request_id: "/"},
                    conv_info={"checked_by": "emrex"},  # without it pysaml2 skips the recipient check
                )
        except Exception as error:  # pysaml2 raises many kinds; each becomes one sentence
            raise SamlError(_describe(error)) from None
        if response is None or response.assertion is None:
            raise SamlError("the identity provider's answer has no usable assertion")
        return self._post_check(response, root, idp, request_id)

    def _decode(self, encoded: str) -> bytes:
        limit = self.config.max_response_bytes
        if len(encoded) > limit * 4 // 3 + 8:
            raise SamlError(f"the identity provider's answer is larger than {limit} bytes")
        try:
            return base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            raise SamlError("the identity provider's answer is not base64") from None

    def _pre_check(self, document: bytes, idp: IdpMetadata) -> etree._Element:
        try:
            root = parse_untrusted(document, max_bytes=self.config.max_response_bytes).getroot()
        except EmrexError as error:
            raise SamlError(f"the identity provider's answer is not usable XML: {error}") from None
        if root.tag != qname(SAMLP, "Response"):
            raise SamlError("the message is not a SAML Response")
        try:
            check_load(root)
        except SamlXmlError as error:
            raise SamlError(f"the identity provider's answer is refused: {error}") from None
        _status(root)
        try:
            check_ids(root)
            check_signatures(root, {qname(SAMLP, "Response"), qname(SAML, "Assertion")})
        except SamlXmlError as error:
            raise SamlError(f"the identity provider's answer is refused: {error}") from None
        self._one_assertion(root)
        plain = root.find(qname(SAML, "Assertion"))
        if plain is not None and plain.find(qname(DS, "Signature")) is None:
            raise SamlError("the assertion is not signed; this service accepts signed assertions only")
        if self.config.require_encrypted_assertions and root.find(qname(SAML, "EncryptedAssertion")) is None:
            raise SamlError("the assertion must be encrypted (login.saml.require_encrypted_assertions)")
        if not root.get("InResponseTo"):
            raise SamlError("the answer names no login request (unsolicited answers are refused)")
        if root.get("Destination") != self.config.acs_url:
            raise SamlError("the answer is addressed to another service (its Destination is not our ACS)")
        issuer = root.find(qname(SAML, "Issuer"))
        if issuer is not None and (issuer.text or "").strip() != idp.entity_id:
            raise SamlError("the answer comes from another identity provider than the configured one")
        return root

    @staticmethod
    def _one_assertion(root: etree._Element) -> None:
        found = [*root.iter(qname(SAML, "Assertion")), *root.iter(qname(SAML, "EncryptedAssertion"))]
        if len(found) != 1 or found[0].getparent() is not root:
            raise SamlError("the answer must carry exactly one assertion, directly in the Response")

    def _post_check(
        self, response: Any, root: etree._Element, idp: IdpMetadata, request_id: str
    ) -> LoginAnswer:
        config = self.config
        if root.find(qname(SAML, "EncryptedAssertion")) is not None:
            # What pysaml2 decrypted gets the same structural checks as a plain answer.
            try:
                decrypted = parse_untrusted(str(response.xmlstr).encode("utf-8")).getroot()
                check_load(decrypted)
                check_ids(decrypted)
                check_signatures(decrypted, {qname(SAMLP, "Response"), qname(SAML, "Assertion")})
            except (EmrexError, SamlXmlError) as error:
                raise SamlError(f"the decrypted assertion is refused: {error}") from None
            found = list(decrypted.iter(qname(SAML, "Assertion")))
            wrapper = found[0].getparent() if len(found) == 1 else None
            if (
                wrapper is None
                or wrapper.tag != qname(SAML, "EncryptedAssertion")
                or wrapper.getparent() is not decrypted
            ):
                raise SamlError("the encrypted assertion must hold exactly one assertion")
        assertions = list(response.assertions or [response.assertion])
        assertion = response.assertion
        if len(assertions) != 1 or assertion.signature is None:
            raise SamlError("the answer must carry exactly one signed assertion")
        issuer = (assertion.issuer.text or "").strip() if assertion.issuer is not None else ""
        if issuer != idp.entity_id:
            raise SamlError("the assertion comes from another identity provider than the configured one")
        self._check_audience(assertion)
        used_until = self._check_confirmation(assertion, request_id)
        now = dt.datetime.now(dt.UTC)
        skew = dt.timedelta(seconds=config.clock_skew_seconds)
        for instant in (root.get("IssueInstant"), assertion.issue_instant):
            if _time(instant) > now + skew:
                raise SamlError("the answer was issued in the future (check the clocks of both servers)")
        values = collect(
            (attribute.name, [value.text for value in attribute.attribute_value])
            for statement in assertion.attribute_statement
            for attribute in statement.attribute
        )
        person = build_person(
            self.settings,
            values,
            attributes=config.attributes,
            identifiers=config.identifiers,
            birth_date_format=config.birth_date_format,
            required=config.required,
            source="saml",
        )
        name_id = response.name_id
        statements = assertion.authn_statement
        return LoginAnswer(
            person=person,
            request_id=request_id,
            name_id=_name_id(name_id) if name_id is not None else {},
            session_index=(statements[0].session_index or "") if statements else "",
            used_ids=(f"response:{root.get('ID')}", f"assertion:{issuer}:{assertion.id}"),
            used_until=used_until + skew,
        )

    def _check_audience(self, assertion: Any) -> None:
        conditions = assertion.conditions
        restrictions = conditions.audience_restriction if conditions is not None else []
        if not restrictions:
            raise SamlError("the assertion names no audience; it could be meant for any service")
        for restriction in restrictions:
            if self.config.entity_id not in [(a.text or "").strip() for a in restriction.audience]:
                raise SamlError("the assertion is meant for another service (its audience is not this one)")

    def _check_confirmation(self, assertion: Any, request_id: str) -> dt.datetime:
        subject = assertion.subject
        confirmations = [c for c in (subject.subject_confirmation if subject else []) if c.method == BEARER]
        if not confirmations:
            raise SamlError("the assertion has no bearer subject confirmation")
        until = None
        for confirmation in confirmations:
            data = confirmation.subject_confirmation_data
            if data is None or data.recipient != self.config.acs_url:
                raise SamlError("the assertion is meant for another recipient than this service")
            if data.in_response_to != request_id:
                raise SamlError("the assertion answers another login request (InResponseTo)")
            if not data.not_on_or_after:
                raise SamlError("the assertion has no end of validity (NotOnOrAfter)")
            end = _time(data.not_on_or_after)
            until = end if until is None else min(until, end)
        assert until is not None
        if until + dt.timedelta(seconds=self.config.clock_skew_seconds) <= dt.datetime.now(dt.UTC):
            raise SamlError("the answer has expired; please log in again")
        return until


def send(client: Any, binding: str, message: str, destination: str, field: str) -> Outgoing:
    """HTTP-POST: the message as a form field (signed inside); HTTP-Redirect: its signed query string."""
    if binding == POST:
        encoded = base64.b64encode(message.encode("utf-8")).decode("ascii")
        return Outgoing(destination, ((field, encoded),))
    info = client.apply_binding(
        saml2.BINDING_HTTP_REDIRECT, message, destination, relay_state="", sign=True, sigalg=RSA_SHA256
    )
    return Outgoing(dict(info["headers"])["Location"])


def service_provider_metadata(settings: LoginSettings) -> bytes:
    """Our SAML metadata, from the settings alone (no identity provider needed): what a federation
    registers. ``LoginConfigError`` when a key or certificate cannot be used."""
    config = settings.saml
    if config is None:
        raise LoginConfigError("login.saml: the saml method needs a [saml] table")
    certificate = _read_pair(config.key_file, config.certificate_file, "key_file")
    encryption = certificate
    if config.encryption_key_file and config.encryption_certificate_file:
        pair = (config.encryption_key_file, config.encryption_certificate_file)
        encryption = _read_pair(*pair, "encryption_key_file")
    extra = [rule.source for rule in settings.role_rules]
    return sp_metadata(config, certificate, encryption, extra)


def _xmlsec_backend(binary: str) -> Any:
    """pysaml2's xmlsec1 backend, asking the program's version once instead of twice per check."""
    from saml2.sigver import CryptoBackendXmlSec1

    class CachedVersion(CryptoBackendXmlSec1):  # type: ignore[misc]
        @functools.cached_property
        def version(self) -> str:
            return str(CryptoBackendXmlSec1.version.fget(self))

    return CachedVersion(binary)


class _NoCache:
    """pysaml2's client keeps every logged-in person in memory unless given a cache; we keep nothing."""

    def set(self, *args: object) -> None:
        pass

    def delete(self, *args: object) -> None:
        pass


def _read_pair(key_file: Path, certificate_file: Path, setting: str) -> str:
    """The certificate's PEM text, after checking that the key (RSA) belongs to it."""
    try:
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        pem = certificate_file.read_text(encoding="ascii")
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (OSError, ValueError, TypeError, UnicodeError) as error:
        raise LoginConfigError(
            f"login.saml.{setting}: the key or certificate cannot be read ({error})"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise LoginConfigError(f"login.saml.{setting}: SAML keys must be RSA (federations expect RSA-SHA256)")
    public = certificate.public_key()
    if (
        not isinstance(public, rsa.RSAPublicKey)
        or key.public_key().public_numbers() != public.public_numbers()
    ):
        raise LoginConfigError(f"login.saml.{setting}: the key does not belong to the certificate")
    return pem


def _status(root: etree._Element) -> None:
    """A refusal by the identity provider, named by its SAML status code (its free-text message is not
    shown: anyone can post an unsigned error answer)."""
    code = root.find(f"{qname(SAMLP, 'Status')}/{qname(SAMLP, 'StatusCode')}")
    if code is None or code.get("Value") == SUCCESS:
        return
    second = code.find(qname(SAMLP, "StatusCode"))
    value = (second if second is not None else code).get("Value") or ""
    name = value.rpartition(":")[2] if value.startswith(STATUS_PREFIX) else "an unknown status"
    raise SamlError(f"the identity provider did not log you in ({name[:40]})")


def _time(text: str | None) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise SamlError("the answer has a time that cannot be read") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _name_id(name_id: Any) -> dict[str, str]:
    found = {
        "text": name_id.text,
        "format": name_id.format,
        "name_qualifier": name_id.name_qualifier,
        "sp_name_qualifier": name_id.sp_name_qualifier,
    }
    return {k: str(v).strip() for k, v in found.items() if v}


def _describe(error: Exception) -> str:
    name = type(error).__name__
    text = str(error)
    if name in ("ResponseLifetimeExceed", "ToEarly"):
        return "the answer is not valid at this time (expired, or the clocks of the two servers differ)"
    if name in ("SignatureError", "IncorrectlySigned", "MissingKey", "CertificateError", "XmlsecError"):
        return "the answer's signature is not the identity provider's"
    if name == "UnsolicitedResponse" or "don't recall" in text:
        return "the assertion answers another login request (InResponseTo)"
    if "AudienceRestrictions" in text:
        return "the assertion is meant for another service (its audience is not this one)"
    if "recipient" in text.lower():
        return "the assertion is meant for another recipient than this service"
    if name in ("DecryptError", "DecryptionFailed"):
        return "the encrypted assertion cannot be decrypted with this service's key"
    if name == "StatusError" or name.startswith("Status"):
        return "the identity provider did not log you in"
    return f"the identity provider's answer cannot be used ({name})"
