"""``emrex wallet …``: ELM credentials for EU Digital Identity wallets (SD-JWT VC), offline and over
OpenID4VCI / OpenID4VP with a small holder that keeps its key and credentials in a folder."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from cryptography.x509.oid import NameOID

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.elm import _sealer_arguments
from emrex.cli.io import read_bytes, write_output

WALLET_ENV = "EMREX_WALLET_DIR"


def register(commands: Any) -> None:
    wallet = commands.add_parser("wallet", help="ELM credentials for EU Digital Identity wallets (SD-JWT VC)")
    sub = wallet.add_subparsers(title="wallet commands", metavar="COMMAND")

    p = sub.add_parser(
        "issue",
        help="an SD-JWT VC of an ELM credential, offline, bound to a holder's key",
        description="Every course is its own disclosure; the learner's personal data is disclosable.",
    )
    p.add_argument(
        "file",
        help="the ELM credential (JSON, or sealed), or an ELMO document (XML or transport form, converted "
        "with the original embedded); - for stdin",
    )
    p.add_argument("--key", required=True, help="the issuer's private key (PEM or JWK; EC P-256 or RSA)")
    p.add_argument(
        "--cert", required=True, action="append", help="its certificate, then any intermediates (PEM)"
    )
    p.add_argument("--holder-key", required=True, metavar="JWK", help="the holder's public key (a JWK file)")
    p.add_argument("--issuer", help="the iss claim (default: https:// and the certificate's DNS name)")
    p.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
    p.add_argument("-o", "--output", help="where to write the credential (default: stdout)")
    _sealer_arguments(p)
    p.set_defaults(handler=_issue)

    p = sub.add_parser(
        "verify",
        help="check a presentation (or a plain credential) and show what it discloses",
        description="Exit status: 0 valid, 1 refused (one line says why), 2 unreadable input or usage.",
    )
    p.add_argument("file", help="the presentation or credential (compact SD-JWT); - for stdin")
    p.add_argument(
        "--trust", required=True, action="append", metavar="CERT", help="a trusted CA or issuer certificate"
    )
    p.add_argument("--aud", help="the audience the key binding must name (requires the key binding)")
    p.add_argument("--nonce", help="the nonce the key binding must carry (requires the key binding)")
    p.add_argument(
        "--offline", action="store_true", help="do not fetch the status list (status: not checked)"
    )
    p.add_argument("--json", action="store_true", help="print what was verified as JSON")
    p.set_defaults(handler=_verify)

    p = sub.add_parser("accept-offer", help="take a credential offer into the holder's folder (OpenID4VCI)")
    p.add_argument("url", help="the offer link (openid-credential-offer://…)")
    p.add_argument("--tx-code", help="the transaction code shown with the offer")
    _holder_options(p)
    p.set_defaults(handler=_accept)

    p = sub.add_parser("present", help="answer a presentation request with a held credential (OpenID4VP)")
    p.add_argument("url", help="the request link (openid4vp://…)")
    p.add_argument(
        "--credential", metavar="ID", help="present this credential (see list; default: the newest)"
    )
    p.add_argument(
        "--course", type=int, action="append", metavar="N", help="show only course N (see list); repeat"
    )
    _holder_options(p)
    p.set_defaults(handler=_present)

    p = sub.add_parser("list", help="the credentials in the holder's folder")
    p.add_argument("--json", action="store_true", help="as JSON")
    _holder_options(p)
    p.set_defaults(handler=_list)


def _holder_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wallet", metavar="DIR", help=f"the holder's folder (default: ${WALLET_ENV} or ./emrex-wallet)"
    )
    p.add_argument("--trust", action="append", metavar="CERT", help="check the peer against this certificate")


def read_elm(path: str, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """The ELM credential in ``path``: ELM JSON as it is, a sealed one's payload (its seal is not checked
    here), or ELMO (XML or the transport form) converted with its original embedded (Converted)."""
    from emrex.elm import ElmError, Kind, convert, read_document
    from emrex.elmo.errors import ElmoError
    from emrex.elmo.reader import read_elmo

    data = read_bytes(path)
    try:
        document = read_document(data)
        if document.kind is not Kind.ELMO:
            assert document.credential is not None
            return dict(document.credential)
        assert document.xml is not None
        read_elmo(document.xml)  # an unreadable document is said so before anything else
        sealer = _elm_sealer(args)
        conversion = convert(data, to="elm", sealer=sealer)
    except (ElmError, ElmoError) as exc:
        raise CliError(f"{path}: {exc}", EXIT_USAGE) from None
    assert conversion.elm is not None
    return conversion.elm.credential


def _elm_sealer(args: argparse.Namespace | None) -> Any:
    """Who issues the ELM made from ELMO: the --sealer-* options, else the issuer certificate's
    organisation name, country and organizationIdentifier."""
    from emrex.cli.elm import sealer_from
    from emrex.elm import Sealer
    from emrex.trust.certs import load_certificates
    from emrex.trust.errors import CertificateError
    from emrex.trust.orgid import organization_identifier_of

    explicit = sealer_from(args) if args is not None and hasattr(args, "sealer_name") else None
    if explicit is not None or args is None:
        return explicit
    try:
        certificate = load_certificates(read_bytes(args.cert[0]))[0]
    except CertificateError as exc:
        raise CliError(f"{args.cert[0]}: {exc}", EXIT_USAGE) from None
    names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    countries = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    identifier = organization_identifier_of(certificate)
    if not (names and countries and identifier):
        raise CliError(
            f"{args.cert[0]}: converting ELMO to ELM needs the issuing organisation: give --sealer-name, "
            "--sealer-country and --sealer-id, or a certificate with O, C and organizationIdentifier",
            EXIT_USAGE,
        )
    return Sealer({"en": str(names[0].value)}, str(countries[0].value).upper(), identifier)


def _issue(args: argparse.Namespace) -> int:
    from emrex.trust.certs import load_certificates
    from emrex.trust.errors import CertificateError
    from emrex.wallet.certificates import leaf_key, san_dns_names, x5c_of
    from emrex.wallet.credential import issue_elm_credential
    from emrex.wallet.errors import Unreadable, WalletKeyError
    from emrex.wallet.jose import load_private_key, load_public_jwk_file, public_jwk, signing_key

    elm = _unreadable_as_usage(read_elm, args.file, args)
    try:
        certificates = [c for path in args.cert for c in load_certificates(read_bytes(path))]
        key = signing_key(load_private_key(read_bytes(args.key), args.key), x5c_of(certificates))
        holder = public_jwk(load_public_jwk_file(read_bytes(args.holder_key), args.holder_key))
    except (CertificateError, WalletKeyError, Unreadable) as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if public_jwk(leaf_key(certificates[0])) != key.public_jwk:
        raise CliError(f"{args.key} does not belong to the certificate {args.cert[0]}", EXIT_USAGE)
    issuer = args.issuer or _default_issuer(san_dns_names(certificates[0]))
    if args.days < 1:
        raise CliError("--days must be at least 1", EXIT_USAGE)
    credential = _unreadable_as_usage(
        lambda: issue_elm_credential(elm, key, holder, issuer=issuer, lifetime=args.days * 86400)
    )
    write_output(credential.encode("ascii") + b"\n", args.output)
    return EXIT_OK


def _default_issuer(names: list[str]) -> str:
    if not names:
        raise CliError("the certificate names no DNS host; say who issues with --issuer URL", EXIT_USAGE)
    return f"https://{names[0]}"


def _verify(args: argparse.Namespace) -> int:
    from emrex.wallet.errors import Unreadable, WalletError
    from emrex.wallet.statuslist import http_fetch
    from emrex.wallet.verification import VerifyPolicy, verify_presentation

    text = read_bytes(args.file).decode("ascii", "replace")
    bound = args.aud is not None or args.nonce is not None
    policy = VerifyPolicy(
        _anchors(args.trust),
        audience=args.aud,
        nonce=args.nonce,
        require_key_binding=bound,
        status_fetch=None if args.offline else http_fetch(),
    )
    try:
        verified = verify_presentation(text, policy)
    except Unreadable as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    except WalletError as exc:
        raise CliError(f"{args.file}: refused: {exc}", EXIT_INVALID) from None
    summary = verified.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return EXIT_OK
    print("\n".join(_verified_lines(args.file, summary, bound)))
    return EXIT_OK


def _verified_lines(name: str, summary: dict[str, Any], bound: bool) -> list[str]:
    from emrex.trust.certs import printable
    from emrex.wallet.holder import learner_name, titles

    binding = summary["key_binding"]
    lines = [
        f"{name}: valid",
        f"issuer: {printable(summary['issuer'])} (vouched for by {printable(summary['vouched_by'])})",
        f"status: {summary['status']}",
        "key binding: "
        + (
            "none (a plain credential)"
            if binding is None
            else f"aud {printable(str(binding['aud']))}, nonce {'checked' if bound else 'not checked'}"
        ),
        f"learner: {printable(learner_name(summary['elm']))}",
    ]
    courses = titles(summary["elm"])
    lines.append(f"courses disclosed: {len(courses)}")
    lines.extend(f"  {printable(title)}" for title in courses)
    return lines


def _anchors(paths: list[str] | None) -> Any:
    from emrex.trust.errors import CertificateError
    from emrex.wallet.certificates import TrustAnchors

    try:
        return TrustAnchors.load(read_bytes(path) for path in paths or [])
    except CertificateError as exc:
        raise CliError(f"--trust: {exc}", EXIT_USAGE) from None


def _holder(args: argparse.Namespace, *, verifiers: bool) -> Any:
    from emrex.wallet.holder import Holder

    folder = Path(args.wallet or os.environ.get(WALLET_ENV) or "emrex-wallet")
    anchors = _anchors(args.trust) if args.trust else None
    return Holder(folder, verifier_anchors=anchors) if verifiers else Holder(folder, issuer_anchors=anchors)


def _accept(args: argparse.Namespace) -> int:
    held = _holder(args, verifiers=False).accept_offer(args.url, args.tx_code)
    print(f"accepted: {held.id} from {held.issuer}, {len(held.courses)} course(s) of {held.learner}")
    return EXIT_OK


def _present(args: argparse.Namespace) -> int:
    outcome = _holder(args, verifiers=True).present(args.url, courses=args.course, credential=args.credential)
    print(f"presented to {outcome.verifier}: {len(outcome.disclosed)} claim(s) disclosed")
    if outcome.redirect_uri:
        print(f"continue at: {outcome.redirect_uri}")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from emrex.trust.certs import printable

    held = _holder(args, verifiers=False).credentials()
    if args.json:
        rows = [{"id": c.id, "issuer": c.issuer, "learner": c.learner, "courses": c.courses} for c in held]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not held:
        print("no credentials yet (emrex wallet accept-offer URL)", file=sys.stderr)
    for credential in held:
        print(f"{credential.id}  {printable(credential.issuer)}  {printable(credential.learner)}")
        for index, title in enumerate(credential.courses):
            print(f"  [{index}] {printable(title)}")
    return EXIT_OK


def _unreadable_as_usage(action: Any, *args: Any) -> Any:
    from emrex.wallet.errors import Unreadable

    try:
        return action(*args)
    except Unreadable as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
