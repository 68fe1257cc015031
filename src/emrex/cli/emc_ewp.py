"""``emrex emc ewp fetch``: fetch a student's transcript from a partner over EWP, verify it as an EMREX
answer is, and store it as foreign credentials (or for review) in the EMC's database.

Exit codes: 0 fetched and stored (imported, or waiting for review), 1 refused (the partner, the
signature, the identity, a duplicate; nothing stored), 2 unusable input, configuration or database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import sys
from collections.abc import Iterator
from typing import Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError

EXIT_REFUSED = 1


def add_ewp(sub: Any) -> None:
    ewp = sub.add_parser("ewp", help="Erasmus Without Paper: fetch transcripts from partner institutions")
    commands = ewp.add_subparsers(title="ewp commands", metavar="COMMAND")
    ewp.set_defaults(handler=lambda args: _usage(ewp))
    p = commands.add_parser(
        "fetch",
        help="fetch a student's transcript by partner and mobility id",
        description="Ask the partner's imobility-tors API (found in the EWP catalogue of emc.ewp) for the "
        "approved transcript of one mobility, verify it as an EMREX answer is, and store it as the "
        "student's foreign credentials (or for staff review when the identity is not certain).",
    )
    p.add_argument("--config", required=True, metavar="FILE", help="the EMC's configuration (with [emc.ewp])")
    p.add_argument(
        "--partner", required=True, metavar="SCHAC", help="the host institution, e.g. fjordby.example"
    )
    p.add_argument("--mobility", required=True, metavar="ID", help="the mobility id (omobility_id)")
    p.add_argument("--student", required=True, metavar="LOGIN", help="the student's login name here")
    p.add_argument("--given-names", default="", help="the student's given names (if not known here)")
    p.add_argument("--family-name", default="", help="the student's family name (if not known here)")
    p.add_argument("--birth-date", default="", metavar="YYYY-MM-DD")
    p.add_argument("--esi", default="", help="the student's European Student Identifier")
    p.add_argument("--staff", default="", help="who fetches, for the record (default: the system user)")
    p.set_defaults(handler=_fetch)

    p = commands.add_parser(
        "poll",
        help="fetch every approved transcript a partner lists for us that is not stored yet",
        description="Read the partner's imobility-tors index and fetch what is new; each transcript is "
        "verified and stored for the student here whose ESI it carries (a transcript whose ESI no student "
        "here has is listed and left for 'ewp fetch').",
    )
    p.add_argument("--config", required=True, metavar="FILE", help="the EMC's configuration (with [emc.ewp])")
    p.add_argument(
        "--partner", required=True, metavar="SCHAC", help="the host institution, e.g. fjordby.example"
    )
    p.add_argument(
        "--modified-since",
        default="",
        metavar="DATETIME",
        help="only what changed since (ISO 8601, with zone)",
    )
    p.add_argument("--staff", default="", help="who polls, for the record (default: the system user)")
    p.set_defaults(handler=_poll)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _fetch(args: argparse.Namespace) -> int:
    from emrex.emc.ewp_fetch import EwpFetcher, EwpFetchError, StudentEntry, student_person

    try:
        birth = dt.date.fromisoformat(args.birth_date) if args.birth_date else None
    except ValueError:
        raise CliError("--birth-date: expected YYYY-MM-DD", EXIT_USAGE) from None
    with _service(args.config) as service:
        entry = StudentEntry(args.student, args.given_names, args.family_name, birth, args.esi)
        try:
            person = student_person(service.database, entry)
            fetched = EwpFetcher(service).fetch(args.partner, args.mobility, person, args.staff or _user())
        except EwpFetchError as error:
            code = EXIT_USAGE if error.stage in ("input", "setup") else EXIT_REFUSED
            raise CliError(f"not stored: {error}", code) from None
    what = "imported" if fetched.status == "imported" else "waiting for staff review"
    print(
        f"transfer {fetched.transfer_id}: {fetched.courses} course(s) from {fetched.partner.name} "
        f"({fetched.partner.hei_id}) over EWP, {what}"
    )
    return EXIT_OK


def _poll(args: argparse.Namespace) -> int:
    from emrex.emc.ewp_fetch import EwpFetcher, EwpFetchError
    from emrex.emc.ewp_poll import poll

    since = None
    if args.modified_since:
        try:
            since = dt.datetime.fromisoformat(args.modified_since)
        except ValueError:
            since = None
        if since is None or since.tzinfo is None:
            raise CliError("--modified-since: expected an ISO 8601 date and time with its zone", EXIT_USAGE)
    with _service(args.config) as service:
        try:
            results = poll(EwpFetcher(service), args.partner, args.staff or _user(), modified_since=since)
        except EwpFetchError as error:
            code = EXIT_USAGE if error.stage in ("input", "setup", "catalogue") else EXIT_REFUSED
            raise CliError(f"nothing fetched: {error}", code) from None
    for result in results:
        print(f"{result.omobility_id}: {result.outcome}" + (f" ({result.detail})" if result.detail else ""))
    print(f"{len(results)} new transcript(s) listed by {args.partner}")
    return EXIT_OK


@contextlib.contextmanager
def _service(path: str) -> Iterator[Any]:
    from emrex.db import DatabaseError
    from emrex.db.owner import open_for_reading
    from emrex.emc.config import EmcConfigError, load_settings
    from emrex.emc.registries import Registries
    from emrex.emc.service import Service

    try:
        settings = load_settings(path)
    except EmcConfigError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    if settings.ewp is None:
        raise CliError(f"{path}: EWP is not configured (add an [emc.ewp] table)", EXIT_USAGE)
    try:
        database = open_for_reading(settings.database_url, "emc", write=True)
    except DatabaseError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    try:
        yield Service(settings, database, Registries([]))
    finally:
        database.dispose()


def _user() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"
