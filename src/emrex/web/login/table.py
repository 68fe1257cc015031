"""Typed access to one table of the login configuration, naming the setting in every error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import cast

from emrex.config.errors import ConfigError

ROLES = frozenset({"student", "staff", "admin"})


class LoginConfigError(ConfigError):
    """A login setting is missing or has a value we cannot use."""


class TableReader:
    """Typed access to one table of the config, naming the setting in every error."""

    def __init__(self, config: Mapping[str, object], prefix: str) -> None:
        if not isinstance(config, Mapping):
            raise LoginConfigError(f"{prefix}: expected a table of settings")
        self.config = config
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}"

    def _get(self, key: str, default: object) -> object:
        if key in self.config:
            return self.config[key]
        if default is MISSING:
            raise LoginConfigError(f"{self.name(key)}: missing")
        return default

    def string(self, key: str, default: object = None) -> str:
        value = self._get(key, MISSING if default is None else default)
        if not isinstance(value, str):
            raise LoginConfigError(f"{self.name(key)}: expected text, got {type(value).__name__}")
        if not value.strip() and default is None:
            raise LoginConfigError(f"{self.name(key)}: must not be empty")
        return value.strip()

    def url(self, key: str, default: object = None) -> str:
        value = self.string(key, default)
        if value and not value.startswith(("https://", "http://")):
            raise LoginConfigError(f"{self.name(key)}: {value!r} is not an http(s) URL")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise LoginConfigError(f"{self.name(key)}: expected true or false, got {value!r}")
        return value

    def positive(self, key: str, default: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise LoginConfigError(f"{self.name(key)}: expected a positive whole number, got {value!r}")
        return value

    def not_negative(self, key: str, default: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise LoginConfigError(f"{self.name(key)}: expected a whole number of 0 or more, got {value!r}")
        return value

    def file(self, key: str, *, optional: bool = False) -> Path | None:
        text = self.string(key, "" if optional else None)
        if not text:
            return None
        if not Path(text).is_file():
            raise LoginConfigError(f"{self.name(key)}: {text!r} is not a file")
        return Path(text)

    def strings(self, key: str, default: Sequence[str] | None = None) -> list[str]:
        value = self._get(key, MISSING if default is None else list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise LoginConfigError(f"{self.name(key)}: expected a list of text values")
        return [v.strip() for v in value]

    def roles(self, key: str, default: frozenset[str]) -> frozenset[str]:
        roles = frozenset(self.strings(key, sorted(default)))
        unknown = roles - ROLES
        if unknown:
            raise LoginConfigError(
                f"{self.name(key)}: unknown role {sorted(unknown)[0]!r} (use {', '.join(sorted(ROLES))})"
            )
        return roles

    def string_map(self, key: str, allowed: Sequence[str] | None = None) -> dict[str, str]:
        value = self._get(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
        ):
            raise LoginConfigError(f"{self.name(key)}: expected a table of names to non-empty text")
        if allowed is not None:
            for k in value:
                if k not in allowed:
                    raise LoginConfigError(f"{self.name(key)}.{k}: unknown (use {', '.join(allowed)})")
        return dict(value)

    def date_format(self, key: str, default: str) -> str:
        fmt = self.string(key, default)
        try:
            datetime.strptime(date(2001, 2, 3).strftime(fmt), fmt)
        except ValueError:
            raise LoginConfigError(f"{self.name(key)}: {fmt!r} is not a usable date format") from None
        return fmt

    def table(self, key: str) -> TableReader:
        return TableReader(cast(Mapping[str, object], self._get(key, MISSING)), self.name(key))

    def tables(self, key: str) -> list[TableReader]:
        value = self._get(key, [])
        if not isinstance(value, list | tuple):
            raise LoginConfigError(f"{self.name(key)}: expected a list of tables")
        return [
            TableReader(cast(Mapping[str, object], v), f"{self.name(key)}[{i}]") for i, v in enumerate(value)
        ]


MISSING = object()
