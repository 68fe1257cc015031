"""Failures of reading, fetching and building registries, each with one readable line."""

from __future__ import annotations

from emrex.errors import EmrexError


class RegistryError(EmrexError):
    """A registry source is unreadable or invalid, or does not list what was asked for."""


class RegistrySourceError(RegistryError):
    """The source cannot be read at all: a missing file, a refused or unreachable URL, an HTTP error."""
