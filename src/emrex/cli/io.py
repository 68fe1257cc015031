"""Reading and writing the files that commands take, with one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path

from emrex.cli import EXIT_INVALID, EXIT_USAGE, CliError
from emrex.elmo import codec
from emrex.errors import EmrexError


def read_bytes(path: str) -> bytes:
    """The bytes of ``path``, or of standard input for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", EXIT_USAGE) from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory, not a file", EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})", EXIT_USAGE) from None


def read_document(path: str, limits: codec.CodecLimits = codec.DEFAULT_LIMITS) -> bytes:
    """The XML bytes of a document given as XML or in the transport form (detected by content)."""
    data = read_bytes(path)
    try:
        return codec.decode(data, limits)
    except EmrexError as exc:
        raise CliError(f"{path}: {exc}", EXIT_USAGE) from None


def write_output(data: bytes, out: str | None) -> None:
    """Write to ``out`` or to standard output when it is None or ``-``."""
    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(out).write_bytes(data)
    except OSError as exc:
        raise CliError(f"{out}: cannot write ({exc.strerror})", EXIT_USAGE) from None


def report_problems(name: str, problems: list[str], most: int = 50) -> int:
    """Every problem of an import file on stderr (the first ``most``), and EXIT_INVALID."""
    for problem in problems[:most]:
        print(f"emrex: {name}: {problem}", file=sys.stderr)
    if len(problems) > most:
        print(f"emrex: … and {len(problems) - most} more", file=sys.stderr)
    print(f"emrex: {name}: {len(problems)} problem(s); nothing was imported", file=sys.stderr)
    return EXIT_INVALID
