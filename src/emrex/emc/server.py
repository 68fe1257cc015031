"""The app factory uvicorn workers call (``emrex emc serve``): settings from the file and environment."""

from __future__ import annotations

import os

from fastapi import FastAPI

from emrex.emc.app import create_emc_app
from emrex.emc.config import load_settings

CONFIG_ENV = "EMREX_EMC_CONFIG"


def app_from_environment() -> FastAPI:
    """Each worker builds its app; the parent process has migrated the database already."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise RuntimeError(f"{CONFIG_ENV} names no configuration file")
    return create_emc_app(load_settings(path), migrate=False)
