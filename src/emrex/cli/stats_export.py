"""What ``emrex emp stats`` and ``emrex emc stats`` share: the period options and printing an export."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from emrex.cli import EXIT_OK, EXIT_USAGE, CliError


def add_period_options(parser: argparse.ArgumentParser) -> None:
    months = "YYYY-MM in UTC, at most 36 months"
    parser.add_argument("--from", dest="period_from", metavar="YYYY-MM", help=f"first month ({months})")
    parser.add_argument("--to", dest="period_to", metavar="YYYY-MM", help="last month (default: this one)")


def export_period(args: argparse.Namespace) -> Any:
    """The period of ``--from`` and ``--to`` (default: the last 12 months); exit 2 when unusable."""
    from emrex.db.months import Period, PeriodError

    try:
        return Period.parse(args.period_from, args.period_to)
    except PeriodError as error:
        text = str(error)
        raise CliError(f"--{text}" if text.startswith(("from:", "to:")) else text, EXIT_USAGE) from None


def print_export(export: Any, kind: str) -> int:
    from emrex.figures import to_csv, to_json

    sys.stdout.write(to_csv(export) if kind == "csv" else to_json(export))
    return EXIT_OK
