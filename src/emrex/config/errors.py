"""The configuration's errors: one root, each naming the setting and where its value came from."""

from __future__ import annotations

from typing import Literal

from emrex.errors import EmrexError

Kind = Literal["unreadable", "unknown", "invalid", "missing"]


class ConfigError(EmrexError):
    """A setting is missing, unknown or unusable; the one-line message names it and its origin.

    ``setting`` is its dotted name (``server.workers``), ``origin`` the file or environment variable
    its value came from ("" for a default or a missing setting), ``kind`` what went wrong.
    """

    def __init__(self, message: str, *, setting: str = "", origin: str = "", kind: Kind = "invalid") -> None:
        super().__init__(message)
        self.setting = setting
        self.origin = origin
        self.kind: Kind = kind
