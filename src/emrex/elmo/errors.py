"""Failures of the ELMO format layer, each with one readable line.

Every one is an ``ElmoError`` (and so an ``EmrexError``): catch the root, or the one you can act on.
"""

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


class SchemaUnavailable(ElmoError):
    """No usable schema: no folder configured, a version or file missing, or the XSDs do not compile."""


class BadFetchRequest(ElmoError):
    """A schema download request is wrong (a version or base URL that cannot be used)."""


class FetchError(ElmoError):
    """A schema download failed, or what was downloaded is not a usable schema; nothing was changed."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url}: {problem}")
        self.url = url
        self.problem = problem
