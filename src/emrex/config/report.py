"""``check-config``: every effective setting of a service, secrets masked, each with its source."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from emrex.config.reader import Loaded
from emrex.config.schema import Setting, Table
from emrex.config.values import shown

MASK = "********"
NOT_SET = "(not set)"


def report(loaded: Loaded, derived: Mapping[str, Any] | None = None) -> str:
    """One line per setting: ``name = value  # source`` (default, file <path> or environment <VAR>).

    ``derived`` maps a dotted setting to the value the service worked out for it from other settings
    (the EMP's ``login.oidc.redirect_uri`` from ``base_url``): an unset setting shows that value with
    the source ``derived`` instead of its default.
    """
    found = dict(derived or {})
    data = _with_derived(loaded.data, found)
    rows = list(_rows(loaded, loaded.service.root, data, (), frozenset(found)))
    width = max((len(f"{name} = {value}") for name, value, _ in rows), default=0)
    return "\n".join(f"{name} = {value}".ljust(width) + f"  # {source}" for name, value, source in rows)


def _with_derived(data: Mapping[str, Any], derived: dict[str, Any]) -> Mapping[str, Any]:
    """``data`` with each derived value placed where it is not given; a given one is not derived."""
    merged: dict[str, Any] = _copy(data)
    for dotted, value in list(derived.items()):
        *tables, key = dotted.split(".")
        here = merged
        for name in tables:
            inner = here.get(name)
            if not isinstance(inner, Mapping):
                break
            here[name] = dict(inner)
            here = here[name]
        else:
            if key not in here and value is not None:
                here[key] = value
                continue
        del derived[dotted]
    return merged


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def _rows(
    loaded: Loaded,
    table: Table,
    data: Mapping[str, Any],
    path: tuple[str, ...],
    derived: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, str, str]]:
    for key, spec in table.fields.items():
        here = (*path, key)
        present = key in data
        value = data.get(key)
        if isinstance(spec, Setting):
            source = "derived" if ".".join(here) in derived else _source(loaded, here, present)
            yield loaded.name(here), _value(spec, value, present), source
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
            yield from _rows(loaded, spec, value, here, derived)
        elif not spec.optional:
            yield from _rows(loaded, spec, {}, here, derived)


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
