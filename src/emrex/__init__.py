"""EMREX in Python: the ELMO library, the data provider (EMP), the client (EMC) and the registry."""

from __future__ import annotations

__version__ = "0.1.0"
