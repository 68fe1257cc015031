"""``emrex sign`` and ``emrex verify``: XML signatures of ELMO documents."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes, read_document, write_output
from emrex.errors import InputTooLarge, NotWellFormed, XmlError

if TYPE_CHECKING:
    from cryptography import x509

    from emrex.registry import Emp


def register(commands: Any) -> None:
    p = commands.add_parser("sign", help="sign an ELMO document (enveloped XML-DSig, RSA-SHA256)")
    p.add_argument("file", help="the ELMO document, as XML or in the transport form; - for stdin")
    p.add_argument("--key", required=True, help="the EMP's RSA private key (PEM or DER)")
    p.add_argument("--cert", required=True, help="the certificate of that key, as published in the registry")
    p.add_argument(
        "--key-password-file", metavar="FILE", help="a file holding the password of an encrypted key"
    )
    p.add_argument("-o", "--output", help="where to write the signed document (default: stdout)")
    p.add_argument(
        "--transport", action="store_true", help="write the elmo form value base64(gzip(XML)) instead of XML"
    )
    p.add_argument("--replace", action="store_true", help="replace an existing signature instead of refusing")
    p.set_defaults(handler=_sign)

    p = commands.add_parser(
        "verify", help="check the signature of an ELMO document against trusted certificates"
    )
    p.add_argument("file", help="the ELMO document, as XML or in the transport form; - for stdin")
    trust = p.add_mutually_exclusive_group(required=True)
    trust.add_argument(
        "--cert", action="append", metavar="CERT", help="a trusted certificate file (repeat for key rotation)"
    )
    trust.add_argument(
        "--registry", metavar="SOURCE", help="a registry (file or URL) to take certificates from"
    )
    p.add_argument("--emp", metavar="URL_OR_ACRONYM", help="the EMP in --registry whose certificates count")
    p.add_argument(
        "--sha1", choices=("allow", "reject"), default="allow", help="accept SHA-1 (default: allow, warn)"
    )
    p.add_argument(
        "--at", metavar="TIME", help="check certificate validity at this ISO 8601 time (default: now)"
    )
    p.add_argument("-o", "--output", help="write the signed content (canonical XML, no signature) here")
    p.set_defaults(handler=_verify)


def _sign(args: argparse.Namespace) -> int:
    from emrex.elmo import codec
    from emrex.trust.certs import load_certificate, load_private_key
    from emrex.trust.errors import CertificateError
    from emrex.trust.signer import Signer

    document = read_document(args.file)
    password = read_bytes(args.key_password_file).rstrip(b"\r\n") if args.key_password_file else None
    try:
        key = load_private_key(read_bytes(args.key), password)
    except CertificateError as exc:
        raise CliError(f"{args.key}: {exc}", EXIT_USAGE) from None
    try:
        signer = Signer(key, load_certificate(read_bytes(args.cert)))
    except CertificateError as exc:
        raise CliError(f"{args.cert}: {exc}", EXIT_USAGE) from None
    try:
        signed = signer.sign(document, replace=args.replace)
    except (NotWellFormed, InputTooLarge) as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    except XmlError as exc:  # readable, refused (a DOCTYPE)
        raise CliError(f"{args.file}: {exc}", EXIT_INVALID) from None
    write_output(codec.encode(signed).encode("ascii") + b"\n" if args.transport else signed, args.output)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from emrex.trust.certs import fingerprint, issuer_text
    from emrex.trust.errors import SignatureError
    from emrex.trust.policy import VerifyPolicy
    from emrex.trust.verifier import verify

    if args.cert and args.emp:
        raise CliError("--emp goes with --registry, not with --cert", EXIT_USAGE)
    if args.registry and not args.emp:
        raise CliError("--registry needs --emp (the URL or acronym of the EMP that signed)", EXIT_USAGE)
    policy = VerifyPolicy(sha1=args.sha1, at=_moment(args.at) if args.at else None)
    trusted, emp = _trusted(args)
    whose = f" for {emp.acronym} ({emp.url})" if emp is not None else ""
    document = read_document(args.file)
    try:
        result = verify(document, trusted, policy)
    except (NotWellFormed, InputTooLarge) as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    except XmlError as exc:  # readable, refused (a DOCTYPE, too many namespaces)
        raise CliError(f"{args.file}: {exc}", EXIT_INVALID) from None
    except SignatureError as exc:
        raise CliError(f"{args.file}: signature not accepted: {exc}", EXIT_INVALID) from None
    cert = result.certificate
    lines = [
        f"{args.file}: signature valid{whose}",
        f"  signed by:    {result.signer}",
        f"  issued by:    {issuer_text(cert)}",
        f"  fingerprint:  SHA-256 {fingerprint(cert)}",
        f"  valid until:  {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
        f"  algorithms:   {result.algorithms.describe()}",
        *(f"  warning: {warning}" for warning in result.warnings),
    ]
    problems = _issuer_problems(result.signed_xml, emp) if emp is not None else []
    if emp is not None:
        which = "not all listed" if problems else "listed"
        lines.append(f"  issuers:      {which} for {emp.acronym} in the registry")
    print("\n".join(lines))
    if args.output:
        write_output(result.signed_xml, args.output)
    if problems:
        raise CliError(f"{args.file}: " + "; ".join(problems), EXIT_INVALID)
    return EXIT_OK


def _issuer_problems(signed_xml: bytes, emp: Emp) -> list[str]:
    """The EMC sends such results to staff review: an issuer the registry does not list for the EMP."""
    from emrex.elmo.errors import ElmoError
    from emrex.elmo.reader import read_elmo
    from emrex.registry.issuers import issuer_problems

    try:
        reports = read_elmo(signed_xml, max_bytes=len(signed_xml) + 1).elmo.reports
    except (ElmoError, XmlError, InputTooLarge) as exc:
        return [f"the issuers cannot be compared with the registry: {exc}"]
    return list(issuer_problems(reports, emp))


def _trusted(args: argparse.Namespace) -> tuple[list[x509.Certificate], Emp | None]:
    from emrex.trust.certs import load_certificates
    from emrex.trust.errors import CertificateError

    if args.cert:
        trusted: list[x509.Certificate] = []
        for path in args.cert:
            try:
                trusted.extend(load_certificates(read_bytes(path)))
            except CertificateError as exc:
                raise CliError(f"{path}: {exc}", EXIT_USAGE) from None
        return trusted, None
    from emrex.registry import RegistryError, load_registry

    try:
        emp = load_registry(args.registry).find_emp(args.emp)
    except RegistryError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if not emp.certificates:
        raise CliError(f"the registry lists no certificate for {emp.acronym} ({emp.url})", EXIT_INVALID)
    return list(emp.certificates), emp


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"--at {text!r} is not an ISO 8601 time like 2025-06-30 or 2025-06-30T12:00Z", EXIT_USAGE
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
