"""Key and certificate files: written once, private keys owner-only from the moment they exist."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emrex.trust.ca import Issued
from emrex.trust.certs import SigningKey, load_certificate, load_private_key
from emrex.trust.errors import KeyFileError

CA_KEY, CA_CERT = "ca-key.pem", "ca-cert.pem"
KEY, CERT, CSR = "key.pem", "cert.pem", "csr.pem"


@dataclass(frozen=True)
class Written:
    key: Path
    public: Path  # the certificate, or the CSR


def private_key_pem(key: SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def save_ca(directory: str | Path, ca: Issued, *, force: bool = False) -> Written:
    folder = Path(directory)
    return _write_pair(folder / CA_KEY, ca.key, folder / CA_CERT, certificate_pem(ca.certificate), force)


def load_ca(directory: str | Path) -> Issued:
    folder = Path(directory)
    key = load_private_key(_read(folder / CA_KEY))
    certificate = load_certificate(_read(folder / CA_CERT))
    if key.public_key().public_numbers() != _numbers(certificate):
        raise KeyFileError(f"{folder / CA_KEY} does not belong to {folder / CA_CERT}")
    return Issued(key, certificate)


def save_issued(directory: str | Path, issued: Issued, *, force: bool = False) -> Written:
    folder = Path(directory)
    return _write_pair(folder / KEY, issued.key, folder / CERT, certificate_pem(issued.certificate), force)


def save_key_and_certificate(
    directory: str | Path, key: SigningKey, certificate: x509.Certificate, *, force: bool = False
) -> Written:
    """key.pem and cert.pem in ``directory``, for a key of any kind that can seal (RSA or EC)."""
    folder = Path(directory)
    return _write_pair(folder / KEY, key, folder / CERT, certificate_pem(certificate), force)


def save_request(
    directory: str | Path, key: SigningKey, csr: x509.CertificateSigningRequest, *, force: bool = False
) -> Written:
    folder = Path(directory)
    return _write_pair(folder / KEY, key, folder / CSR, csr.public_bytes(serialization.Encoding.PEM), force)


def _write_pair(key_path: Path, key: SigningKey, public_path: Path, public: bytes, force: bool) -> Written:
    _check_free((key_path, public_path), force)
    try:
        key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KeyFileError(f"{key_path.parent}: cannot create the folder ({exc.strerror})") from None
    _write(key_path, private_key_pem(key), 0o600, force)
    try:
        _write(public_path, public, 0o644, force)
    except KeyFileError:
        key_path.unlink(missing_ok=True)  # nothing half-done: a key without its certificate is useless
        raise
    return Written(key_path, public_path)


def _check_free(paths: Sequence[Path], force: bool) -> None:
    for path in paths:
        if path.is_dir():
            raise KeyFileError(f"{path} is a directory")
        if path.exists() and not force:
            raise KeyFileError(f"{path} exists already; refusing to overwrite it (use --force to replace it)")


def _write(path: Path, data: bytes, mode: int, force: bool) -> None:
    if force and (path.exists() or path.is_symlink()):
        # Unlink rather than truncate: an existing file would keep its old (perhaps wider) permissions.
        path.unlink()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    except FileExistsError:
        raise KeyFileError(f"{path} exists already; refusing to overwrite it") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such file (is this a CA folder made by 'emrex keys ca'?)") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read ({exc.strerror})") from None


def _numbers(certificate: x509.Certificate) -> rsa.RSAPublicNumbers | None:
    public = certificate.public_key()
    return public.public_numbers() if isinstance(public, rsa.RSAPublicKey) else None
