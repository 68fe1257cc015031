"""``emrex demo``: a whole EMREX network on this machine (registry, three EMPs, an EMC) until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from emrex.cli import EXIT_OK

DEFAULT_DATA_DIR = Path("var") / "demo"
DEFAULT_PORT_BASE = 8700


def register(commands: Any) -> None:
    p = commands.add_parser(
        "demo",
        help="run a demo EMREX network on localhost: registry, EMPs, EMC, seeded students",
        description=(
            "Start our registry, three data providers (EMPs) of fictional institutions in Norway and "
            "Greece, and the EMC of a fictional home institution, with seeded students and demo "
            "accounts. Prints where to start; the same facts go to DATA_DIR/demo.json. Ctrl-C stops."
        ),
    )
    p.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT_BASE,
        metavar="PORT",
        help=f"the registry's port; the EMC and the EMPs take the next ones (default {DEFAULT_PORT_BASE})",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        metavar="DIR",
        help=f"keys, databases and demo.json; reused by the next start (default {DEFAULT_DATA_DIR})",
    )
    p.add_argument("--reset", action="store_true", help="delete the data folder's earlier demo data first")
    p.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from emrex.demo.config_files import api_token
    from emrex.demo.folder import open_folder
    from emrex.demo.guide import facts, text, write_facts
    from emrex.demo.oots import Poller, oots_backends
    from emrex.demo.runner import bind, close, run
    from emrex.demo.services import Addresses, build_services

    addresses = Addresses(args.port_base)
    sockets = bind(addresses.listeners())  # first: a taken port is reported at once
    try:
        folder = open_folder(args.data_dir, reset=args.reset)
        folder.demo_json.unlink(missing_ok=True)  # present only while this network runs
        content = facts(addresses, folder.root, api_token(folder.emc_dir))
        services = build_services(folder, addresses)
    except BaseException:
        close(sockets)
        raise

    poller = Poller(oots_backends(service.app for service in services))

    def ready() -> None:
        poller.start()  # the Greek EMP's OOTS backend answers what waits at its access point
        write_facts(folder.demo_json, content)
        print(text(content), flush=True)

    def stopped() -> None:
        poller.stop()
        folder.demo_json.unlink(missing_ok=True)
        print("The demo network stopped.", file=sys.stderr, flush=True)

    run(services, sockets, ready, stopped)
    return EXIT_OK
