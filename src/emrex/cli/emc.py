"""``emrex emc …``: run the EMREX client, check its configuration, make API token hashes, purge."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError


def register(commands: Any) -> None:
    emc = commands.add_parser("emc", help="the EMREX client service (EMC)")
    sub = emc.add_subparsers(title="emc commands", metavar="COMMAND")
    emc.set_defaults(handler=lambda args: _usage(emc))

    p = sub.add_parser("serve", help="run the EMC web service")
    p.add_argument("--config", required=True, metavar="FILE", help="TOML configuration (see docs/EMC.md)")
    p.add_argument("--host", help="address to listen on (default: the configuration's emc.host)")
    p.add_argument("--port", type=int, help="port to listen on (default: the configuration's emc.port)")
    p.set_defaults(handler=_serve)

    p = sub.add_parser("check-config", help="read the configuration and say what it sets up")
    p.add_argument("--config", required=True, metavar="FILE")
    p.set_defaults(handler=_check)

    p = sub.add_parser("hash-token", help="the emc.api.token_hashes entry for an API token")
    p.add_argument("token", nargs="?", help="the token (default: read one line from stdin)")
    p.add_argument("--new", action="store_true", help="make a new random token and print it with its hash")
    p.set_defaults(handler=_hash_token)

    p = sub.add_parser("purge", help="remove received documents older than emc.retention.raw_days")
    p.add_argument("--config", required=True, metavar="FILE")
    p.set_defaults(handler=_purge)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _settings(path: str) -> Any:
    from emrex.emc.config import EmcConfigError, load_settings

    try:
        return load_settings(path)
    except EmcConfigError as error:
        raise CliError(str(error), EXIT_USAGE) from None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from emrex.emc import create_emc_app

    settings = _settings(args.config)
    app = create_emc_app(settings)
    # Proxy headers stay off: the trusted-headers login checks the peer address itself.
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=settings.port if args.port is None else args.port,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    print(f"base URL:      {settings.web.base_url} (return URL {settings.return_url})")
    print(f"database:      {_hide_password(settings.database_url)}")
    print(f"registries:    {', '.join(settings.registry_sources)}")
    print(f"login:         {settings.login.method}")
    print(f"SHA-1:         {settings.verify_policy.sha1}")
    identity = settings.identity_policy
    print(f"identity:      match up to {identity.tolerance}, review up to {identity.review_tolerance}")
    print(f"API tokens:    {len(settings.api_token_hashes)}")
    print(f"webhook:       {settings.webhook.url if settings.webhook else 'off'}")
    retention = f"{settings.raw_retention.days} days" if settings.raw_retention else "kept"
    print(f"raw documents: {retention}")
    return EXIT_OK


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def _hash_token(args: argparse.Namespace) -> int:
    from emrex.emc.config import hash_token

    if args.new:
        token = secrets.token_urlsafe(32)
        print(f"token: {token}")
        print(f"hash:  {hash_token(token)}")
        return EXIT_OK
    token = args.token if args.token is not None else sys.stdin.readline().strip()
    if len(token) < 16:
        raise CliError("a token needs at least 16 characters (or use --new)", EXIT_USAGE)
    print(hash_token(token))
    return EXIT_OK


def _purge(args: argparse.Namespace) -> int:
    from emrex.db import Database, upgrade
    from emrex.emc.store import purge_raw

    settings = _settings(args.config)
    if settings.raw_retention is None:
        raise CliError("emc.retention.raw_days is not set: documents are kept, nothing to purge", EXIT_USAGE)
    database = Database(settings.database_url)
    try:
        upgrade(database)
        count = purge_raw(database, settings.raw_retention)
    finally:
        database.dispose()
    print(f"removed the received documents of {count} transfer(s)")
    return EXIT_OK
