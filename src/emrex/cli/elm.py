"""``emrex elm …``: convert between ELMO and ELM, validate EDC credentials, fetch the EDC shapes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_bytes, write_output

SEALER_ENV = ("EMREX_EDC_SEALER_NAME", "EMREX_EDC_SEALER_COUNTRY", "EMREX_EDC_SEALER_ID")


def register(commands: Any) -> None:
    elm = commands.add_parser("elm", help="ELMO <-> ELM (European Learning Model) and EDC validation")
    sub = elm.add_subparsers(title="elm commands", metavar="COMMAND")

    p = sub.add_parser(
        "convert",
        help="ELMO (XML or transport form) to an EDC credential, or ELM (plain or sealed) to ELMO 1.7",
        description=(
            "The input's format is told by its content. ELMO becomes an EDC credential of the Converted "
            "profile: the original document travels inside it, and converting back gives its exact bytes. "
            "A sealed credential's payload is read without checking the seal (use 'emrex edc verify'). "
            "Exit status: 0 converted (warnings on stderr), 1 refused, 2 unreadable input or usage."
        ),
    )
    p.add_argument("file", help="the document; - for stdin")
    p.add_argument("--to", choices=("elm", "elmo"), help="the output format (default: the other one)")
    p.add_argument("-o", "--output", help="where to write (default: stdout)")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    _sealer_arguments(p)
    p.set_defaults(handler=_convert)

    p = sub.add_parser(
        "validate",
        help="check an EDC credential (plain or sealed) against the official EDC shapes, offline",
        description=(
            "Exit status: 0 conforms, 1 does not conform or is refused, 2 unreadable input or no shapes."
        ),
    )
    p.add_argument("file", help="the credential; - for stdin")
    p.add_argument("--shapes-dir", metavar="DIR", help="the shapes folder (default: $EMREX_ELM_SHAPES_DIR)")
    p.set_defaults(handler=_validate)

    shapes = sub.add_parser("shapes", help="download the EDC context, shapes and ELM ontology")
    shapes_sub = shapes.add_subparsers(title="shapes commands", metavar="COMMAND")
    p = shapes_sub.add_parser(
        "fetch",
        help="download, check and install the EDC context, shapes and ontology",
        description=(
            "Download the EDC JSON-LD context, the EDC SHACL shapes (generic, converted, accredited, "
            "diploma supplement, issued by mandate) and the ELM 3.2 ontology from the European "
            "Commission's European-Learning-Model repository, check that they compile, and install them."
        ),
    )
    p.add_argument(
        "--dir",
        metavar="DIR",
        help="where to install (default: $EMREX_ELM_SHAPES_DIR or ~/.local/share/emrex/elm-shapes)",
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="a mirror laid out as elm-context/, elm-shacl/ and elm-ontology/ (the reference layout)",
    )
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per download (default 30)")
    p.set_defaults(handler=_fetch)

    p = sub.add_parser(
        "serve",
        help="a drop-in ELMO <-> ELM converter service with the DC4EU converter's REST shape",
        description="POST /rest/request with the DC4EU converter's request JSON; see docs/ELM.md.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    _sealer_arguments(p)
    p.set_defaults(handler=_serve)


def _sealer_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sealer-name", metavar="NAME", help=f"legal name of the sealing organisation (${SEALER_ENV[0]})"
    )
    p.add_argument("--sealer-lang", metavar="LANG", default="en", help="language of that name (default en)")
    p.add_argument("--sealer-country", metavar="CC", help=f"its country, ISO 3166 alpha-2 (${SEALER_ENV[1]})")
    p.add_argument(
        "--sealer-id",
        metavar="ID",
        help=f"its eIDAS identifier as in the seal certificate's organizationIdentifier (${SEALER_ENV[2]})",
    )


def sealer_from(args: argparse.Namespace) -> Any:
    from emrex.elm import Sealer

    name = args.sealer_name or os.environ.get(SEALER_ENV[0])
    country = args.sealer_country or os.environ.get(SEALER_ENV[1])
    ident = args.sealer_id or os.environ.get(SEALER_ENV[2])
    if not (name and country and ident):
        return None
    sealer = Sealer({args.sealer_lang: name}, country.upper(), ident)
    problems = sealer.problems()
    if problems:
        raise CliError("; ".join(problems), EXIT_USAGE)
    return sealer


def _convert(args: argparse.Namespace) -> int:
    from emrex.elm import ConversionRefused, ElmParseError, RemoteContextRefused, convert, read_document
    from emrex.elm.document import Kind
    from emrex.errors import EmrexError

    data = read_bytes(args.file)
    sealer = sealer_from(args)
    try:
        kind = read_document(data).kind
        if (args.to or ("elm" if kind is Kind.ELMO else "elmo")) == "elm" and sealer is None:
            raise CliError(
                "converting to ELM needs the sealing organisation: --sealer-name, --sealer-country and "
                f"--sealer-id (or ${', $'.join(SEALER_ENV)})",
                EXIT_USAGE,
            )
        result = convert(data, to=args.to, sealer=sealer, pretty=args.pretty)
    except (ConversionRefused, RemoteContextRefused) as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_INVALID) from None
    except CliError:
        raise
    except (ElmParseError, EmrexError) as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    for warning in result.warnings:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    write_output(result.output, args.output)
    how = "the embedded original, unchanged" if result.lossless else f"{len(result.warnings)} warning(s)"
    print(f"{args.file}: {result.kind.value} converted to {result.to.upper()} ({how})", file=sys.stderr)
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from emrex.elm import (
        ElmParseError,
        RemoteContextRefused,
        ShapesUnavailable,
        read_document,
        validate_credential,
    )
    from emrex.elm.document import Kind
    from emrex.errors import EmrexError

    data = read_bytes(args.file)
    try:
        document = read_document(data)
        if document.kind is Kind.ELMO or document.credential is None:
            raise CliError(
                f"{args.file}: this is ELMO, not an ELM credential ('emrex elmo validate' checks it)",
                EXIT_USAGE,
            )
        report = validate_credential(document.credential, shapes_dir=args.shapes_dir)
    except ShapesUnavailable as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except RemoteContextRefused as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_INVALID) from None
    except CliError:
        raise
    except (ElmParseError, EmrexError) as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_USAGE) from None
    for note in document.notes:
        print(f"{args.file}: note: {note}")
    for problem in report.problems:
        print(f"{args.file}: error: {problem}")
    print(f"{args.file}: {report.summary()}")
    return EXIT_OK if report.conforms else EXIT_INVALID


def _fetch(args: argparse.Namespace) -> int:
    from emrex.elm import default_shapes_dir
    from emrex.elm.errors import BadFetchRequest, FetchError
    from emrex.elm.shapes_fetch import fetch_shapes

    directory = Path(args.dir).expanduser() if args.dir else default_shapes_dir()
    try:
        result = fetch_shapes(
            directory,
            base_url=args.base_url,
            timeout=args.timeout,
            progress=lambda line: print(line, file=sys.stderr),
        )
    except BadFetchRequest as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except FetchError as exc:
        raise CliError(f"nothing installed: {exc}", EXIT_INVALID) from None
    print(f"EDC shapes ({len(result.profiles)} profiles) installed in {result.directory}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from emrex.elm_service import create_app

    sealer = sealer_from(args)
    if sealer is None:
        print("emrex: no sealing organisation given: the service converts ELM to ELMO only", file=sys.stderr)
    uvicorn.run(create_app(sealer), host=args.host, port=args.port, proxy_headers=False, log_level="warning")
    return EXIT_OK
