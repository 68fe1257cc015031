"""``emrex login …``: password hashes for demo accounts, and a check of a login configuration."""

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


def _check(args: argparse.Namespace) -> int:
    import tomllib

    from emrex.web.login.settings import LoginSettings

    try:
        config: Any = tomllib.loads(read_bytes(args.file).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CliError(f"{args.file}: not a TOML file ({error})", 1) from None
    for part in args.table.split("."):
        if not isinstance(config, dict) or part not in config:
            raise CliError(f"{args.file}: no [{args.table}] table", 1)
        config = config[part]
    settings = LoginSettings.from_mapping(config, prefix=args.table)
    mode = "production" if settings.production else "NOT production (demo network / tests)"
    print(f"{args.table}: method {settings.method}, {mode}")
    if settings.oidc:
        print(f"  issuer {settings.oidc.issuer}, client {settings.oidc.client_id}")
    if settings.headers:
        print(f"  trusted proxies: {', '.join(str(n) for n in settings.headers.trusted_proxies)}")
    if settings.demo_accounts:
        print(f"  demo accounts: {', '.join(a.username for a in settings.demo_accounts)}")
    return EXIT_OK
