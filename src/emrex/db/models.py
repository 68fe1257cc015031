"""Which modules define tables: importing them fills ``Base.metadata`` for migrations and tests."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from emrex.db.base import Base

# Add your module here when it defines tables (one line per module; others edit this tuple too).
MODEL_MODULES: tuple[str, ...] = (
    "emrex.web.store",
    "emrex.web.login.throttle",
    "emrex.web.login.saml_store",
    "emrex.emp.sources.sis_models",
    "emrex.emp.store",
    "emrex.emc.models",
    "emrex.db.owner",
    "emrex.emc.recognition.models",
    "emrex.emp.sources.sis_mobility",
)


def load_models() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
