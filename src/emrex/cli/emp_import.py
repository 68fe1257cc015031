"""``emrex emp import FILE``: load the built-in SIS from a JSON file (docs/SIS-IMPORT.md).

Exit codes: 0 imported, 1 the data is invalid (every problem is listed; nothing is stored), 2 the
file cannot be read or the database cannot be used.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes, report_problems
from emrex.envnames import DATABASE_ENV


def add_import(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="load institutions, persons and results into the built-in SIS from JSON",
        description="Load the built-in SIS from a JSON file (format: docs/SIS-IMPORT.md). The file is "
        "checked first and written in one transaction; importing it again changes nothing.",
    )
    p.add_argument("file", help="the JSON file, or - for standard input")
    p.add_argument(
        "--database",
        metavar="URL",
        help=f"sqlite:///path/to/file.db or postgresql://user@host/name (default: ${DATABASE_ENV})",
    )
    p.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from emrex.db import Database, DatabaseError, upgrade
    from emrex.sis.format import SisImportError, parse_sis_json
    from emrex.sis.importer import import_sis

    url = args.database or os.environ.get(DATABASE_ENV)
    if not url:
        raise CliError(f"no database given: use --database URL or set {DATABASE_ENV}")
    data = read_bytes(args.file)
    name = "standard input" if args.file == "-" else args.file
    try:
        parsed = parse_sis_json(data)
    except SisImportError as exc:
        return report_problems(name, exc.problems)
    try:
        database = Database(url)
    except DatabaseError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    try:
        upgrade(database)
        summary = import_sis(database, parsed)
    except SisImportError as exc:
        return report_problems(name, exc.problems)
    except (DatabaseError, SQLAlchemyError) as exc:
        shown = database.url.render_as_string(hide_password=True)
        raise CliError(f"database {shown}: {type(exc).__name__}: {_first_line(exc)}", EXIT_USAGE) from None
    finally:
        database.dispose()
    print(
        f"imported {summary.institutions} institution(s), {summary.grading_schemes} grading scheme(s), "
        f"{summary.persons} person(s) ({summary.created_persons} new), {summary.results} result(s)"
        f" ({summary.deleted_results} removed)"
        + (f", {summary.mobilities} incoming mobility(ies)" if summary.mobilities else "")
    )
    return EXIT_OK


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:200] if text else "failed"
