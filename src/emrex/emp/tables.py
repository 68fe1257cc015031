"""The EMP's tables: provider sessions and statistics events (the built-in SIS has its own, ``emrex.sis``)."""

from __future__ import annotations

from emrex.emp import store

__all__ = ["store"]
