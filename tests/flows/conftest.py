"""The OOTS flows share the signing key and evidence of tests/oots."""

from __future__ import annotations

from tests.oots.conftest import oots_key, evidence, oots_dir, signer

__all__ = ["oots_key", "evidence", "oots_dir", "signer"]
