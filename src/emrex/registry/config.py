"""The configuration of our own registry server: a TOML file of countries and EMPs.

host = "127.0.0.1"          # optional, as is port (8080)
port = 8080
ewp_manifests = ["ewp/fjordby-manifest.xml"]   # optional: EWP hosts listed in catalogue-v1.xml

[[countries]]               # optional: countries of EMPs are added with their ISO name
code = "SE"
name = "Sweden"
singleFetch = false

[[emps]]
acronym = "LADOK"
country = "SE"
institutions = ["All"]      # optional
url = "https://emp.example.se/emrex"
certificates = ["certs/ladok.pem", "certs/ladok-next.pem"]   # relative to this file; PEM or DER
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emrex.config import ConfigError, Loaded, read
from emrex.config.services import REGISTRY
from emrex.registry.builder import CertificateText, RegistryBuilder
from emrex.registry.catalogue import catalogue_from_manifests
from emrex.registry.countries import normalise_code
from emrex.registry.model import Registry, RegistryError


class RegistryConfigError(RegistryError, ConfigError):
    """The server configuration is unreadable or names something wrong; the message names the setting."""


class ConfigFileMissing(RegistryConfigError):
    """The configuration file itself cannot be read."""


Fail = Callable[[str, str], "RegistryConfigError"]


@dataclass(frozen=True)
class ServerConfig:
    registry: Registry
    host: str = "127.0.0.1"
    port: int = 8080
    ewp_manifests: tuple[bytes, ...] = ()  # Discovery manifests of EWP hosts, listed in the catalogue


def load_server_config(path: str | Path, environ: Mapping[str, str] | None = None) -> ServerConfig:
    """Read and check the whole configuration; certificate paths are relative to the file.
    ``EMREX_REGISTRY_HOST`` and ``EMREX_REGISTRY_PORT`` in ``environ`` override the file."""
    return read_server_config(path, environ)[0]


def read_server_config(
    path: str | Path, environ: Mapping[str, str] | None = None
) -> tuple[ServerConfig, Loaded]:
    """The configuration and what it was read from (for ``emrex registry check-config``)."""
    path = Path(path)
    if not path.exists():
        raise ConfigFileMissing(f"{path}: no such file", origin=str(path), kind="unreadable")
    try:
        loaded = read(REGISTRY, path, environ or {}, RegistryConfigError)
    except RegistryConfigError as error:
        if error.kind == "unreadable":
            raise ConfigFileMissing(str(error), origin=error.origin, kind=error.kind) from None
        raise
    return _config(loaded, path), loaded


def _config(loaded: Loaded, path: Path) -> ServerConfig:
    document = loaded.data

    def fail(setting: str, problem: str) -> RegistryConfigError:
        found = loaded.origin(setting)
        where = found.where if found is not None else str(path)
        return RegistryConfigError(f"{where}: {setting}: {problem}", setting=setting, origin=where)

    host = document.get("host", "127.0.0.1")
    if not isinstance(host, str) or not host.strip():
        raise fail("host", "must be a host name or address in quotes")
    port = document.get("port", 8080)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise fail("port", "must be a whole number from 1 to 65535")
    builder = RegistryBuilder(str(path), strict=True, missing_countries="add")
    try:
        for index, country in enumerate(_tables(document, "countries", fail)):
            where = f"countries[{index}]"
            code = _text(country, "code", where, fail)
            if normalise_code(code) is None:
                raise fail(f"{where}.code", f"{code!r} is not a two-letter country code")
            builder.add_country(
                where,
                code,
                _text(country, "name", where, fail, required=False),
                _flag(country, "singleFetch", where, fail),
            )
        emps = _tables(document, "emps", fail)
        if not emps:
            raise fail("emps", "no EMP is configured (add at least one [[emps]] table)")
        for index, emp in enumerate(emps):
            where = f"emps[{index}]"
            country_code = _text(emp, "country", where, fail)
            if normalise_code(country_code) is None:
                raise fail(f"{where}.country", f"{country_code!r} is not a two-letter country code")
            builder.add_emp(
                where,
                acronym=_text(emp, "acronym", where, fail),
                country_code=country_code,
                url=_text(emp, "url", where, fail),
                institutions=_texts(emp, "institutions", where, fail, required=False),
                certificates=_certificates(emp, where, path, fail),
            )
        registry = builder.build()
    except RegistryConfigError:
        raise
    except RegistryError as exc:  # the builder's strict checks: already prefixed with the file
        raise RegistryConfigError(str(exc)) from None
    return ServerConfig(
        registry=registry, host=host.strip(), port=port, ewp_manifests=_manifests(document, path, fail)
    )


def _manifests(document: dict[str, Any], path: Path, fail: Fail) -> tuple[bytes, ...]:
    """``ewp_manifests = ["ewp/fjordby-manifest.xml"]``: files relative to the configuration."""
    found: list[bytes] = []
    names = document.get("ewp_manifests", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise fail("ewp_manifests", "must be a list of file names")
    for index, name in enumerate(names):
        try:
            found.append((path.parent / name).read_bytes())
        except OSError as exc:
            raise fail(f"ewp_manifests[{index}]", f"cannot read {name} ({exc.strerror})") from None
    try:
        catalogue_from_manifests(found)
    except RegistryError as exc:
        raise fail("ewp_manifests", str(exc)) from None
    return tuple(found)


def _tables(document: dict[str, Any], key: str, fail: Fail) -> list[dict[str, Any]]:
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise fail(key, f"must be a list of tables, written [[{key}]]")
    return value


def _text(table: dict[str, Any], key: str, where: str, fail: Fail, *, required: bool = True) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise fail(f"{where}.{key}", "is missing" if value is None else "must be a non-empty string")
    return value


def _flag(table: dict[str, Any], key: str, where: str, fail: Fail) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise fail(f"{where}.{key}", "must be true or false")
    return value


def _texts(table: dict[str, Any], key: str, where: str, fail: Fail, *, required: bool = True) -> list[str]:
    value = table.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(f"{where}.{key}", "is missing" if value is None else "must be a list of non-empty strings")
    return value


def _certificates(emp: dict[str, Any], where: str, path: Path, fail: Fail) -> list[CertificateText]:
    files = _texts(emp, "certificates", where, fail)
    if not files:
        raise fail(f"{where}.certificates", "names no certificate file")
    found: list[CertificateText] = []
    for index, name in enumerate(files):
        setting = f"{where}.certificates[{index}]"
        file = (path.parent / name).resolve()
        try:
            data = file.read_bytes()
        except OSError as exc:
            reason = "no such file" if isinstance(exc, FileNotFoundError) else exc.strerror
            raise fail(setting, f"cannot read {name} ({reason})") from None
        found.append(CertificateText(f"{setting} ({name})", data))
    return found
