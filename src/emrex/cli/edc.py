"""``emrex edc …``: seal a European Digital Credential (JAdES) and verify a sealed one."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes, write_output
from emrex.errors import InputTooLarge

if TYPE_CHECKING:
    from cryptography import x509

    from emrex.registry import Registry
    from emrex.seal import SealVerification


def register(commands: Any) -> None:
    edc = commands.add_parser("edc", help="seal European Digital Credentials (JAdES) and verify sealed ones")
    sub = edc.add_subparsers(title="edc commands", metavar="COMMAND")
    edc.set_defaults(handler=lambda args: _usage(edc))

    p = sub.add_parser(
        "seal",
        help="seal a JSON-LD credential: JAdES baseline B-B, as the EU's EDC tools make it",
        description="Exit status: 0 sealed, 1 a credential that cannot be sealed with this certificate, "
        "2 unreadable input, key or certificate.",
    )
    p.add_argument("file", help="the credential (JSON-LD); - for stdin")
    p.add_argument("--key", required=True, help="the sealing key: RSA (RS256, PS256) or EC P-256 (ES256)")
    p.add_argument(
        "--cert",
        required=True,
        help="its certificate (with an organizationIdentifier), then any CA certificates",
    )
    p.add_argument("--alg", choices=("RS256", "PS256", "ES256"), help="default: RS256 for RSA, ES256 for EC")
    p.add_argument(
        "--key-password-file", metavar="FILE", help="a file holding the password of an encrypted key"
    )
    p.add_argument("-o", "--output", help="where to write the sealed credential (default: stdout)")
    p.set_defaults(handler=_seal)

    p = sub.add_parser(
        "verify",
        help="check a sealed credential: who sealed it, intact or not, chain, issuer, validity",
        description="Exit status: 0 accepted, 1 refused (changed, untrusted, expired, not the issuer's seal, "
        "or not established), 2 unreadable input or usage.",
    )
    p.add_argument("file", help="the sealed credential (JAdES JSON); - for stdin")
    p.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="CERT",
        help="a trust anchor: a CA certificate, or a bundle (repeat for several); the EU trusted lists "
        "cannot be reached offline",
    )
    p.add_argument(
        "--registry",
        metavar="SOURCE",
        help="an EMREX registry for the signature of an embedded original ELMO",
    )
    p.add_argument(
        "--shapes-dir",
        metavar="DIR",
        help="the EDC shapes (emrex elm shapes fetch); default: $EMREX_ELM_SHAPES_DIR or the user's folder",
    )
    p.add_argument("--at", metavar="TIME", help="check validity at this ISO 8601 time (default: now)")
    p.add_argument("-o", "--output", help="write the sealed credential (exactly the sealed bytes) here")
    p.set_defaults(handler=_verify)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _seal(args: argparse.Namespace) -> int:
    from emrex.seal import Sealer, SealingError, SealUnreadable

    data = read_bytes(args.file)
    password = read_bytes(args.key_password_file).rstrip(b"\r\n") if args.key_password_file else None
    key_data, cert_data = read_bytes(args.key), read_bytes(args.cert)
    try:
        sealer = Sealer.from_pem(key_data, cert_data, password, algorithm=args.alg)
    except SealingError as exc:
        raise CliError(f"{args.key}, {args.cert}: {exc}", EXIT_USAGE) from None
    try:
        sealed = sealer.seal(data)
    except (SealUnreadable, InputTooLarge) as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    except SealingError as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_INVALID) from None
    write_output(sealed + b"\n", args.output)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from emrex.elm.edc import verify_edc
    from emrex.seal import SealBroken, SealPolicy, SealRefused, SealUnreadable

    policy = SealPolicy(trust=trust_anchors(args.trust), at=_moment(args.at) if args.at else None)
    registry = _registry(args.registry) if args.registry else None
    data = read_bytes(args.file)
    try:
        result = verify_edc(data, policy, shapes_dir=args.shapes_dir, registry=registry)
    except (SealUnreadable, InputTooLarge) as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    except SealBroken as exc:
        raise CliError(f"{args.file}: not intact: {exc}", EXIT_INVALID) from None
    except SealRefused as exc:
        raise CliError(f"{args.file}: seal refused: {exc}", EXIT_INVALID) from None
    print(_report(args.file, result))
    if args.output:
        write_output(result.payload, args.output)
    return EXIT_OK if result.accepted else EXIT_INVALID


def _report(path: str, result: SealVerification) -> str:
    from emrex.seal import Status
    from emrex.seal.result import SIGNATURE
    from emrex.trust.certs import printable

    verdict = {
        Status.PASSED: "accepted",
        Status.FAILED: "refused",
        Status.INDETERMINATE: "not accepted: that the seal is valid could not be established",
    }[result.verdict]
    when = (
        f"{result.signing_time:%Y-%m-%d %H:%M} UTC (the sealer's own claim)"
        if result.signing_time
        else "not given"
    )
    lines = [
        f"{path}: {verdict}",
        f"  sealed by:    {result.sealer}",
        f"  organisation: {result.organization_identifier or '(no organizationIdentifier)'}",
        f"  issued by:    {result.sealer_issuer}",
        f"  fingerprint:  SHA-256 {result.fingerprint}",
        f"  seal:         {result.algorithm}, JAdES {result.level} by its properties; signing time {when}",
    ]
    for check in result.checks:
        if check.status is Status.NOT_CHECKED:
            continue
        label = "intact" if check.name == SIGNATURE else check.name
        lines.append(f"  {label + ':':<22}{check.status}: {printable(check.summary)}")
    lines.append("  not checked:")
    lines.extend(f"    {check.name}: {printable(check.summary)}" for check in result.not_checked)
    lines.extend(f"  warning: {printable(warning)}" for warning in result.warnings)
    return "\n".join(lines)


def trust_anchors(paths: list[str]) -> tuple[x509.Certificate, ...]:
    from emrex.trust.certs import load_certificates
    from emrex.trust.errors import CertificateError

    anchors: list[x509.Certificate] = []
    for path in paths:
        try:
            anchors.extend(load_certificates(read_bytes(path)))
        except CertificateError as exc:
            raise CliError(f"{path}: {exc}", EXIT_USAGE) from None
    return tuple(anchors)


def _registry(source: str) -> Registry:
    from emrex.registry import RegistryError, load_registry

    try:
        return load_registry(source)
    except RegistryError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"--at {text!r} is not an ISO 8601 time like 2025-06-30 or 2025-06-30T12:00Z", EXIT_USAGE
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
