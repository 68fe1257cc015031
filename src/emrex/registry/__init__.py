"""The registry of EMREX data providers: model, readers, fetching with a last-good cache, server."""

from __future__ import annotations

from emrex.registry.model import Country, Emp, Registry, RegistryError

__all__ = ["Country", "Emp", "Registry", "RegistryError"]
