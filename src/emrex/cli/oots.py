"""``emrex oots …``: the messages of the EU Once-Only Technical System (OOTS)."""

from __future__ import annotations

import argparse
import re
from typing import Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]+")


def register(commands: Any) -> None:
    oots = commands.add_parser("oots", help="check OOTS evidence exchange messages (EDM)")
    sub = oots.add_subparsers(title="oots commands", metavar="COMMAND")
    p = sub.add_parser(
        "check",
        help="check an EDM request, evidence response or error response against the EDM rules",
        description=(
            "Prints each broken rule with its id (R-EDM-…, or EMREX-OOTS-… for checks of ours). The EDM "
            "rules are written by hand from the OOTS Technical Design Documents (EDM 2.0 and 1.0); the "
            "official Schematron is not run. Accepts the EDM XML, or a Domibus WS-plugin SOAP message "
            "carrying it. Exit status: 0 valid (warnings may be printed), 1 rules broken, 2 unreadable."
        ),
    )
    p.add_argument("file", help="the message; - for stdin")
    p.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    from emrex.oots.check import check_message
    from emrex.oots.errors import OotsError

    data = read_bytes(args.file)
    try:
        result = check_message(_edm_body(data, args.file))
    except OotsError as error:
        raise CliError(f"{args.file}: {error}", EXIT_USAGE) from None
    version = "EDM 2.0" if result.version.endswith("v2.0") else "EDM 1.0"
    kind = {"request": "request", "response": "evidence response", "error": "error response"}[result.kind]
    for violation in result.violations:
        where = f"{args.file}:{violation.line}" if violation.line else args.file
        label = "warning: " if violation.warning else ""
        print(f"{where}: {label}{violation.rule}: {_safe(violation.message)}")
    errors = len(result.errors)
    warnings = len(result.violations) - errors
    counted = f"{_count(errors, 'rule')} broken, {_count(warnings, 'warning')}"
    if errors:
        print(f"{args.file}: {version} {kind}: invalid ({counted})")
        return EXIT_INVALID
    print(f"{args.file}: {version} {kind}: valid ({_count(warnings, 'warning')})")
    return EXIT_OK


def _edm_body(data: bytes, path: str) -> bytes:
    """The EDM document itself, or the one a WS-plugin SOAP message carries (detected by content)."""
    head = data[:4096]
    if b"Envelope" not in head or b"http://www.w3.org/2003/05/soap-envelope" not in head:
        return data
    from emrex.oots.domibus import regrep_payload
    from emrex.oots.errors import OotsError

    try:
        return regrep_payload(data)
    except OotsError as error:
        raise CliError(f"{path}: {error}", EXIT_USAGE) from None


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _safe(text: str) -> str:
    return _CONTROL.sub(" ", text)
