"""``emrex elmo …``: work with ELMO documents."""

from __future__ import annotations

import argparse
from typing import Any

from emrex.cli import EXIT_OK
from emrex.cli.io import read_document, write_output
from emrex.elmo import codec


def register(commands: Any) -> None:
    elmo = commands.add_parser("elmo", help="read, write, validate and transport ELMO documents")
    sub = elmo.add_subparsers(title="elmo commands", metavar="COMMAND")

    p = sub.add_parser("decode", help="the XML inside an elmo form value (base64 of gzip)")
    p.add_argument("file", help="the transport form, or XML (passed through); - for stdin")
    p.add_argument("-o", "--output", help="where to write the XML (default: stdout)")
    p.set_defaults(handler=_decode)

    p = sub.add_parser("encode", help="the elmo form value for a document (base64 of gzip)")
    p.add_argument("file", help="the XML, or a transport form (re-encoded); - for stdin")
    p.add_argument("-o", "--output", help="where to write the value (default: stdout)")
    p.set_defaults(handler=_encode)


def _decode(args: argparse.Namespace) -> int:
    write_output(read_document(args.file), args.output)
    return EXIT_OK


def _encode(args: argparse.Namespace) -> int:
    write_output(codec.encode(read_document(args.file)).encode("ascii") + b"\n", args.output)
    return EXIT_OK
