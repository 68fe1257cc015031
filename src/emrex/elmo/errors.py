"""Failures of the ELMO format layer, each with one readable line."""

from __future__ import annotations

from collections.abc import Sequence

from emrex.errors import EmrexError


class ElmoError(EmrexError):
    """Root of the ELMO-specific failures."""


class ElmoParseError(ElmoError):
    """The bytes are not an ELMO document we can read (or, in strict mode, not a clean one)."""

    def __init__(
        self, message: str, line: int | None = None, problems: Sequence[str] = (), *, unreadable: bool = False
    ) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.problems = tuple(problems)
        self.unreadable = unreadable  # not XML at all (rather than XML that is not ELMO we accept)


class ElmoValidationError(ElmoError):
    """A model or document lacks what ELMO requires; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[str]) -> None:
        problems = tuple(problems) or ("the document is not valid ELMO",)
        head = problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more)"
        super().__init__(head)
        self.problems = problems


class DataUriError(ElmoError):
    """An attachment content is not a decodable ``data:`` URI."""


class ElmoEditError(ElmoError):
    """A value to supply (``--set PATH=VALUE``) names no settable place or is not a usable value."""
