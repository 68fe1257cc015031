"""``emrex login …``: password hashes for demo accounts, a check of a login configuration, and what a
SAML service provider needs to join a federation (a key pair, its metadata)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes


def register(commands: Any) -> None:
    login = commands.add_parser("login", help="login configuration: demo password hashes, config check")
    sub = login.add_subparsers(title="login commands", metavar="COMMAND")

    p = sub.add_parser("hash-password", help="a salted scrypt hash for a demo account's password_hash")
    p.add_argument(
        "--stdin",
        action="store_true",
        help="read the password from the first line of stdin (no prompt; also when stdin is not a terminal)",
    )
    p.set_defaults(handler=_hash_password)

    p = sub.add_parser("check", help="check the [login] table of a TOML configuration file")
    p.add_argument("file", help="the TOML file; - for stdin")
    p.add_argument("--table", default="login", help="dotted name of the table (default: login)")
    p.set_defaults(handler=_check)

    p = sub.add_parser("saml-keys", help="a SAML service provider's key and self-signed certificate")
    p.add_argument("--out", required=True, help="folder for key.pem (owner-only) and cert.pem")
    p.add_argument("--cn", required=True, help="common name: the service's host name")
    p.add_argument(
        "--days", type=int, default=3650, help="validity in days (default 3650, as federations expect)"
    )
    p.add_argument(
        "--bits", type=int, choices=(2048, 3072, 4096), default=3072, help="RSA key size (default 3072)"
    )
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(handler=_saml_keys)

    p = sub.add_parser(
        "saml-metadata", help="the SAML service provider's metadata, from a configuration file"
    )
    p.add_argument("file", help="the TOML file; - for stdin")
    p.add_argument("--table", default="login", help="dotted name of the [login] table (default: login)")
    p.add_argument(
        "--base-url",
        help="the service's public address, when [login.saml] has no base_url (the service's own)",
    )
    p.set_defaults(handler=_saml_metadata)


def _hash_password(args: argparse.Namespace) -> int:
    from emrex.web.login.demo import hash_password

    if args.stdin or not sys.stdin.isatty():
        # Piped in (echo … | emrex login hash-password): the first line, without a prompt.
        line = sys.stdin.readline()
        if not line:
            raise CliError("no password on standard input (give it as the first line)", EXIT_USAGE)
        password = line.rstrip("\r\n")
    else:
        import getpass

        try:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                raise CliError("the two passwords differ", 1)
        except EOFError:
            raise CliError("no password given (the input ended)", EXIT_USAGE) from None
    if not password:
        raise CliError("an empty password cannot be hashed", 1)
    print(hash_password(password))
    return EXIT_OK


def _table(args: argparse.Namespace) -> Any:
    import tomllib

    try:
        config: Any = tomllib.loads(read_bytes(args.file).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CliError(f"{args.file}: not a TOML file ({error})", 1) from None
    for part in args.table.split("."):
        if not isinstance(config, dict) or part not in config:
            raise CliError(f"{args.file}: no [{args.table}] table", 1)
        config = config[part]
    return config


def _check(args: argparse.Namespace) -> int:
    from emrex.web.login.settings import LoginSettings

    settings = LoginSettings.from_mapping(_table(args), prefix=args.table)
    mode = "production" if settings.production else "NOT production (demo network / tests)"
    print(f"{args.table}: method {settings.method}, {mode}")
    if settings.oidc:
        print(f"  issuer {settings.oidc.issuer}, client {settings.oidc.client_id}")
    if settings.headers:
        print(f"  trusted proxies: {', '.join(str(n) for n in settings.headers.trusted_proxies)}")
    if settings.demo_accounts:
        print(f"  demo accounts: {', '.join(a.username for a in settings.demo_accounts)}")
    if settings.saml:
        saml = settings.saml
        signed = "signature checked" if saml.idp_metadata_certificate else "UNSIGNED (development only)"
        print(f"  SAML entity {saml.entity_id}, assertion consumer {saml.acs_url}")
        print(f"  identity provider metadata {saml.idp_metadata} ({signed}); xmlsec1 at {saml.xmlsec_binary}")
    return EXIT_OK


def _saml_keys(args: argparse.Namespace) -> int:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from emrex.trust.ca import new_key
    from emrex.trust.certs import fingerprint
    from emrex.trust.errors import CertificateError
    from emrex.trust.keys import save_key_and_certificate

    if not 1 <= args.days <= 36500:
        raise CliError("--days: expected 1 to 36500")
    cn = args.cn.strip()
    if not cn or len(cn) > 64:
        raise CliError("--cn: give the service's host name (1 to 64 characters)")
    try:
        key = new_key(args.bits)
    except CertificateError as error:
        raise CliError(str(error)) from None
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    # Federations use the certificate only to carry the key: self-signed, long-lived, no chain checked.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=args.days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        written = save_key_and_certificate(args.out, key, certificate, force=args.force)
    except CertificateError as error:  # a file exists already, or the folder cannot be written
        raise CliError(str(error)) from None
    print(f"key:         {written.key}")
    print(f"certificate: {written.public}")
    print(f"fingerprint: SHA-256 {fingerprint(certificate)}")
    return EXIT_OK


def _saml_metadata(args: argparse.Namespace) -> int:
    from emrex.web.login.saml import service_provider_metadata
    from emrex.web.login.settings import LoginSettings, with_service_base_url

    table = _table(args)
    if args.base_url and isinstance(table, dict):
        table = with_service_base_url(table, args.base_url)
    settings = LoginSettings.from_mapping(table, prefix=args.table)
    if settings.saml is None:
        raise CliError(f"{args.table}: the method is {settings.method!r}, not saml", 1)
    sys.stdout.write(service_provider_metadata(settings).decode("utf-8"))
    return EXIT_OK
