"""The tables of the shared web plumbing: web sessions and secrets, login attempts, SAML login state, and
the state of a wallet credential issuer."""

from __future__ import annotations

from emrex.web import store, wallet_store
from emrex.web.login import saml_store, throttle

__all__ = ["saml_store", "store", "throttle", "wallet_store"]
