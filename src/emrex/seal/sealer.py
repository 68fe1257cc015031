"""Sealing an EDC credential: a JAdES baseline B-B seal, as the EU's EDC tools make it.

The payload is the credential as compact JSON (no blanks, letters as they are), not base64url
(``b64: false``); the output is the JWS JSON serialization with one signature. RSA keys seal with
RS256 (or PS256 when asked), EC P-256 keys with ES256.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from emrex.seal import jades
from emrex.seal.binding import check_binding
from emrex.seal.errors import SealingError
from emrex.seal.jsondoc import dump_compact, load_json
from emrex.seal.result import Status
from emrex.trust.certs import SigningKey, load_certificates, load_signing_key, subject_text, validity_problem
from emrex.trust.errors import CertificateError

MAX_CREDENTIAL_BYTES = 16 * 1024 * 1024


class Sealer:
    """A loaded key and its certificate (and chain): load once, seal many credentials."""

    def __init__(
        self,
        key: SigningKey,
        certificate: x509.Certificate,
        *,
        chain: Sequence[x509.Certificate] = (),
        algorithm: str | None = None,
    ) -> None:
        self.algorithm = algorithm or _default_algorithm(key)
        if self.algorithm not in jades.SIGNING_ALGORITHMS:
            raise SealingError(
                f"seals are made with {', '.join(jades.SIGNING_ALGORITHMS)}, not {self.algorithm}"
            )
        _check_key(key, certificate, self.algorithm)
        self.key = key
        self.certificate = certificate
        self.chain = tuple(chain)
        self._jwk = RSAKey.import_key(key) if isinstance(key, rsa.RSAPrivateKey) else ECKey.import_key(key)
        self._registry = jades.registry(
            frozenset({self.algorithm}), max_header_bytes=1024 * 1024, max_payload_bytes=MAX_CREDENTIAL_BYTES
        )

    @classmethod
    def from_pem(
        cls,
        key_data: bytes,
        certificate_data: bytes,
        password: bytes | None = None,
        *,
        algorithm: str | None = None,
    ) -> Sealer:
        """The key, and certificates: the seal certificate first, then any CA certificates of its chain."""
        try:
            key = load_signing_key(key_data, password)
            certificates = load_certificates(certificate_data)
        except CertificateError as exc:
            raise SealingError(str(exc)) from None
        return cls(key, certificates[0], chain=certificates[1:], algorithm=algorithm)

    @classmethod
    def from_files(
        cls, key_path: str | Path, certificate_path: str | Path, password: bytes | None = None
    ) -> Sealer:
        try:
            key_data, cert_data = Path(key_path).read_bytes(), Path(certificate_path).read_bytes()
        except OSError as exc:
            raise SealingError(f"{exc.filename}: cannot read ({exc.strerror})") from None
        return cls.from_pem(key_data, cert_data, password)

    def seal(
        self,
        credential: bytes | str | Mapping[str, Any],
        *,
        signing_time: dt.datetime | None = None,
        check_issuer: bool = True,
    ) -> bytes:
        """The JAdES JSON (UTF-8) sealing ``credential`` (JSON text, or the parsed object).

        Refused: something that is not a credential or is sealed already, a certificate not valid at
        ``signing_time`` (default now), and, unless ``check_issuer`` is off, a credential whose issuer
        is not the organisation the certificate names (see ``emrex.seal.binding``).
        """
        document = _credential(credential)
        moment = (signing_time or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        if moment.tzinfo is None:
            raise ValueError("the signing time needs a time zone")
        problem = validity_problem(self.certificate, moment)
        if problem:
            raise SealingError(f"the seal certificate {subject_text(self.certificate)} is {problem}")
        if check_issuer:
            binding = check_binding(self.certificate, document)
            if binding.status is not Status.PASSED:
                raise SealingError(f"this certificate cannot seal the credential: {binding.summary}")
        header = jades.protected_header(self.algorithm, (self.certificate, *self.chain), moment)
        payload = dump_compact(document).encode("utf-8")
        try:
            sealed = jws.serialize_json(
                {"protected": header},
                payload,
                self._jwk,
                algorithms=[self.algorithm],
                registry=self._registry,
            )
        except JoseError as exc:  # a bug of ours, or a key joserfc will not use
            raise SealingError(f"the seal could not be made ({exc.description or exc.error})") from None
        general = {
            "payload": sealed["payload"],
            "signatures": [{k: v for k, v in sealed.items() if k != "payload"}],
        }
        return json.dumps(general, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal_credential(
    credential: bytes | str | Mapping[str, Any], sealer: Sealer, *, signing_time: dt.datetime | None = None
) -> bytes:
    return sealer.seal(credential, signing_time=signing_time)


def _credential(credential: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(credential, bytes | str):
        document = load_json(credential, what="the credential", max_bytes=MAX_CREDENTIAL_BYTES)
    else:
        document = credential
    if not isinstance(document, Mapping):
        raise SealingError("the credential is not a JSON object")
    if "signatures" in document and "payload" in document:
        raise SealingError("the credential is sealed already")
    types = document.get("type")
    if not (types == "VerifiableCredential" or (isinstance(types, list) and "VerifiableCredential" in types)):
        raise SealingError("not a credential: its type does not include VerifiableCredential")
    return document


def _default_algorithm(key: SigningKey) -> str:
    return "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"


def _check_key(key: SigningKey, certificate: x509.Certificate, algorithm: str) -> None:
    if algorithm == "ES256":
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise SealingError("ES256 seals need an EC P-256 key")
    elif not isinstance(key, rsa.RSAPrivateKey):
        raise SealingError(f"{algorithm} seals need an RSA key")
    elif key.key_size < 2048:
        raise SealingError(f"an RSA key of {key.key_size} bits is too weak to seal; use 2048 bits or more")
    if key.public_key().public_numbers() != _numbers(certificate):
        raise SealingError(f"the private key does not belong to the certificate {subject_text(certificate)}")


def _numbers(certificate: x509.Certificate) -> object:
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return public.public_numbers()
    return None
