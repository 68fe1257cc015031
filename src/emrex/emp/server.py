"""The app factory uvicorn workers call (``emrex emp serve``): settings from the file and environment."""

from __future__ import annotations

import os

from fastapi import FastAPI

from emrex.emp.app import create_emp_app
from emrex.emp.config import load_settings
from emrex.envnames import EMP_CONFIG_ENV as CONFIG_ENV


def app_from_environment() -> FastAPI:
    """Each worker process loads the key and builds the source once; the parent migrated already."""
    settings = load_settings(os.environ.get(CONFIG_ENV) or None, os.environ)
    return create_emp_app(settings, migrate=False)
