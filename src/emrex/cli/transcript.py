"""``emrex transcript …``: the human-readable PDF transcript of an ELMO document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_document, write_output

if TYPE_CHECKING:
    from emrex.elmo import model as m
    from emrex.transcript import FontConfig


def register(commands: Any) -> None:
    transcript = commands.add_parser("transcript", help="the PDF transcript of an ELMO document")
    sub = transcript.add_subparsers(title="transcript commands", metavar="COMMAND")
    exits = "Exit status: 0 done, 1 a document or font that cannot be used, 2 unreadable input or usage."

    p = sub.add_parser("render", help="write the PDF transcript of a document", description=exits)
    _common(p)
    p.add_argument("-o", "--output", help="where to write the PDF (default: stdout, unless it is a terminal)")
    p.set_defaults(handler=_render)

    p = sub.add_parser(
        "attach",
        help="the document with its PDF transcript attached (replacing an old one), as unsigned ELMO 1.7",
        description=exits,
    )
    _common(p)
    p.add_argument("-o", "--output", help="where to write the XML (default: stdout)")
    p.set_defaults(handler=_attach)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="XML or the transport form; - for stdin")
    p.add_argument("--language", default="en", help="labels in en or sv; titles in this language first")
    p.add_argument("--font", metavar="TTF", help="a TrueType font to use (default: the packaged Noto Sans)")
    p.add_argument("--bold-font", metavar="TTF", help="a bold TrueType font for headings")


def _render(args: argparse.Namespace) -> int:
    if args.output in (None, "-") and sys.stdout.isatty():
        raise CliError("will not write a PDF to a terminal: give -o FILE or redirect the output", EXIT_USAGE)
    pdf = _pdf(args, _elmo(args.file))
    write_output(pdf, args.output)
    return EXIT_OK


def _attach(args: argparse.Namespace) -> int:
    from emrex.elmo.writer import write_elmo
    from emrex.transcript import attach

    elmo = _elmo(args.file)
    xml = write_elmo(attach(elmo, _pdf(args, elmo), language=args.language))
    write_output(xml, args.output)
    if elmo.signed:
        print(
            "emrex: the input's signature does not cover the new document: sign the output", file=sys.stderr
        )
    return EXIT_OK


def _elmo(path: str) -> m.Elmo:
    from emrex.elmo.errors import ElmoParseError
    from emrex.elmo.reader import read_elmo

    data = read_document(path)
    try:
        return read_elmo(data).elmo
    except ElmoParseError as exc:
        raise CliError(f"{path}: {exc}", EXIT_INVALID) from None


def _pdf(args: argparse.Namespace, elmo: m.Elmo) -> bytes:
    from emrex.transcript import render_transcript

    return render_transcript(elmo, language=args.language, fonts=_fonts(args))


def _fonts(args: argparse.Namespace) -> FontConfig | None:
    from emrex.transcript import FontConfig

    if args.font is None and args.bold_font is None:
        return None
    paths = [Path(p) if p else None for p in (args.font, args.bold_font)]
    for path in paths:
        if path is not None and not path.is_file():
            raise CliError(f"{path}: no such font file", EXIT_USAGE)
    return FontConfig(*paths)
