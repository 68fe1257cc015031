"""Environment variables that point at a file or a database instead of holding a setting.

A module that imports nothing, so the command line names them without loading a service.
"""

from __future__ import annotations

DATABASE_ENV = "EMREX_DATABASE_URL"  # the database of `emrex db` and `emrex emp import`
EMP_CONFIG_ENV = "EMREX_EMP_CONFIG"  # the path of the EMP's TOML file
