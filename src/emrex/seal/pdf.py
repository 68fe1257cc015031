"""PAdES seals of the PDF transcript (pyhanko): sealed so that any PDF validator can check it, and
checked here: who sealed it, whether the file changed since, and the chain to configured anchors.

A PAdES baseline B-B seal (CAdES detached, ``ETSI.CAdES.detached``, SHA-256) over the whole file.
Validation is offline: no CRL or OCSP is fetched and the EU trusted lists are not consulted.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.utils import CryptographyDeprecationWarning

from emrex.errors import InputTooLarge
from emrex.seal.errors import PdfNotSealed, PdfSealError, SealingError
from emrex.seal.properties import revocation_check, trusted_list_check
from emrex.seal.result import CHAIN, SIGNATURE, Check, Status
from emrex.seal.validity import check_certificate
from emrex.trust.certs import (
    SigningKey,
    fingerprint,
    load_certificates,
    load_signing_key,
    subject_text,
    validity_problem,
)
from emrex.trust.errors import CertificateError

MAX_PDF_BYTES = 32 * 1024 * 1024
FIELD_NAME = "EmrexSeal"
COVERAGE = "coverage"
# pyhanko logs a traceback when no path reaches an anchor; our result says it in one line instead.
logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # pyhanko imports DSA support
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import CertificateStore, SimpleCertificateStore


class _LoadedKeySigner(signers.SimpleSigner):
    """pyhanko's SimpleSigner loads the key from DER at every signature (~70 ms for RSA): use ours."""

    def __init__(
        self, key: SigningKey, signing_cert: Any, signing_key: Any, cert_registry: CertificateStore
    ) -> None:
        super().__init__(signing_cert=signing_cert, signing_key=signing_key, cert_registry=cert_registry)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        digest = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}.get(
            digest_algorithm
        )
        if digest is not None and mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), digest)
        if digest is not None and mechanism == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(digest))
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result


class PdfSealer:
    """A loaded key and certificate for PDF seals: load once, seal many transcripts."""

    def __init__(
        self, key: SigningKey, certificate: x509.Certificate, *, chain: Sequence[x509.Certificate] = ()
    ) -> None:
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
            raise SealingError(
                f"the private key does not belong to the certificate {subject_text(certificate)}"
            )
        self.certificate = certificate
        der_key = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        self._reserved = 8192 + 2 * sum(len(c.public_bytes(Encoding.DER)) for c in (certificate, *chain))
        self._signer = _LoadedKeySigner(
            key,
            signing_cert=_asn1(certificate),
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),  # type: ignore[no-untyped-call]
        )

    @classmethod
    def from_pem(cls, key_data: bytes, certificate_data: bytes, password: bytes | None = None) -> PdfSealer:
        try:
            key = load_signing_key(key_data, password)
            certificates = load_certificates(certificate_data)
        except CertificateError as exc:
            raise SealingError(str(exc)) from None
        return cls(key, certificates[0], chain=certificates[1:])

    @classmethod
    def from_files(
        cls, key_path: str | Path, certificate_path: str | Path, password: bytes | None = None
    ) -> PdfSealer:
        try:
            key_data, cert_data = Path(key_path).read_bytes(), Path(certificate_path).read_bytes()
        except OSError as exc:
            raise SealingError(f"{exc.filename}: cannot read ({exc.strerror})") from None
        return cls.from_pem(key_data, cert_data, password)

    def seal(self, pdf: bytes, *, reason: str = "Transcript sealed by its issuer") -> bytes:
        """The PDF with a PAdES seal added as an incremental update (the original bytes stay as they are)."""
        problem = validity_problem(self.certificate, dt.datetime.now(dt.UTC))
        if problem:
            raise SealingError(f"the seal certificate {subject_text(self.certificate)} is {problem}")
        _bounded(pdf)
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
        )
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            output: io.BytesIO = signers.sign_pdf(
                writer, meta, signer=self._signer, bytes_reserved=self._reserved
            )
        except Exception as exc:  # pyhanko raises many kinds for damaged or unusual files
            raise PdfSealError(f"the PDF cannot be sealed ({_reason(exc)})") from None
        return output.getvalue()


@dataclass(frozen=True)
class PdfSealVerification:
    """The first seal of a PDF: who made it, whether the file is unchanged since, and how far it checked."""

    certificate: x509.Certificate
    signing_time: dt.datetime | None  # as the sealer reports it
    checks: tuple[Check, ...]
    signatures: int = 1  # how many the file carries; the first is the one verified
    warnings: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> Status:
        decisive = [check.status for check in self.checks if check.decisive]
        if Status.FAILED in decisive:
            return Status.FAILED
        return Status.INDETERMINATE if Status.INDETERMINATE in decisive else Status.PASSED

    @property
    def accepted(self) -> bool:
        return self.verdict is Status.PASSED

    @property
    def intact(self) -> bool:
        return all(self.check(name).status is Status.PASSED for name in (SIGNATURE, COVERAGE))

    def check(self, name: str) -> Check:
        return next(found for found in self.checks if found.name == name)

    @property
    def sealer(self) -> str:
        return subject_text(self.certificate)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def verify_pdf_seal(
    pdf: bytes, *, trust: Sequence[x509.Certificate] = (), at: dt.datetime | None = None
) -> PdfSealVerification:
    """Check the first seal of ``pdf``; PdfSealError when it has none or cannot be read."""
    _bounded(pdf)
    if not is_pdf(pdf):
        raise PdfSealError("not a PDF file")
    moment = at or dt.datetime.now(dt.UTC)
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception as exc:
        raise PdfSealError(f"the PDF cannot be read ({_reason(exc)})") from None
    if not signatures:
        raise PdfNotSealed("the PDF carries no seal or signature")
    context = ValidationContext(
        trust_roots=[_asn1(c) for c in trust],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )
    try:
        status = validate_pdf_signature(signatures[0], context)
    except Exception as exc:
        raise PdfSealError(f"the seal of the PDF cannot be read ({_reason(exc)})") from None
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    signing_time = status.signer_reported_dt
    checks = (
        _signature(status, certificate),
        _coverage(status),
        _chain(status, bool(trust)),
        trusted_list_check(),
        check_certificate(certificate, moment, signing_time),
        revocation_check(()),
    )
    warnings = (
        ()
        if len(signatures) == 1
        else (f"the PDF carries {len(signatures)} signatures; the first was checked",)
    )
    return PdfSealVerification(certificate, signing_time, checks, len(signatures), warnings)


def _signature(status: object, certificate: x509.Certificate) -> Check:
    if getattr(status, "intact", False) and getattr(status, "valid", False):
        return Check(SIGNATURE, Status.PASSED, f"the signature of {subject_text(certificate)} verifies")
    if not getattr(status, "intact", False):
        return Check(SIGNATURE, Status.FAILED, "the signed bytes of the PDF were changed after sealing")
    return Check(SIGNATURE, Status.FAILED, "the signature value does not match the seal certificate")


def _coverage(status: object) -> Check:
    if getattr(status, "coverage", None) == SignatureCoverageLevel.ENTIRE_FILE:
        return Check(COVERAGE, Status.PASSED, "the seal covers the whole file")
    return Check(COVERAGE, Status.FAILED, "content was added to the PDF after it was sealed")


def _chain(status: object, anchored: bool) -> Check:
    if not anchored:
        return Check(
            CHAIN,
            Status.INDETERMINATE,
            "no trust anchor is configured, so who stands behind the seal certificate is not established",
        )
    if getattr(status, "trusted", False):
        return Check(CHAIN, Status.PASSED, "leads to a configured trust anchor")
    return Check(CHAIN, Status.FAILED, "the seal certificate does not lead to a trusted anchor")


def _bounded(pdf: bytes) -> None:
    if len(pdf) > MAX_PDF_BYTES:
        raise InputTooLarge(f"the PDF is {len(pdf)} bytes, more than the limit of {MAX_PDF_BYTES}")


def _asn1(certificate: x509.Certificate) -> object:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
