"""The OOTS flows share the signing key and evidence of tests/oots."""

from __future__ import annotations

from tests.oots.conftest import evidence, oots_dir, oots_key, signer

__all__ = ["evidence", "oots_dir", "oots_key", "signer"]
