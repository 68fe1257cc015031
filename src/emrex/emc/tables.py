"""The EMC's tables: transfers, foreign credentials, webhook events, credit recognition, and the
requests of "Import from my wallet"."""

from __future__ import annotations

from emrex.emc import models, wallet_store
from emrex.emc.recognition import models as recognition_models

__all__ = ["models", "recognition_models", "wallet_store"]
