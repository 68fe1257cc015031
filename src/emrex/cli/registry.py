"""``emrex registry …``: look at a registry list, and serve one for a private or test network."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import socket
import sys
from typing import Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError

EXPIRY_WARNING_DAYS = 60


def register(commands: Any) -> None:
    registry = commands.add_parser("registry", help="show and serve EMREX registries (EMREG, EWP catalogue)")
    sub = registry.add_subparsers(title="registry commands", metavar="COMMAND")
    registry.set_defaults(handler=lambda args: _usage(registry))

    p = sub.add_parser("show", help="countries, EMPs and certificates of a registry list")
    p.add_argument("source", help="a file or an http(s) URL: EMREG JSON (emp/ncp list) or an EWP catalogue")
    p.add_argument("--json", action="store_true", help="print JSON for programs instead of text")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a URL (default 10)")
    p.set_defaults(handler=_show)

    p = sub.add_parser("serve", help="serve the registry that a TOML file configures")
    p.add_argument("config", help="TOML file: host, port, [[countries]] and [[emps]] with certificate files")
    p.add_argument("--host", help="address to listen on (default: the file's host, else 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: the file's port, else 8080; 0: any)")
    p.set_defaults(handler=_serve)

    p = sub.add_parser(
        "check-config",
        help="check a registry server's TOML file and print its settings with their sources",
        description="Read the file (and EMREX_REGISTRY_HOST / EMREX_REGISTRY_PORT) as 'serve' would, check "
        "every EMP and certificate, and print each setting with where it came from.",
    )
    p.add_argument("config", help="the TOML file of 'emrex registry serve'")
    p.set_defaults(handler=_check_config)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _show(args: argparse.Namespace) -> int:
    from emrex.registry import RegistrySourceError, load_registry

    quiet = logging.getLogger("emrex.registry")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the reader's warnings are printed below, once
    try:
        registry = load_registry(args.source, timeout=args.timeout)
    except RegistrySourceError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    finally:
        quiet.setLevel(level)
    report = _report(registry, dt.datetime.now(dt.UTC))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_text(report)
    for warning in report["warnings"]:
        print(f"emrex: warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _report(registry: Any, now: dt.datetime) -> dict[str, Any]:
    from emrex.trust.certs import fingerprint, subject_text

    warnings = list(registry.warnings)
    emps = []
    for emp in registry.emps:
        certificates = []
        for cert in emp.certificates:
            expires = cert.not_valid_after_utc
            left = expires - now
            status = "valid"
            if left < dt.timedelta(0):
                status = "expired"
                warnings.append(
                    f"{emp.acronym}: certificate {subject_text(cert)} expired on {expires:%Y-%m-%d}"
                )
            elif left < dt.timedelta(days=EXPIRY_WARNING_DAYS):
                status = "expiring"
                warnings.append(
                    f"{emp.acronym}: certificate {subject_text(cert)} expires on {expires:%Y-%m-%d} "
                    f"(in {left.days} days)"
                )
            certificates.append(
                {
                    "sha256": fingerprint(cert),
                    "subject": subject_text(cert),
                    "notAfter": expires.isoformat(),
                    "status": status,
                }
            )
        emps.append(
            {
                "acronym": emp.acronym,
                "countryCode": emp.country_code,
                "url": emp.url,
                "institutions": list(emp.institutions),
                "certificates": certificates,
            }
        )
    countries = [
        {"countryCode": c.code, "countryName": c.name, "singleFetch": c.single_fetch}
        for c in registry.countries
    ]
    return {"source": registry.source, "countries": countries, "emps": emps, "warnings": warnings}


def _print_text(report: dict[str, Any]) -> None:
    countries, emps = report["countries"], report["emps"]
    summary = f"{_count(len(countries), 'country', 'countries')}, {_count(len(emps), 'EMP', 'EMPs')}"
    print(f"{report['source']}: {summary}")
    listed = {c["countryCode"] for c in countries}
    groups = [
        (c["countryCode"], f"{c['countryName']}" + (" (single fetch)" if c["singleFetch"] else ""))
        for c in countries
    ]
    groups += [
        (code, "(country not listed)")
        for code in dict.fromkeys(e["countryCode"] for e in emps)
        if code not in listed
    ]
    for code, title in groups:
        print(f"\n{code}  {title}")
        members = [e for e in emps if e["countryCode"] == code]
        if not members:
            print("  (no EMP)")
        for emp in members:
            print(f"  {emp['acronym']}  {emp['url']}")
            if emp["institutions"]:
                print(f"    institutions: {', '.join(emp['institutions'])}")
            for cert in emp["certificates"]:
                mark = {"expired": "  EXPIRED", "expiring": "  EXPIRES SOON"}.get(cert["status"], "")
                print(f"    certificate SHA-256 {cert['sha256']}")
                print(f"      subject {cert['subject']}, valid until {cert['notAfter'][:10]}{mark}")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _read_config(path: str) -> Any:
    from emrex.registry.config import ConfigFileMissing, read_server_config

    try:
        return read_server_config(path, os.environ)
    except ConfigFileMissing as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def _check_config(args: argparse.Namespace) -> int:
    from emrex.config import report

    config, loaded = _read_config(args.config)
    registry = config.registry
    print(f"# {args.config}: {len(registry.emps)} EMPs in {len(registry.countries)} countries")
    print(report(loaded))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    config = _read_config(args.config)[0]
    host = args.host or config.host
    port = config.port if args.port is None else args.port
    if not 0 <= port < 65536:
        raise CliError(f"--port {port}: must be from 0 to 65535", EXIT_USAGE)
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", EXIT_INVALID) from None

    import uvicorn

    from emrex.registry.server import create_app
    from emrex.web.server import server_config

    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    registry = config.registry
    print(
        f"emrex registry: serving {len(registry.emps)} EMPs in {len(registry.countries)} countries at "
        f"http://{shown}:{bound}/ (emp-list.json, ncp-list.json, catalogue-v1.xml)",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(server_config(create_app(registry, config.ewp_manifests), log_level="info"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return EXIT_OK
