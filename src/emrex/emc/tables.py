"""The EMC's tables: transfers, foreign credentials, webhook events, and credit recognition."""

from __future__ import annotations

from emrex.emc import models
from emrex.emc.recognition import models as recognition_models

__all__ = ["models", "recognition_models"]
