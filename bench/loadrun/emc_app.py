"""The EMC app factory for uvicorn workers, used when ``emrex emc serve`` has no ``--workers``.

Run: uvicorn bench.loadrun.emc_app:app --factory --workers 2 (configuration in $EMREX_LOAD_EMC_CONFIG;
the load run migrates the database before the workers start).
"""

from __future__ import annotations

import os
from typing import Any


def app() -> Any:
    from emrex.emc import create_emc_app
    from emrex.emc.config import load_settings

    return create_emc_app(load_settings(os.environ["EMREX_LOAD_EMC_CONFIG"]), migrate=False)
