"""The EMP's tables: provider sessions and statistics events, and the EWP request ids seen (the
built-in SIS has its own, ``emrex.sis``)."""

from __future__ import annotations

from emrex.emp import ewp_replay, store

__all__ = ["ewp_replay", "store"]
