"""``emrex emc catalogue import FILE``: load the home course catalogue credit recognition offers
(format: docs/RECOGNITION.md).

Exit codes: 0 imported (or, with ``--check``, valid), 1 the file is invalid (every problem is listed
with its JSON path; nothing is stored), 2 the file cannot be read, or the configuration or database
cannot be used.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes, report_problems

DATABASE_ENV = "EMREX_EMC_DATABASE_URL"


def add_catalogue(sub: Any) -> None:
    catalogue = sub.add_parser("catalogue", help="the home course catalogue of credit recognition")
    commands = catalogue.add_subparsers(title="catalogue commands", metavar="COMMAND")
    catalogue.set_defaults(handler=lambda args: _usage(catalogue))
    p = commands.add_parser(
        "import",
        help="load the course catalogue from JSON",
        description="Load the home course catalogue from a JSON file (format: docs/RECOGNITION.md). The "
        "whole file is checked first and written in one transaction; courses it no longer lists are "
        "marked withdrawn; importing it again changes nothing.",
    )
    p.add_argument("file", help="the JSON file, or - for standard input")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--config", metavar="FILE", help="the EMC's configuration (its database_url is used)")
    where.add_argument("--database", metavar="URL", help=f"the EMC's database (default: ${DATABASE_ENV})")
    p.add_argument("--check", action="store_true", help="only check the file; store nothing")
    p.set_defaults(handler=_import)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _import(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from emrex.db import Database, DatabaseError, upgrade
    from emrex.emc.recognition import CatalogueError, import_catalogue, parse_catalogue

    data = read_bytes(args.file)
    name = "standard input" if args.file == "-" else args.file
    try:
        courses = parse_catalogue(data)
    except CatalogueError as exc:
        return report_problems(name, exc.problems)
    if args.check:
        print(f"{name}: {len(courses)} course(s), valid")
        return EXIT_OK
    try:
        database = Database(_database_url(args))
    except DatabaseError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    try:
        upgrade(database)
        summary = import_catalogue(database, courses)
    except (DatabaseError, SQLAlchemyError) as exc:
        shown = database.url.render_as_string(hide_password=True)
        raise CliError(f"database {shown}: {type(exc).__name__}", EXIT_USAGE) from None
    finally:
        database.dispose()
    print(
        f"imported {summary.courses} course(s): {summary.created} new, {summary.changed} changed, "
        f"{summary.withdrawn} withdrawn"
    )
    return EXIT_OK


def _database_url(args: argparse.Namespace) -> str:
    if args.config:
        from emrex.emc.config import EmcConfigError, load_settings

        try:
            return load_settings(args.config).database_url
        except EmcConfigError as error:
            raise CliError(str(error), EXIT_USAGE) from None
    url = args.database or os.environ.get(DATABASE_ENV)
    if not url:
        raise CliError(f"no database given: use --config FILE, --database URL or set {DATABASE_ENV}")
    return str(url)
