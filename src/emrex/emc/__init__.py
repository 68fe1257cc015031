"""The EMREX client (EMC): the home institution's service that fetches, verifies and stores results.

``create_emc_app(settings)`` builds the ASGI app; ``load_settings(path)`` reads the TOML configuration
(docs/EMC.md). The return path without the web lives in ``emrex.emc.returns``.
"""

from __future__ import annotations

from emrex.emc.app import create_emc_app
from emrex.emc.config import EmcConfigError, EmcSettings, hash_token, load_settings, settings_from_mapping

__all__ = [
    "EmcConfigError",
    "EmcSettings",
    "create_emc_app",
    "hash_token",
    "load_settings",
    "settings_from_mapping",
]
