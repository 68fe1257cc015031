"""What an EMP process loads once at start: its signing key and its results source."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from emrex.config.reader import suggestion
from emrex.db import Database
from emrex.emp.config import EmpConfigError, EmpSettings
from emrex.emp.sources.base import ResultsSource, SourceConfigError
from emrex.emp.sources.rest import RestSource, RestSourceConfig
from emrex.emp.sources.virta import VirtaSource, VirtaSourceConfig
from emrex.errors import EmrexError
from emrex.sis.source import SqlSource, SqlSourceConfig
from emrex.trust.certs import require_valid
from emrex.trust.signer import Signer

if TYPE_CHECKING:
    from emrex.elm.edc_seal import CredentialSealer
    from emrex.seal.pdf import PdfSealer
    from emrex.web.wallet_issuing import WalletIssuing

SOURCE_TYPES = ("sql", "rest", "virta")
_C = TypeVar("_C")


def load_signer(settings: EmpSettings) -> Signer:
    """Key and certificate from the configured files; a certificate not valid now stops start-up."""
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


def transcript_sealer(signer: Signer) -> PdfSealer:
    """A PAdES sealer of the PDF transcript with the EMP's own key and certificate (``seal_transcript``)."""
    # Kept here: pyhanko takes an EMP's start from about 840 to 1210 modules; only a sealing EMP pays.
    from emrex.seal.pdf import PdfSealer

    try:
        return PdfSealer(signer.key, signer.certificate)
    except EmrexError as error:
        raise EmpConfigError(f"seal_transcript: {error}") from None


def credential_sealer(settings: EmpSettings) -> CredentialSealer | None:
    """The EDC seal of the ``[seal]`` table, its certificate checked against the issuer (None without)."""
    if settings.seal is None:
        return None
    from emrex.elm.edc_seal import CredentialSealer, SealSetupError

    try:
        return CredentialSealer.from_settings(settings.seal, where="seal")
    except SealSetupError as error:
        raise EmpConfigError(str(error)) from None


def wallet_issuing(settings: EmpSettings, database: Database) -> WalletIssuing | None:
    """The wallet issuer of the ``[wallet]`` table, its key and certificate checked (None without)."""
    if settings.wallet is None:
        return None
    # Kept here: the issuer (segno, the ELM converter, JOSE) is loaded only by an EMP that issues.
    from emrex.web.wallet_issuing import WalletIssuing
    from emrex.web.wallet_store import DatabaseIssuerStore

    return WalletIssuing.load(
        settings.wallet,
        base_url=settings.base_url,
        title=settings.name,
        store=DatabaseIssuerStore(database),
        where="wallet",
        error=EmpConfigError,
    )


def build_source(config: Mapping[str, Any], database: Database) -> ResultsSource:
    """The results source named by ``source.type``; the other keys are that source's settings."""
    kind = config.get("type", "sql")
    options = {k: v for k, v in config.items() if k != "type"}
    try:
        if kind == "sql":
            return SqlSource(database, _options(SqlSourceConfig, options))
        if kind == "rest":
            return RestSource(_options(RestSourceConfig, options))
        if kind == "virta":
            return VirtaSource(_options(VirtaSourceConfig, options))
    except EmpConfigError:
        raise
    except SourceConfigError as error:
        raise EmpConfigError(f"source.{error}") from None
    except EmrexError as error:  # e.g. an unreadable VIRTA issuer table
        raise EmpConfigError(f"source: {error}") from None
    raise EmpConfigError(f"source.type: {kind!r} is not one of {', '.join(SOURCE_TYPES)}")


def _options(cls: type[_C], options: Mapping[str, Any]) -> _C:
    """``cls(**options)`` with lists as tuples; unknown or mistyped keys name the setting."""
    known = {f.name: str(f.type) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in options.items():
        if key not in known:
            hint = suggestion(key, known) or f" (known: {', '.join(known)})"
            raise EmpConfigError(f"source.{key}: unknown setting{hint}")
        if isinstance(value, list):
            value = tuple(value)
        if not _accepts(known[key], value):
            raise EmpConfigError(f"source.{key}: expected {known[key]}, got {value!r}")
        values[key] = value
    return cls(**values)


def _accepts(annotation: str, value: Any) -> bool:
    """Whether a TOML value fits a field annotated ``annotation`` (the source configs' simple types)."""
    if isinstance(value, bool):
        return "bool" in annotation
    if isinstance(value, int | float):
        return annotation in ("int", "float")
    if isinstance(value, str):
        return "str" in annotation and not annotation.startswith(("tuple", "Mapping"))
    if isinstance(value, tuple):
        return annotation.startswith("tuple") and all(isinstance(v, str) and v for v in value)
    if isinstance(value, Mapping):
        return annotation.startswith("Mapping") and all(isinstance(v, str) for v in value.values())
    return False
