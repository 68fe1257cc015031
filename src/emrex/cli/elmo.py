"""``emrex elmo …``: work with ELMO documents."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.cli.io import read_document, write_output
from emrex.elmo import codec

if TYPE_CHECKING:
    from emrex.elmo import model as m
    from emrex.elmo.reader import ReadResult

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]+")


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

    p = sub.add_parser(
        "validate",
        help="check a document: structure and ELMO rules, and the official XSD when a schema folder is given",
        description="Exit status: 0 valid (warnings may be printed), 1 invalid, 2 unreadable input or usage.",
    )
    p.add_argument("file", help="XML or the transport form; - for stdin")
    p.add_argument(
        "--schema-dir",
        metavar="DIR",
        help="validate against the official XSDs in DIR too (default: $EMREX_ELMO_SCHEMA_DIR)",
    )
    p.add_argument("--strict", action="store_true", help="count warnings as errors")
    p.set_defaults(handler=_validate)

    p = sub.add_parser("show", help="a readable summary of a document, or the whole model as JSON")
    p.add_argument("file", help="XML or the transport form; - for stdin")
    p.add_argument("--json", action="store_true", help="print the model as JSON")
    p.set_defaults(handler=_show)

    p = sub.add_parser("normalize", help="read a document leniently and write it as canonical ELMO 1.7")
    p.add_argument("file", help="XML or the transport form; - for stdin")
    p.add_argument("-o", "--output", help="where to write the XML (default: stdout)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        dest="assignments",
        help="supply a value the document lacks, e.g. report[1].issuer.url=https://www.ku.dk "
        "(report[*] for every report; repeat for more)",
    )
    p.set_defaults(handler=_normalize)

    p = sub.add_parser("example", help="write a realistic sample document (fictitious learner)")
    p.add_argument("--courses", type=int, default=8, metavar="N", help="number of courses (default 8)")
    p.add_argument("--seed", type=int, default=0, help="varies grades and credits (default 0)")
    p.add_argument("-o", "--output", help="where to write the XML (default: stdout)")
    p.set_defaults(handler=_example)

    from emrex.cli.elmo_schemas import register_schemas

    register_schemas(sub)


def _decode(args: argparse.Namespace) -> int:
    write_output(read_document(args.file), args.output)
    return EXIT_OK


def _encode(args: argparse.Namespace) -> int:
    write_output(codec.encode(read_document(args.file)).encode("ascii") + b"\n", args.output)
    return EXIT_OK


def _read(path: str, *, track_lines: bool = False, data: bytes | None = None) -> ReadResult:
    from emrex.elmo.errors import ElmoParseError
    from emrex.elmo.reader import read_elmo

    if data is None:
        data = read_document(path)
    try:
        return read_elmo(data, track_lines=track_lines)
    except ElmoParseError as exc:
        raise CliError(f"{path}: {exc}", EXIT_USAGE if exc.unreadable else EXIT_INVALID) from None


def _validate(args: argparse.Namespace) -> int:
    from emrex.elmo.schema import SCHEMA_DIR_ENV
    from emrex.elmo.validation import ERROR, validate

    schema_dir = args.schema_dir or os.environ.get(SCHEMA_DIR_ENV) or None
    data = read_document(args.file)
    result = _read(args.file, track_lines=True, data=data)
    problems = validate(result.elmo, lines=result.lines)
    error_lines = {p.line for p in problems if p.severity == ERROR and p.line}
    lines: list[tuple[int, str, str]] = []  # (line, severity, message)
    for p in problems:
        lines.append((p.line or 0, p.severity, f"{p.path} {p.message}" if p.path else p.message))
    for w in result.warnings:
        if w.kind == "missing" and w.line in error_lines:
            continue  # the same gap is reported as an error with its path
        lines.append((w.line or 0, "warning", w.message))
    if schema_dir:
        lines.extend(_xsd_problems(data, schema_dir))
    lines.sort(key=lambda item: item[0])
    errors = sum(1 for _, severity, _ in lines if severity == ERROR or args.strict)
    warnings = len(lines) - errors
    for line, severity, message in lines:
        where = f"{args.file}:{line}" if line else args.file
        print(f"{where}: {'error' if args.strict else severity}: {_safe(message)}")
    checked = "structure, ELMO rules and XSD" if schema_dir else "structure and ELMO rules"
    if errors:
        counts = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
        print(f"{args.file}: invalid ({counts}; checked {checked})")
        return EXIT_INVALID
    print(f"{args.file}: valid ({_count(warnings, 'warning')}; checked {checked})")
    return EXIT_OK


def _xsd_problems(data: bytes, schema_dir: str) -> list[tuple[int, str, str]]:
    from pathlib import Path

    from emrex.elmo.errors import SchemaUnavailable
    from emrex.elmo.schema import validate_xsd

    try:
        report = validate_xsd(data, Path(schema_dir))
    except SchemaUnavailable as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    return [(p.line, "error", f"XSD {report.version}: {p.message}") for p in report.errors]


def _show(args: argparse.Namespace) -> int:
    result = _read(args.file)
    for w in result.warnings:
        print(f"emrex: warning: {_safe(str(w))}", file=sys.stderr)
    if args.json:
        from emrex.elmo.jsondata import to_json_data

        data = {"version_hint": result.version_hint, "elmo": to_json_data(result.elmo)}
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    print("\n".join(summary_lines(result.elmo, result.version_hint)))
    return EXIT_OK


def summary_lines(elmo: m.Elmo, version_hint: str = "1.x") -> list[str]:
    """The readable summary ``emrex elmo show`` prints."""
    from emrex.elmo.errors import DataUriError

    learner = elmo.learner
    name = _safe(f"{learner.given_names} {learner.family_name}".strip()) or "(no name)"
    born = f", born {learner.birth_date.isoformat()}" if learner.birth_date else ""
    citizen = f", citizenship {learner.citizenship}" if learner.citizenship else ""
    out = [f"Learner: {name}{born}{_safe(citizen)}"]
    out += [f"  {_safe(i.type)}: {_safe(i.value)}" for i in learner.identifiers]
    generated = elmo.generated_date.isoformat() if elmo.generated_date else "(no date)"
    # Reading does not verify: a forged or broken signature is "present" too.
    signature = "signature present, not verified (use `emrex verify`)" if elmo.signed else "not signed"
    out.append(f"Generated {generated}, ELMO {version_hint}, {signature}")
    for r, report in enumerate(elmo.reports, 1):
        issuer = report.issuer
        ids = ", ".join(f"{i.type} {i.value}" for i in issuer.identifiers)
        country = f" ({issuer.country})" if issuer.country else ""
        out.append(f"Report {r}: {_safe(issuer.title('en') or '(no title)')}{_safe(country)} [{_safe(ids)}]")
        for depth, los in report.iter_los():
            out.append("  " * (depth + 1) + _los_line(los))
        out.append(f"  Total: {_number(report.total_ects())} ECTS passed")
    attachments = list(elmo.all_attachments())
    out.append(f"Attachments: {len(attachments) or 'none'}")
    for attachment in attachments:
        kind = attachment.type.value if attachment.type else "(no type)"
        title = attachment.titles[0].text if attachment.titles else "(no title)"
        details = []
        for index in range(len(attachment.contents)):
            try:
                media_type, payload = attachment.payload(index)
                details.append(f"{media_type}, {len(payload)} bytes")
            except DataUriError as exc:
                details.append(str(exc))
        out.append(f"  {kind}: {_safe(title)} ({_safe('; '.join(details) or 'no content')})")
    return out


def _los_line(los: m.LearningOpportunitySpecification) -> str:
    parts = [los.type.value if los.type else "Item", _safe(los.title("en") or "(no title)")]
    loi = los.specifies
    if loi is not None:
        if loi.result_label:
            parts.append(f"grade {_safe(loi.result_label)}")
        if loi.ects is not None:
            parts.append(f"{_number(loi.ects)} ECTS")
        if loi.status is not None:
            parts.append(loi.status.value)
        if loi.date is not None:
            parts.append(loi.date.isoformat())
    return "  ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _number(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _safe(text: str) -> str:
    """Text from a document without control characters (terminal escape sequences)."""
    return _CONTROL.sub(" ", text)


def _assignment(text: str) -> tuple[str, str]:
    from emrex.elmo.edit import parse_assignment
    from emrex.elmo.errors import ElmoEditError

    try:
        return parse_assignment(text)
    except ElmoEditError as exc:
        raise CliError(f"--set {exc}", EXIT_USAGE) from None


def _normalize(args: argparse.Namespace) -> int:
    from emrex.elmo.edit import set_value, settable
    from emrex.elmo.errors import ElmoEditError, ElmoValidationError
    from emrex.elmo.validation import dropped_in_v17
    from emrex.elmo.writer import write_elmo

    assignments = [_assignment(text) for text in args.assignments]
    result = _read(args.file)
    for w in result.warnings:
        print(f"emrex: warning: {_safe(str(w))}", file=sys.stderr)
    elmo = result.elmo
    for path, value in assignments:
        try:
            elmo = set_value(elmo, path, value)
        except ElmoEditError as exc:
            raise CliError(f"--set {exc}", EXIT_USAGE) from None
        print(f"emrex: supplied {path} = {_safe(value)}", file=sys.stderr)
    try:
        data = write_elmo(elmo, pretty=True)
    except ElmoValidationError as exc:
        hints = 0
        for problem in exc.problems:
            path = problem.split(" ", 1)[0]
            hint = f" (supply it with --set {path}=VALUE)" if settable(path) else ""
            hints += bool(hint)
            print(f"emrex: {args.file}: {_safe(problem)}{hint}", file=sys.stderr)
        how = "; --set PATH=VALUE supplies a missing value" if hints else ""
        counted = _count(len(exc.problems), "problem")
        raise CliError(
            f"{args.file}: cannot be written as ELMO 1.7 ({counted}, see above{how})", EXIT_INVALID
        ) from None
    for path in dropped_in_v17(elmo):
        print(f"emrex: warning: {path} is ELMO 2.x data that 1.7 cannot carry; left out", file=sys.stderr)
    if elmo.signed:
        print(
            "emrex: warning: the signature is left out (normalizing changes the signed bytes)",
            file=sys.stderr,
        )
    write_output(data, args.output)
    return EXIT_OK


def _example(args: argparse.Namespace) -> int:
    from emrex.elmo.sample import sample_elmo
    from emrex.elmo.writer import write_elmo

    if not 1 <= args.courses <= 100_000:
        raise CliError("--courses must be between 1 and 100000", EXIT_USAGE)
    write_output(write_elmo(sample_elmo(args.courses, seed=args.seed), pretty=True), args.output)
    return EXIT_OK
