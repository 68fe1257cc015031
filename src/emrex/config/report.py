"""``check-config``: every effective setting of a service, secrets masked, each with its source."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from emrex.config.reader import Loaded
from emrex.config.schema import Setting, Table
from emrex.config.values import shown

MASK = "********"
NOT_SET = "(not set)"


def report(loaded: Loaded) -> str:
    """One line per setting: ``name = value  # source`` (default, file <path> or environment <VAR>)."""
    rows = list(_rows(loaded, loaded.service.root, loaded.data, ()))
    width = max((len(f"{name} = {value}") for name, value, _ in rows), default=0)
    return "\n".join(f"{name} = {value}".ljust(width) + f"  # {source}" for name, value, source in rows)


def _rows(
    loaded: Loaded, table: Table, data: Mapping[str, Any], path: tuple[str, ...]
) -> Iterator[tuple[str, str, str]]:
    for key, spec in table.fields.items():
        here = (*path, key)
        present = key in data
        value = data.get(key)
        if isinstance(spec, Setting):
            yield loaded.name(here), _value(spec, value, present), _source(loaded, here, present)
        elif spec.many:
            if present and isinstance(value, list):
                yield loaded.name(here), f"{len(value)} [[{key}]] table(s)", _source(loaded, here, present)
        elif spec.free:
            if present and isinstance(value, Mapping):
                for inner, item in value.items():
                    name = (*here, str(inner))
                    text = MASK if inner in spec.secrets and item not in ("", None) else shown(item)
                    yield loaded.name(name), text, _source(loaded, name, True)
        elif present and isinstance(value, Mapping):
            yield from _rows(loaded, spec, value, here)
        elif not spec.optional:
            yield from _rows(loaded, spec, {}, here)


def _value(spec: Setting, value: Any, present: bool) -> str:
    if not present:
        if spec.default is None:
            return NOT_SET
        value = spec.default
    if spec.secret:
        return MASK if value not in ("", None) else '""'
    return shown(value)


def _source(loaded: Loaded, path: tuple[str, ...], present: bool) -> str:
    origin = loaded.origins.get(".".join(path))
    if origin is None:
        return "given" if present else "default"
    return f"{origin.kind} {origin.where}"
