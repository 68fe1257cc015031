"""``emrex emp``: run the data provider (``serve``), its statistics (``stats``), SIS ``import``.

Exit codes: 0 done; 1 the configuration or data is unusable (one line names the setting); 2 usage
errors, unreadable files or an unreachable database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.stats_export import add_period_options, export_period, print_export
from emrex.envnames import EMP_CONFIG_ENV as CONFIG_ENV


def register(commands: Any) -> None:
    from emrex.cli.emp_import import add_import
    from emrex.cli.emp_oots import add_oots_poll

    emp = commands.add_parser("emp", help="the data provider (EMP): serve, statistics, SIS import")
    sub = emp.add_subparsers(title="emp commands", metavar="COMMAND")
    emp.set_defaults(handler=lambda args: _usage(emp))

    serve = sub.add_parser(
        "serve",
        help="run the EMP web service",
        description="Check the configuration, load the key, migrate the database, then serve. Every "
        "setting can also come from the environment (EMREX_EMP_*; see docs/EMP.md).",
    )
    serve.add_argument("--config", metavar="FILE", help=f"the TOML configuration (default: ${CONFIG_ENV})")
    serve.add_argument("--host", help="address to listen on (default: server.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: server.port, 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default: server.workers, 1)")
    serve.set_defaults(handler=_serve)

    check = sub.add_parser(
        "check-config",
        help="print the effective settings, each with its source (secrets masked)",
        description="Read the configuration file and the EMREX_EMP_* environment as 'serve' would, check "
        "every setting, and print each with where it came from (default, file, environment).",
    )
    check.add_argument("--config", metavar="FILE", help=f"the TOML configuration (default: ${CONFIG_ENV})")
    check.set_defaults(handler=_check_config)

    stats = sub.add_parser(
        "stats",
        help="print the EMP's statistics (no personal data)",
        description="Sessions started and finished, outcomes, items and credits, per client and institution.",
    )
    where = stats.add_mutually_exclusive_group()
    where.add_argument("--config", metavar="FILE", help="read the database URL from this configuration")
    where.add_argument("--database", metavar="URL", help="the EMP's database")
    shape = stats.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print the summary of all records as JSON")
    shape.add_argument(
        "--format",
        choices=("csv", "json"),
        help="print the statistics export of a period of months (docs/STATISTICS.md)",
    )
    add_period_options(stats)
    stats.add_argument(
        "--institution", metavar="ID", help="the institution's id in the export (default: from --config)"
    )
    stats.set_defaults(handler=_stats)

    add_import(sub)
    add_oots_poll(sub)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _config_path(value: str | None) -> str | None:
    return value or os.environ.get(CONFIG_ENV) or None


def _serve(args: argparse.Namespace) -> int:
    import dataclasses

    from emrex.db import Database, DatabaseError, upgrade
    from emrex.emp.config import load_settings
    from emrex.emp.runtime import build_source, credential_sealer, load_signer

    path = _config_path(args.config)
    settings = load_settings(path, os.environ)
    server = settings.server
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers)) if v}
    if args.port is not None and not 1 <= args.port <= 65535:
        raise CliError("--port: expected 1 to 65535")
    if args.workers is not None and not 1 <= args.workers <= 64:
        raise CliError("--workers: expected 1 to 64")
    server = dataclasses.replace(server, **overrides)
    load_signer(settings)  # a bad key or certificate stops here, before any worker starts
    credential_sealer(settings)  # and so does an EDC seal naming another issuer than its certificate
    try:
        database = Database(settings.database_url)
        try:
            upgrade(database)
            build_source(settings.source, database)
        finally:
            database.dispose()
    except DatabaseError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    from emrex.web.server import run

    if path is not None:
        os.environ[CONFIG_ENV] = os.path.abspath(path)
    # Public URLs come from base_url; client addresses from the login's trusted proxies: uvicorn runs
    # without proxy headers and access log, with our read timeouts (emrex.web.server).
    run(
        "emrex.emp.server:app_from_environment",
        factory=True,
        host=server.host,
        port=server.port,
        workers=server.workers,
        timeouts=server.timeouts,
        log_level="info",
    )
    return EXIT_OK


def _check_config(args: argparse.Namespace) -> int:
    from emrex.config import report
    from emrex.emp.config import EmpConfigError, read_settings

    path = _config_path(args.config)
    try:
        settings, loaded = read_settings(path, os.environ)
    except EmpConfigError as error:
        raise CliError(str(error), EXIT_USAGE if error.kind == "unreadable" else EXIT_INVALID) from None
    print(f"# {settings.name}: {path or 'no file, the environment only'}")
    oidc = settings.login.get("oidc")
    derived = {
        "login.production": settings.login.get("production"),
        "login.oidc.redirect_uri": oidc.get("redirect_uri") if isinstance(oidc, dict) else None,
    }
    print(report(loaded, derived))
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    from emrex.db import DatabaseError
    from emrex.db.owner import open_for_reading
    from emrex.emp.config import load_settings
    from emrex.emp.stats import collect, format_table

    url, settings = args.database, None
    if url is None:
        path = _config_path(args.config)
        if path is None and "EMREX_EMP_DATABASE_URL" not in os.environ:
            raise CliError(f"give --config FILE or --database URL (or set {CONFIG_ENV})")
        settings = load_settings(path, os.environ) if path else None
        url = settings.database_url if settings else os.environ["EMREX_EMP_DATABASE_URL"]
    period = export_period(args)
    if args.format and settings is None and not args.institution:
        raise CliError("give --institution ID: with --database there is no configuration that names it")
    try:
        database = open_for_reading(url, "emp")  # never created or migrated by a reading command
    except DatabaseError as error:
        raise CliError(str(error)) from None
    try:
        if args.format:
            return _export(args, database, period, settings)
        stats = collect(database)
    except DatabaseError as error:
        raise CliError(str(error)) from None
    finally:
        database.dispose()
    if args.json:
        data = {
            "started": stats.started,
            "finished": stats.finished,
            "outcomes": stats.outcomes,
            "itemsOffered": stats.items_offered,
            "creditsOffered": str(stats.credits_offered),
            "itemsSent": stats.items_sent,
            "creditsSent": str(stats.credits_sent),
            "medianDurationMs": stats.median_duration_ms,
            "clients": [
                {
                    "host": c.client_host,
                    "started": c.started,
                    "outcomes": c.outcomes,
                    "itemsSent": c.items_sent,
                    "creditsSent": str(c.credits_sent),
                }
                for c in stats.clients
            ],
            "institutions": stats.institutions,
        }
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        sys.stdout.write(format_table(stats))
    return EXIT_OK


def _export(args: argparse.Namespace, database: Any, period: Any, settings: Any) -> int:
    from emrex.db import utcnow
    from emrex.emp.stats import export, figures
    from emrex.figures import institution_id

    if args.institution:
        ident = args.institution.strip().lower()
    else:
        ident = institution_id(settings.institutions, settings.base_url)
    name = settings.name if settings else ""
    made = export(figures(database, period), institution=ident, name=name, generated_at=utcnow())
    return print_export(made, args.format)
