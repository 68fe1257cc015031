"""``emrex db …``: create and upgrade the services' database schema, and add migrations."""

from __future__ import annotations

import argparse
import os
from typing import Any

from emrex.cli import EXIT_OK, CliError
from emrex.envnames import DATABASE_ENV


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database schema: upgrade, current revision, new migration")
    sub = db.add_subparsers(title="db commands", metavar="COMMAND")

    p = sub.add_parser("upgrade", help="bring the schema to the newest revision (safe to repeat)")
    _database_option(p)
    p.set_defaults(handler=_upgrade)

    p = sub.add_parser("current", help="the revision the database is at")
    _database_option(p)
    p.set_defaults(handler=_current)

    p = sub.add_parser("revision", help="(developers) autogenerate a migration for changed models")
    p.add_argument("-m", "--message", required=True, help="what the migration does, e.g. 'emc transfers'")
    p.set_defaults(handler=_revision)


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        help=f"sqlite:///path/to/file.db or postgresql://user@host/name (default: ${DATABASE_ENV})",
    )


def _url(args: argparse.Namespace) -> str:
    url = args.database or os.environ.get(DATABASE_ENV)
    if not url:
        raise CliError(f"no database given: use --database URL or set {DATABASE_ENV}")
    return str(url)


def _upgrade(args: argparse.Namespace) -> int:
    from emrex.db.migrate import current, upgrade

    url = _url(args)
    upgrade(url)
    print(f"database at revision {current(url)}")
    return EXIT_OK


def _current(args: argparse.Namespace) -> int:
    from emrex.db import Database, DatabaseError, make_engine
    from emrex.db.migrate import current
    from emrex.db.owner import require_file

    url = _url(args)
    try:
        require_file(url)  # reading: an SQLite file is not made by asking
        database = Database(make_engine(url, reading=True))
    except DatabaseError as error:
        raise CliError(str(error)) from None
    try:
        revision = current(database)
    finally:
        database.dispose()
    print(revision or "(no schema yet: run 'emrex db upgrade')")
    return EXIT_OK


def _revision(args: argparse.Namespace) -> int:
    from emrex.db.migrate import new_revision

    print(new_revision(args.message))
    return EXIT_OK
