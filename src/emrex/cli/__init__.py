"""The ``emrex`` command.

Each area of the platform adds its subcommands from its own module (``register(subparsers)``), so the
command grows without one file knowing every command. Handlers return an exit code and raise
``CliError`` (or any ``EmrexError``) for a one-line message; nobody sees a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from emrex import __version__
from emrex.errors import EmrexError

# Modules that add subcommands, in the order they appear in --help.
COMMAND_MODULES = (
    "emrex.cli.elmo",
    "emrex.cli.elm",
    "emrex.cli.transcript",
    "emrex.cli.edc",
    "emrex.cli.registry",
    "emrex.cli.login",
    "emrex.cli.trust",
    "emrex.cli.keys",
    "emrex.cli.wallet",
    "emrex.cli.db",
    "emrex.cli.emp",
    "emrex.cli.emc",
    "emrex.cli.demo",
    "emrex.cli.oots",
)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class CliError(EmrexError):
    """A message for the user and the exit code that goes with it."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and exit 2, as argparse does, but without the usage block above it.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="emrex", description="EMREX tools: ELMO documents, signatures, registry, services.")
    parser.add_argument("--version", action="version", version=f"emrex {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        code: int = handler(args)
        return code
    except CliError as exc:
        print(f"emrex: {exc}", file=sys.stderr)
        return exc.code
    except EmrexError as exc:
        print(f"emrex: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("emrex: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug of ours: still one line, and a hint to get details
        logging.getLogger("emrex").debug("internal error", exc_info=True)
        print(
            f"emrex: internal error ({type(exc).__name__}: {exc}); rerun with -v for details", file=sys.stderr
        )
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
