"""Environment text into typed values: text stripped, whole numbers, numbers, booleans, paths, URLs,
lists (comma-separated, or a TOML array) and, in free tables, any TOML value."""

from __future__ import annotations

import tomllib
from typing import Any

from emrex.config.schema import Kind

TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")
_EXPECTED: dict[Kind, str] = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list": "a comma-separated list or a TOML array of text",
    "url": "an http(s) URL",
}


class BadText(ValueError):
    """The text is not a value of the kind; ``str()`` says what was expected."""


def coerce(text: str, kind: Kind) -> Any:
    """The value of ``text`` read as ``kind``; raises BadText naming what was expected."""
    value = text.strip()
    if kind in ("text", "path"):
        return value
    if kind == "url":
        if value and not value.startswith(("https://", "http://")):
            raise BadText(_EXPECTED[kind])
        return value
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise BadText(_EXPECTED[kind]) from None
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            raise BadText(_EXPECTED[kind]) from None
    if kind == "bool":
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise BadText(_EXPECTED[kind])
    if kind == "list":
        return _list(value)
    return toml_value(value)


def toml_value(text: str) -> Any:
    """A TOML value (``8``, ``true``, ``["a"]``, ``{a = "b"}``) when ``text`` is one, else the text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def _list(value: str) -> list[str]:
    if value.startswith("["):
        parsed = toml_value(value)
        if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
            raise BadText(_EXPECTED["list"])
        return [v.strip() for v in parsed]
    return [part.strip() for part in value.split(",") if part.strip()]


def shown(value: object) -> str:
    """A value as check-config prints it: TOML-like, a URL's password hidden."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quoted(hide_password(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {shown(v)}" for k, v in value.items()) + "}"
    return str(value)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hide_password(text: str) -> str:
    """``scheme://user:password@host`` with the password replaced by ***."""
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return text
    userinfo, _, host = rest.partition("@")
    if ":" not in userinfo:
        return text
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"
