"""The tables of the shared web plumbing: web sessions and secrets, login attempts, SAML login state."""

from __future__ import annotations

from emrex.web import store
from emrex.web.login import saml_store, throttle

__all__ = ["saml_store", "store", "throttle"]
