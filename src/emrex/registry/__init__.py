"""The registry of EMREX data providers: model, readers, fetching with a last-good cache, server."""

from __future__ import annotations

from emrex._exports import lazy_exports

TYPE_CHECKING = False  # not typing's: importing typing would cost more than this whole face
if TYPE_CHECKING:
    from emrex.registry.cache import RegistryCache
    from emrex.registry.catalogue import (
        catalogue_from_manifests,
        catalogue_xml,
        read_catalogue,
        read_ewp_catalogue,
    )
    from emrex.registry.emreg import emreg_json, read_emreg_json
    from emrex.registry.errors import RegistryError, RegistrySourceError
    from emrex.registry.hosts import EwpApi, EwpCatalogue, EwpHost, Hei
    from emrex.registry.model import Country, Emp, Registry
    from emrex.registry.sources import load_registry, parse_registry

__all__ = [
    "Country",
    "Emp",
    "EwpApi",
    "EwpCatalogue",
    "EwpHost",
    "Hei",
    "Registry",
    "RegistryCache",
    "RegistryError",
    "RegistrySourceError",
    "catalogue_from_manifests",
    "catalogue_xml",
    "emreg_json",
    "load_registry",
    "parse_registry",
    "read_catalogue",
    "read_emreg_json",
    "read_ewp_catalogue",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "cache": ("RegistryCache",),
        "catalogue": ("catalogue_from_manifests", "catalogue_xml", "read_catalogue", "read_ewp_catalogue"),
        "emreg": ("emreg_json", "read_emreg_json"),
        "errors": ("RegistryError", "RegistrySourceError"),
        "hosts": ("EwpApi", "EwpCatalogue", "EwpHost", "Hei"),
        "model": ("Country", "Emp", "Registry"),
        "sources": ("load_registry", "parse_registry"),
    },
)

