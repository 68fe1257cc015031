"""``emrex elmo schemas …``: get and list the official ELMO XSDs used for validation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError


def register_schemas(elmo_commands: Any) -> None:
    """Add the ``schemas`` group to the subcommands of ``emrex elmo``."""
    schemas = elmo_commands.add_parser("schemas", help="download and list the official ELMO XSDs")
    sub = schemas.add_subparsers(title="schemas commands", metavar="COMMAND")

    p = sub.add_parser(
        "fetch",
        help="download the official ELMO XSDs and their imports",
        description=(
            "Download schema.xsd and references/ of each ELMO version from emrex-eu/elmo-schemas, the EWP "
            "address and common-types schemas and the W3C xml.xsd, check that they compile, and install "
            "them (replacing those versions) in DIR."
        ),
    )
    p.add_argument(
        "--dir",
        help="where to install (default: $EMREX_ELMO_SCHEMA_DIR or ~/.local/share/emrex/elmo-schemas)",
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help=(
            "fetch every file from URL/<path> instead: <path> is the path of its raw.githubusercontent.com "
            "URL (emrex-eu/elmo-schemas/v1.7.0/schema.xsd, ...) or www.w3.org/2001/03/xml.xsd"
        ),
    )
    p.add_argument(
        "--version",
        dest="versions",
        action="append",
        metavar="V",
        help="an ELMO version tag such as 1.7.0 (repeatable; default: 1.7.0 and 2.0.0)",
    )
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default 30)")
    p.set_defaults(handler=_fetch)

    p = sub.add_parser("list", help="the ELMO versions in a schema folder")
    p.add_argument("--dir", help="the schema folder (default: $EMREX_ELMO_SCHEMA_DIR)")
    p.set_defaults(handler=_list)


def _fetch(args: argparse.Namespace) -> int:
    from emrex.elmo import schema_fetch
    from emrex.elmo.errors import BadFetchRequest

    directory = Path(args.dir).expanduser() if args.dir else schema_fetch.default_schema_dir()
    versions = args.versions or list(schema_fetch.DEFAULT_VERSIONS)
    if not args.timeout > 0:
        raise CliError("--timeout must be a positive number of seconds", EXIT_USAGE)
    try:
        result = schema_fetch.fetch_schemas(
            directory,
            versions=versions,
            base_url=args.base_url,
            timeout=args.timeout,
            progress=print,
        )
    except BadFetchRequest as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    print(f"ELMO schemas {', '.join(result.versions)} installed in {result.directory}")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from emrex.elmo.schema import available_versions, resolve_schema_dir

    folder = resolve_schema_dir(args.dir)
    versions = available_versions(folder)
    if not versions:
        print(f"{folder}: no ELMO versions (run 'emrex elmo schemas fetch')")
        return EXIT_INVALID
    print(f"{folder}: {', '.join(versions)}")
    return EXIT_OK
