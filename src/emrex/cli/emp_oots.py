"""``emrex emp oots-poll``: the EMP's OOTS backend. It answers every evidence request waiting at the
access point's WS plugin (``[oots] access_point``) and submits the answer, then waits and does it
again; ``--once`` answers what waits now and ends. The preview pages run in ``emrex emp serve``; both
share the exchanges in the EMP's database. Run one poller per EMP.

Exit codes: 0 done (or stopped by Ctrl-C / SIGTERM); 1 the configuration has no usable ``[oots]``
table; 2 the database or, with ``--once``, the access point cannot be reached.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import Any

from emrex.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, CliError
from emrex.envnames import EMP_CONFIG_ENV as CONFIG_ENV

logger = logging.getLogger("emrex.emp.oots")


def add_oots_poll(sub: Any) -> None:
    p = sub.add_parser(
        "oots-poll",
        help="answer OOTS evidence requests waiting at the access point (the [oots] table)",
        description="Answer the OOTS evidence requests waiting at the access point's WS plugin, "
        "every --interval seconds until stopped (or once, with --once).",
    )
    p.add_argument("--config", metavar="FILE", help=f"the EMP's TOML configuration (default: ${CONFIG_ENV})")
    p.add_argument("--interval", type=float, default=2.0, metavar="SECONDS", help="between polls (default 2)")
    p.add_argument("--once", action="store_true", help="answer what waits now, print how many, and end")
    p.set_defaults(handler=_poll)


def _poll(args: argparse.Namespace) -> int:
    from emrex.db import Database, DatabaseError, upgrade
    from emrex.emp.config import load_settings
    from emrex.emp.oots_settings import OotsConfigError, oots_settings
    from emrex.oots import AccessPointError, EvidenceProvider, OotsError, ProviderBackend, WsClient
    from emrex.oots.access_point import HttpWsPlugin
    from emrex.oots.tables import DatabaseExchangeStore

    if not 0.1 <= args.interval <= 3600:
        raise CliError("--interval: expected 0.1 to 3600 seconds", EXIT_USAGE)
    settings = load_settings(args.config or os.environ.get(CONFIG_ENV) or None, os.environ)
    if settings.oots is None:
        raise CliError("oots: the configuration has no [oots] table (docs/OOTS.md)", EXIT_INVALID)
    try:
        oots = oots_settings(
            settings.oots, settings.base_url, settings.http_hosts, sealed=settings.seal is not None
        )
    except OotsConfigError as error:
        raise CliError(str(error), EXIT_INVALID) from None
    if oots.access_point is None:
        raise CliError("oots.access_point: missing (the URL of the access point's WS plugin)", EXIT_INVALID)
    database = Database(settings.database_url)
    try:
        upgrade(database)
        provider = EvidenceProvider(oots.provider, DatabaseExchangeStore(database))
        backend = ProviderBackend(provider, WsClient(HttpWsPlugin(oots.access_point)))
        if args.once:
            try:
                print(f"answered {backend.poll()} request(s)")
            except AccessPointError as error:
                raise CliError(str(error), EXIT_USAGE) from None
            return EXIT_OK
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            try:
                backend.poll()
            except (OotsError, DatabaseError) as error:
                logger.warning("OOTS poll failed: %s", error)
            stop.wait(args.interval)
        return EXIT_OK
    except DatabaseError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    finally:
        database.dispose()
