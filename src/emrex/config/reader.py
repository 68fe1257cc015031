"""A service's settings from its TOML file with the environment over it, one convention for all.

``EMREX_<SERVICE>_<KEY>`` sets a top-level setting, ``EMREX_<SERVICE>_<SECTION>__<KEY>`` one in a
table (``__`` between every level: ``EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET``). A secret may instead
come from a file named by ``…_FILE`` (``EMREX_EMC_WEBHOOK__SECRET_FILE=/run/secrets/hook``). Unknown
keys in the file and unknown variables with the service's prefix are refused by name, with the
closest known name when there is one. Every value remembers where it came from.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from emrex.config.errors import ConfigError
from emrex.config.schema import Service, Setting, Table
from emrex.config.values import BadText, coerce

FILE_SUFFIX = "_FILE"
_INDEX = re.compile(r"\[\d+\].*$")


@dataclass(frozen=True)
class Origin:
    kind: Literal["file", "environment"]
    where: str  # the file's path or the variable's name


@dataclass
class Loaded:
    """The merged settings of one service and where each came from (dotted path -> origin)."""

    service: Service
    data: dict[str, Any]
    origins: dict[str, Origin] = field(default_factory=dict)
    file: Path | None = None

    def name(self, path: Iterable[str]) -> str:
        return self.service.label + ".".join(path)

    def origin(self, setting: str) -> Origin | None:
        """Where ``setting`` (as errors name it, ``emc.webhook.secret``) or its table came from."""
        parts = _INDEX.sub("", setting.removeprefix(self.service.label)).split(".")
        while parts:
            found = self.origins.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return None

    def locate(self, error: ConfigError) -> ConfigError:
        """``error`` with the file or variable of the setting it names in front (when known)."""
        setting = str(error).split(":", 1)[0]
        if error.origin or " " in setting:
            return error
        found = self.origin(setting)
        if found is None:
            return error
        return type(error)(f"{found.where}: {error}", setting=setting, origin=found.where, kind=error.kind)


def read(
    service: Service,
    path: str | Path | None,
    environ: Mapping[str, str],
    error: type[ConfigError] = ConfigError,
) -> Loaded:
    """The settings of ``service`` from the file at ``path`` (optional) and ``environ``."""
    data: dict[str, Any] = {}
    file = Path(path) if path is not None else None
    if file is not None:
        document = read_toml(file, error)
        if service.file_table:
            table = document.get(service.file_table)
            if not isinstance(table, dict):
                raise error(
                    f"{file}: {service.file_table}: the file needs an [{service.file_table}] table",
                    setting=service.file_table,
                    origin=str(file),
                    kind="missing",
                )
            refuse_unknown(document, Table("", {service.file_table: service.root}), "", str(file), error)
            document = table
        data = document
    return from_mapping(service, data, environ, error, file=file)


def from_mapping(
    service: Service,
    data: Mapping[str, Any],
    environ: Mapping[str, str],
    error: type[ConfigError] = ConfigError,
    *,
    file: Path | None = None,
) -> Loaded:
    """As ``read``, for settings already parsed (``file``: where they came from, if anywhere)."""
    loaded = Loaded(service, _copy(data), file=file)
    refuse_unknown(loaded.data, service.root, service.label, str(file) if file else "", error)
    if file is not None:
        for dotted in _present(loaded.data, service.root, ()):
            loaded.origins[dotted] = Origin("file", str(file))
    _apply_environment(loaded, environ, error)
    return loaded


def read_toml(path: Path, error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """The parsed file; an unreadable or invalid one raises ``error`` naming the path."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise error(
            f"{path}: cannot read: no such configuration file",
            origin=str(path),
            kind="unreadable",
        ) from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a file", origin=str(path), kind="unreadable") from None
    except OSError as exc:
        raise error(
            f"{path}: cannot read ({exc.strerror or exc})", origin=str(path), kind="unreadable"
        ) from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text", origin=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}", origin=str(path)) from None


def suggestion(name: str, known: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest known name, or nothing."""
    import difflib  # only when a name is wrong: about 20 ms of start-up otherwise

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _known(table: Table) -> str:
    names = list(table.fields)
    return f" (known here: {', '.join(names[:12])}{', ...' if len(names) > 12 else ''})" if names else ""


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def refuse_unknown(
    data: Mapping[str, Any], table: Table, prefix: str, file: str, error: type[ConfigError]
) -> None:
    where = f"{file}: " if file else ""
    for key, value in data.items():
        spec = table.fields.get(key)
        name = f"{prefix}{key}"
        if spec is None:
            if table.free:
                continue
            hint = suggestion(key, table.fields) or _known(table)
            raise error(f"{where}{name}: unknown setting{hint}", setting=name, origin=file, kind="unknown")
        if not isinstance(spec, Table) or spec.free:
            continue
        if spec.many:
            if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
                raise error(
                    f"{where}{name}: must be a list of tables, written [[{key}]]", setting=name, origin=file
                )
            for index, item in enumerate(value):
                refuse_unknown(item, spec, f"{name}[{index}].", file, error)
            continue
        if not isinstance(value, Mapping):
            raise error(f"{where}{name}: expected a table of settings", setting=name, origin=file)
        refuse_unknown(value, spec, f"{name}.", file, error)


def _present(data: Mapping[str, Any], table: Table, prefix: tuple[str, ...]) -> Iterable[str]:
    for key, value in data.items():
        spec = table.fields.get(key)
        path = (*prefix, key)
        yield ".".join(path)
        if isinstance(spec, Table) and not (spec.free or spec.many) and isinstance(value, Mapping):
            yield from _present(value, spec, path)


def variables(service: Service) -> list[str]:
    """Every variable that sets one of the service's settings (secrets also with _FILE)."""
    names = []
    for path, spec in service.root.leaves():
        if isinstance(spec, Table) and spec.many:
            continue
        names.append(service.variable(path))
        if isinstance(spec, Setting) and spec.secret:
            names.append(service.variable(path) + FILE_SUFFIX)
    return names


def _apply_environment(loaded: Loaded, environ: Mapping[str, str], error: type[ConfigError]) -> None:
    service = loaded.service
    for name in sorted(environ):
        rest = name.removeprefix(service.prefix)
        if rest == name or rest in service.not_settings:
            continue
        path, spec, from_file = _resolve(service, name, error)
        if from_file and name.removesuffix(FILE_SUFFIX) in environ:
            raise error(
                f"{name}: set either {name.removesuffix(FILE_SUFFIX)} or {name}, not both",
                setting=loaded.name(path),
                origin=name,
            )
        text = _secret_file(name, environ[name], error) if from_file else environ[name]
        try:
            value = coerce(text, spec.kind)
        except BadText as problem:
            got = "" if spec.secret else f", got {text.strip()!r}"
            raise error(
                f"{name}: expected {problem}{got} ({loaded.name(path)})",
                setting=loaded.name(path),
                origin=name,
            ) from None
        _place(loaded, path, value, name, error)
        loaded.origins[".".join(path)] = Origin("environment", name)


def _resolve(service: Service, name: str, error: type[ConfigError]) -> tuple[tuple[str, ...], Setting, bool]:
    rest = name.removeprefix(service.prefix)
    path = tuple(part.lower() for part in rest.split("__"))
    if not all(path):
        raise error(
            f"{name}: empty part in the variable name (levels are joined by __)", origin=name, kind="unknown"
        )
    if name.endswith(FILE_SUFFIX):
        stem = (*path[:-1], path[-1].removesuffix(FILE_SUFFIX.lower()))
        found = service.lookup(stem)
        if isinstance(found, Setting) and found.secret:
            return stem, found, True
    spec = service.lookup(path)
    if isinstance(spec, Setting):
        return path, spec, False
    dotted = service.label + ".".join(path)
    if isinstance(spec, Table) and spec.free:
        return path, Setting("any", ""), False
    if isinstance(spec, Table) and spec.many:
        raise error(
            f"{name}: {dotted} is a list of tables, set in the file only", setting=dotted, origin=name
        )
    if isinstance(spec, Table):
        raise error(f"{name}: {dotted} is a table; set its keys ({name}__KEY)", setting=dotted, origin=name)
    hint = suggestion(name, variables(service))
    raise error(f"{name}: unknown setting{hint}", setting=dotted, origin=name, kind="unknown")


def _secret_file(name: str, path: str, error: type[ConfigError]) -> str:
    try:
        return Path(path.strip()).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise error(f"{name}: {path.strip()}: no such file", origin=name, kind="unreadable") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise error(
            f"{name}: {path.strip()}: cannot read ({reason})", origin=name, kind="unreadable"
        ) from None


def _place(loaded: Loaded, path: tuple[str, ...], value: Any, name: str, error: type[ConfigError]) -> None:
    table = loaded.data
    for index, part in enumerate(path[:-1]):
        existing = table.get(part)
        if existing is None:
            existing = table[part] = {}
        if not isinstance(existing, dict):
            dotted = loaded.name(path[: index + 1])
            raise error(
                f"{name}: {dotted} is not a table in the configuration file", setting=dotted, origin=name
            )
        table = existing
    table[path[-1]] = value
