"""``emrex keys …``: a local CA, EMP signing keys and certificates (or CSRs), and a look at certificates."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes

if TYPE_CHECKING:
    from cryptography import x509

EXPIRY_WARNING_DAYS = 60


def register(commands: Any) -> None:
    keys = commands.add_parser("keys", help="keys and certificates: a local CA, EMP signing keys, inspection")
    sub = keys.add_subparsers(title="keys commands", metavar="COMMAND")
    keys.set_defaults(handler=lambda args: _usage(keys))

    p = sub.add_parser("ca", help="create a certificate authority for a demo or test network")
    p.add_argument("--out", required=True, help="folder for ca-key.pem (owner-only) and ca-cert.pem")
    p.add_argument("--cn", default="EMREX demo CA", help="the CA's common name (default: EMREX demo CA)")
    p.add_argument("--days", type=int, default=3650, help="validity in days (default 3650)")
    p.add_argument("--bits", type=int, choices=(2048, 3072), default=3072, help="RSA key size (default 3072)")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(handler=_ca)

    p = sub.add_parser("new", help="a signing key with a certificate from --ca, or a CSR for a real CA")
    p.add_argument("--cn", required=True, help="common name, e.g. the EMP's host name")
    p.add_argument("--out", required=True, help="folder for key.pem (owner-only) and cert.pem or csr.pem")
    p.add_argument(
        "--ca", metavar="DIR", help="a folder made by 'emrex keys ca'; without it a CSR is written"
    )
    p.add_argument("--days", type=int, help="certificate validity in days (default 365; only with --ca)")
    p.add_argument("--bits", type=int, choices=(2048, 3072), default=2048, help="RSA key size (default 2048)")
    p.add_argument(
        "--ec", action="store_true", help="an EC P-256 key (seals with ES256) instead of RSA; not for ELMO"
    )
    p.add_argument("--org", help="organization name in the subject")
    p.add_argument(
        "--org-id",
        metavar="ID",
        help="organizationIdentifier in ETSI form (e.g. NTRSE-2021001234): ties EDC seals to their issuer",
    )
    p.add_argument("--country", help="two-letter country code in the subject")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(handler=_new)

    p = sub.add_parser("show", help="subject, issuer, validity, fingerprint and key size of a certificate")
    p.add_argument("file", help="a certificate (PEM, DER or base64; a PEM bundle shows each), a CSR or a key")
    p.set_defaults(handler=_show)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _ca(args: argparse.Namespace) -> int:
    from emrex.trust import ca, keys
    from emrex.trust.certs import fingerprint
    from emrex.trust.errors import CertificateError

    try:
        authority = ca.make_ca(args.cn, days=args.days, bits=args.bits)
        written = keys.save_ca(args.out, authority, force=args.force)
    except CertificateError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    print(f"CA key:         {written.key}")
    print(f"CA certificate: {written.public}")
    print(f"fingerprint:    SHA-256 {fingerprint(authority.certificate)}")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from emrex.trust.errors import CertificateError

    try:
        return _make_key(args)
    except CertificateError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def _make_key(args: argparse.Namespace) -> int:
    from emrex.trust import ca, keys
    from emrex.trust.certs import fingerprint

    if args.ca is None:
        if args.days is not None:
            raise CliError("--days needs --ca: for a CSR the real CA decides the validity", EXIT_USAGE)
        key = ca.new_ec_key() if args.ec else ca.new_key(args.bits)
        csr = ca.make_csr(
            key, args.cn, organization=args.org, country=args.country, organization_identifier=args.org_id
        )
        written = keys.save_request(args.out, key, csr, force=args.force)
        print(f"key:     {written.key}")
        print(f"request: {written.public}  (send it to a certificate authority)")
        return EXIT_OK
    authority = keys.load_ca(args.ca)
    key = ca.new_ec_key() if args.ec else ca.new_key(args.bits)
    certificate = ca.certify(
        authority,
        key.public_key(),
        args.cn,
        days=365 if args.days is None else args.days,
        organization=args.org,
        country=args.country,
        organization_identifier=args.org_id,
    )
    written = keys.save_key_and_certificate(args.out, key, certificate, force=args.force)
    print(f"key:         {written.key}")
    print(f"certificate: {written.public}")
    print(f"fingerprint: SHA-256 {fingerprint(certificate)}")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from cryptography import x509 as x509_module
    from cryptography.hazmat.primitives.asymmetric import rsa

    from emrex.trust.certs import load_certificates, load_signing_key
    from emrex.trust.errors import CertificateError

    data = read_bytes(args.file)
    if b"PRIVATE KEY-----" in data:
        try:
            key = load_signing_key(data)
        except CertificateError as exc:
            raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
        kind = (
            f"RSA private key, {key.key_size} bits"
            if isinstance(key, rsa.RSAPrivateKey)
            else (f"EC private key, curve {key.curve.name}")
        )
        print(f"{args.file}: {kind} (keep it secret: do not publish this file)")
        return EXIT_OK
    if b"CERTIFICATE REQUEST-----" in data:
        try:
            csr = x509_module.load_pem_x509_csr(data)
        except ValueError:
            raise CliError(f"{args.file}: not a valid certificate signing request", EXIT_USAGE) from None
        size = getattr(csr.public_key(), "key_size", "?")
        print(f"{args.file}: certificate signing request for {csr.subject.rfc4514_string()}, {size}-bit key")
        return EXIT_OK
    try:
        certificates = load_certificates(data)
    except CertificateError as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    now = dt.datetime.now(dt.UTC)
    print("\n\n".join(_describe(cert, now) for cert in certificates))
    return EXIT_OK


def _describe(cert: x509.Certificate, now: dt.datetime) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from emrex.trust.certs import fingerprint, is_self_signed, issuer_text, key_size, subject_text

    size = key_size(cert)
    kind = "RSA" if isinstance(cert.public_key(), rsa.RSAPublicKey) else type(cert.public_key()).__name__
    lines = [
        f"subject:      {subject_text(cert)}",
        f"issuer:       {issuer_text(cert)}",
        f"serial:       {cert.serial_number:x}",
        f"valid from:   {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
        f"valid until:  {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
        f"fingerprint:  SHA-256 {fingerprint(cert)}",
        f"key:          {kind} {size} bits" if size else f"key:          {kind}",
    ]
    left = cert.not_valid_after_utc - now
    if left.total_seconds() < 0:
        ago = (now - cert.not_valid_after_utc).days
        lines.append(f"warning: expired {ago} days ago; EMREX clients will refuse its signatures")
    elif cert.not_valid_before_utc > now:
        lines.append("warning: not valid yet")
    elif left.days < EXPIRY_WARNING_DAYS:
        lines.append(f"warning: expires in {left.days} days; publish its successor in the registry now")
    if is_self_signed(cert):
        lines.append("warning: self-signed; the EMREX guides ask for a certificate from a trusted CA")
    if size is not None and size < 2048:
        lines.append(f"warning: a {size}-bit key is too weak; use 2048 bits or more")
    return "\n".join(lines)
