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

    p = sub.add_parser(
        "seal",
        help="seal a PDF transcript (PAdES), so that any PDF validator can check it",
        description="Exit status: 0 sealed, 1 a PDF that cannot be sealed, 2 unreadable input, key or "
        "certificate.",
    )
    p.add_argument("pdf", help="the PDF transcript")
    p.add_argument("--key", required=True, help="the sealing key (RSA or EC, PEM or DER)")
    p.add_argument("--cert", required=True, help="its certificate, then any CA certificates of its chain")
    p.add_argument(
        "--key-password-file", metavar="FILE", help="a file holding the password of an encrypted key"
    )
    p.add_argument("-o", "--output", required=True, help="where to write the sealed PDF")
    p.set_defaults(handler=_seal)

    p = sub.add_parser(
        "verify",
        help="check the seal of a PDF transcript: who sealed it, unchanged or not, chain",
        description="Exit status: 0 accepted, 1 refused or not established, 2 unreadable input or usage.",
    )
    p.add_argument("pdf", help="the sealed PDF")
    p.add_argument("--trust", action="append", default=[], metavar="CERT", help="a trust anchor (repeatable)")
    p.set_defaults(handler=_verify)


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


def _seal(args: argparse.Namespace) -> int:
    from emrex.cli.io import read_bytes
    from emrex.errors import InputTooLarge
    from emrex.seal.errors import PdfSealError, SealingError
    from emrex.seal.pdf import PdfSealer, is_pdf

    pdf = read_bytes(args.pdf)
    if not is_pdf(pdf):
        raise CliError(f"{args.pdf}: not a PDF file", EXIT_USAGE)
    password = read_bytes(args.key_password_file).rstrip(b"\r\n") if args.key_password_file else None
    try:
        sealer = PdfSealer.from_pem(read_bytes(args.key), read_bytes(args.cert), password)
    except SealingError as exc:
        raise CliError(f"{args.key}, {args.cert}: {exc}", EXIT_USAGE) from None
    try:
        sealed = sealer.seal(pdf)
    except InputTooLarge as exc:
        raise CliError(f"{args.pdf}: {exc}", EXIT_USAGE) from None
    except (PdfSealError, SealingError) as exc:
        raise CliError(f"{args.pdf}: {exc}", EXIT_INVALID) from None
    write_output(sealed, args.output)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from emrex.cli.edc import trust_anchors
    from emrex.cli.io import read_bytes
    from emrex.errors import InputTooLarge
    from emrex.seal.errors import PdfNotSealed, PdfSealError
    from emrex.seal.pdf import verify_pdf_seal
    from emrex.seal.result import Status

    try:
        result = verify_pdf_seal(read_bytes(args.pdf), trust=trust_anchors(args.trust))
    except PdfNotSealed as exc:
        raise CliError(f"{args.pdf}: {exc}", EXIT_INVALID) from None
    except (PdfSealError, InputTooLarge) as exc:
        raise CliError(f"{args.pdf}: {exc}", EXIT_USAGE) from None
    verdict = {Status.PASSED: "accepted", Status.FAILED: "refused", Status.INDETERMINATE: "not accepted"}
    when = (
        f"{result.signing_time:%Y-%m-%d %H:%M} UTC (as the sealer reports it)" if result.signing_time else "-"
    )
    lines = [
        f"{args.pdf}: {verdict[result.verdict]}",
        f"  sealed by:    {result.sealer}",
        f"  fingerprint:  SHA-256 {result.fingerprint}",
        f"  signing time: {when}",
    ]
    lines += [
        f"  {c.name + ':':<22}{c.status}: {c.summary}"
        for c in result.checks
        if c.status is not Status.NOT_CHECKED
    ]
    lines += [
        "  not checked:",
        *(f"    {c.name}: {c.summary}" for c in result.checks if c.status is Status.NOT_CHECKED),
    ]
    lines += [f"  warning: {warning}" for warning in result.warnings]
    print("\n".join(lines))
    return EXIT_OK if result.accepted else EXIT_INVALID
