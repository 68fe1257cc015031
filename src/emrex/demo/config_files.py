"""The demo's services are configured by files, as a deployment's are: emp.toml and emc.toml in the data
folder, written at each start and read back by the services, so that every ``--config`` command works
on the running network (``emrex emc check-config``, ``emrex emp stats``, ``emrex emc purge``)."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
API_TOKEN_FILE = "api-token"  # noqa: S105 - the name of the file, not a secret


def toml_text(data: Mapping[str, Any], comment: str) -> str:
    """``data`` as TOML: tables as sections, lists of tables as ``[[…]]``, tables inside those inline."""
    lines = [f"# {comment}"]
    _table(lines, [], data)
    return "\n".join(lines) + "\n"


def write_config(path: Path, data: Mapping[str, Any], comment: str) -> Path:
    """Write the file whole (readable by its owner only: demo password hashes and paths are inside)."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(toml_text(data, comment), encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(path)
    return path


def api_token(folder: Path) -> str:
    """The demo EMC's SIS API token: made once per data folder, kept in ``folder/api-token``."""
    path = folder / API_TOKEN_FILE
    try:
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 16:
            return token
    except (OSError, UnicodeDecodeError):
        pass
    token = secrets.token_urlsafe(32)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def _table(lines: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or (
            value and isinstance(value, list) and isinstance(value[0], Mapping)
        ):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in nested:
        name = ".".join(_key(part) for part in [*path, key])
        if isinstance(value, Mapping):
            lines += ["", f"[{name}]"]
            _table(lines, [*path, key], value)
            continue
        for item in value:
            lines += ["", f"[[{name}]]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in item.items() if v is not None]


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")
