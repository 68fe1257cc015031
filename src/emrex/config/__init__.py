"""One configuration for every service: a TOML file, the environment over it, secrets from files.

``schema`` describes a service's settings (kind, default, one-line doc, secret or not); ``reader``
merges the file and ``EMREX_<SERVICE>_<SECTION>__<KEY>`` variables and refuses unknown names;
``values`` converts environment text; ``report`` prints what ``check-config`` shows; ``services``
holds the schemas of the EMP, the EMC, login and the registry server. Each service then builds its
own typed settings from the merged mapping (``emrex.emp.config``, ``emrex.emc.config``, ...).
"""

from __future__ import annotations

from emrex.config.errors import ConfigError
from emrex.config.reader import Loaded, Origin, from_mapping, read
from emrex.config.report import report
from emrex.config.schema import Service, Setting, Table

__all__ = ["ConfigError", "Loaded", "Origin", "Service", "Setting", "Table", "from_mapping", "read", "report"]
