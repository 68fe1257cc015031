"""Every table of the project on one ``Base.metadata``, for migrations and tests.

A package registers its tables by having a ``tables`` module (``emrex.<package>.tables``) that
defines them or imports the modules that do. ``load_models`` imports each such module it finds; this
module names none of them.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from sqlalchemy import MetaData

import emrex
from emrex.db.base import Base

TABLES_MODULE = "tables"


def table_modules() -> tuple[str, ...]:
    """The ``tables`` modules of emrex's packages, by name, found on disk without importing a package."""
    found = []
    for info in pkgutil.iter_modules(emrex.__path__):
        folder = getattr(info.module_finder, "path", None)
        if info.ispkg and folder is not None and (Path(folder) / info.name / f"{TABLES_MODULE}.py").is_file():
            found.append(f"emrex.{info.name}.{TABLES_MODULE}")
    return tuple(sorted(found))


def load_models() -> MetaData:
    for name in table_modules():
        importlib.import_module(name)
    return Base.metadata
