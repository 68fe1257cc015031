"""``emrex emc …``: run the EMREX client, check its configuration, make API token hashes, purge, and
import the course catalogue of credit recognition."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.stats_export import add_period_options, export_period, print_export


def register(commands: Any) -> None:
    emc = commands.add_parser("emc", help="the EMREX client service (EMC)")
    sub = emc.add_subparsers(title="emc commands", metavar="COMMAND")
    emc.set_defaults(handler=lambda args: _usage(emc))

    p = sub.add_parser("serve", help="run the EMC web service")
    p.add_argument("--config", required=True, metavar="FILE", help="TOML configuration (see docs/EMC.md)")
    p.add_argument("--host", help="address to listen on (default: the configuration's emc.host)")
    p.add_argument("--port", type=int, help="port to listen on (default: the configuration's emc.port)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.set_defaults(handler=_serve)

    p = sub.add_parser(
        "check-config",
        help="read the configuration, say what it sets up and print every setting with its source",
        description="Read the file and the EMREX_EMC_* environment as 'serve' would, check every setting, "
        "and print a summary, then each setting with where it came from (secrets masked).",
    )
    p.add_argument("--config", required=True, metavar="FILE")
    p.set_defaults(handler=_check)

    p = sub.add_parser("hash-token", help="the emc.api.token_hashes entry for an API token")
    p.add_argument("token", nargs="?", help="the token (default: read one line from stdin)")
    p.add_argument("--new", action="store_true", help="make a new random token and print it with its hash")
    p.set_defaults(handler=_hash_token)

    p = sub.add_parser("purge", help="remove received documents older than emc.retention.raw_days")
    p.add_argument("--config", required=True, metavar="FILE")
    p.set_defaults(handler=_purge)

    p = sub.add_parser(
        "stats",
        help="print the statistics export of a period of months (no personal data)",
        description="Transfers by month, country and outcome, courses and ECTS credits imported, in the "
        "versioned CSV or JSON format of docs/STATISTICS.md.",
    )
    p.add_argument("--config", required=True, metavar="FILE")
    p.add_argument("--format", choices=("csv", "json"), default="json", help="default: json")
    add_period_options(p)
    p.set_defaults(handler=_stats)

    from emrex.cli.emc_catalogue import add_catalogue
    from emrex.cli.emc_ewp import add_ewp

    add_catalogue(sub)
    add_ewp(sub)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _settings(path: str) -> Any:
    return _read(path)[0]


def _read(path: str) -> tuple[Any, Any]:
    from emrex.emc.config import EmcConfigError, read_settings

    try:
        return read_settings(path)
    except EmcConfigError as error:
        raise CliError(str(error), EXIT_USAGE) from None


def _serve(args: argparse.Namespace) -> int:
    import os

    from emrex.db import Database, DatabaseError, upgrade
    from emrex.emc.server import CONFIG_ENV
    from emrex.emc.store import purge_raw
    from emrex.web.server import run

    settings = _settings(args.config)
    if not 1 <= args.workers <= 64:
        raise CliError("--workers: expected 1 to 64", EXIT_USAGE)
    if args.port is not None and not 0 <= args.port <= 65535:
        raise CliError("--port: expected 0 to 65535", EXIT_USAGE)
    try:
        database = Database(settings.database_url)
        try:
            upgrade(database)  # once, here: the workers start at head
            if settings.purge_at_start and settings.raw_retention is not None:
                purge_raw(database, settings.raw_retention)
        finally:
            database.dispose()
    except DatabaseError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    os.environ[CONFIG_ENV] = os.path.abspath(args.config)
    # uvicorn without proxy headers (the trusted-headers login checks the peer itself) and access log
    # (ours has no query strings or personal data), with our read timeouts (emrex.web.server).
    run(
        "emrex.emc.server:app_from_environment",
        factory=True,
        host=args.host or settings.host,
        port=settings.port if args.port is None else args.port,
        workers=args.workers,
        timeouts=settings.server_timeouts,
    )
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from emrex.config import report

    settings, loaded = _read(args.config)
    print(f"base URL:      {settings.web.base_url} (return URL {settings.return_url})")
    print(f"database:      {_hide_password(settings.database_url)}")
    print(f"registries:    {', '.join(settings.registry_sources)}")
    print(f"login:         {settings.login.method}")
    print(f"SHA-1:         {settings.verify_policy.sha1}")
    limits, mb = settings.codec_limits, 1024 * 1024
    print(
        f"limits:        post {limits.max_encoded_bytes // mb} MB, "
        f"document {limits.max_decoded_bytes // mb} MB, ratio {limits.max_ratio}, "
        f"{limits.max_elements} elements; "
        f"{settings.max_concurrent_verifications} verifications at once, "
        f"{settings.max_open_transfers} open transfers per student"
    )
    print(f"clock skew:    {int(settings.clock_skew.total_seconds() // 60)} minutes")
    identity = settings.identity_policy
    print(f"identity:      match up to {identity.tolerance}, review up to {identity.review_tolerance}")
    print(f"API tokens:    {len(settings.api_token_hashes)}")
    print(f"webhook:       {settings.webhook.url if settings.webhook else 'off'}")
    print(f"EWP fetch:     {'catalogue ' + settings.ewp.catalogue if settings.ewp else 'off'}")
    retention = f"{settings.raw_retention.days} days" if settings.raw_retention else "kept"
    print(f"raw documents: {retention}")
    recognition = settings.recognition
    print(
        f"recognition:   case numbers {recognition.case_prefix}-YYYY-NNNNN, appeals within "
        f"{recognition.appeal_weeks} weeks, attachments up to {recognition.max_attachment_bytes // 2**20} MB"
    )
    print("\n# every setting, with its source (secrets masked)")
    print(report(loaded, {"default_language": settings.web.default_language}))
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
    from emrex.db import DatabaseError
    from emrex.db.owner import open_for_reading
    from emrex.emc.store import purge_raw

    settings = _settings(args.config)
    if settings.raw_retention is None:
        raise CliError("emc.retention.raw_days is not set: documents are kept, nothing to purge", EXIT_USAGE)
    try:
        database = open_for_reading(settings.database_url, "emc", write=True)  # the EMC's own, as it is
    except DatabaseError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    try:
        count = purge_raw(database, settings.raw_retention)
    finally:
        database.dispose()
    print(f"removed the received documents of {count} transfer(s)")
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    from emrex.db import DatabaseError, utcnow
    from emrex.db.owner import open_for_reading
    from emrex.emc.stats import collect, export
    from emrex.emc.stats_pages import institution

    settings = _settings(args.config)
    period = export_period(args)
    try:
        database = open_for_reading(settings.database_url, "emc")  # never created or migrated here
    except DatabaseError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    try:
        figures = collect(database, period)
    except DatabaseError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    finally:
        database.dispose()
    ident, name = institution(settings)
    return print_export(export(figures, institution=ident, name=name, generated_at=utcnow()), args.format)
