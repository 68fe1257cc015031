"""The database's own table: which service a database belongs to (``emrex_service``)."""

from __future__ import annotations

from emrex.db import owner

__all__ = ["owner"]
