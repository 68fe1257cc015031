"""What an EMP process loads once at start: its signing key and its results source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from emrex.db import Database
from emrex.emp.config import EmpConfigError, EmpSettings
from emrex.emp.sources.base import DEFAULT_IDENTIFIER_TYPES, ResultsSource
from emrex.errors import EmrexError
from emrex.trust.signer import Signer

SOURCE_TYPES = ("sql",)


def load_signer(settings: EmpSettings) -> Signer:
    """Key and certificate from the configured files; a certificate not valid now stops start-up."""
    from emrex.trust.certs import require_valid

    password = settings.key_password.encode("utf-8") if settings.key_password else None
    for name, path in (("key_file", settings.key_file), ("certificate_file", settings.certificate_file)):
        if not path.is_file():
            raise EmpConfigError(f"{name}: {path} is not a readable file")
    try:
        signer = Signer.from_files(settings.key_file, settings.certificate_file, password)
    except OSError as error:
        raise EmpConfigError(f"key_file/certificate_file: cannot read ({error.strerror})") from None
    except EmrexError as error:
        raise EmpConfigError(f"key_file/certificate_file: {error}") from None
    try:
        require_valid(signer.certificate, dt.datetime.now(dt.UTC))
    except EmrexError as error:
        raise EmpConfigError(f"certificate_file: {error}") from None
    return signer


def build_source(config: Mapping[str, Any], database: Database) -> ResultsSource:
    """The results source named by ``source.type``."""
    kind = config.get("type", "sql")
    if kind == "sql":
        from emrex.emp.sources.sql import SqlSource, SqlSourceConfig

        types = config.get("identifier_types", list(DEFAULT_IDENTIFIER_TYPES))
        if not isinstance(types, list) or not types or not all(isinstance(t, str) and t for t in types):
            raise EmpConfigError("source.identifier_types: expected a list of identifier types")
        unknown = sorted(set(config) - {"type", "identifier_types"})
        if unknown:
            raise EmpConfigError(f"source.{unknown[0]}: unknown setting for the sql source")
        return SqlSource(database, SqlSourceConfig(identifier_types=tuple(types)))
    raise EmpConfigError(f"source.type: {kind!r} is not one of {', '.join(SOURCE_TYPES)}")
