"""What credit recognition refuses, each with a message a person can read.

Messages of ``CaseError`` are written with ``_`` (a marker that returns its text) so that the pages can
show them in the visitor's language; their ``values`` are filled in after translation.
"""

from __future__ import annotations

from typing import Any, ClassVar

from emrex.errors import EmrexError


def _(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


class RecognitionError(EmrexError):
    """Root of the refusals of credit recognition."""


class CaseError(RecognitionError):
    """A case cannot be found or changed as asked.

    ``kind``: ``not_found`` (404), ``state`` (not in this status, 409), ``conflict`` (someone else
    changed the case first, 409), ``invalid`` (bad input, 400), ``too_large`` (413).
    """

    STATUS: ClassVar[dict[str, int]] = {
        "not_found": 404,
        "state": 409,
        "conflict": 409,
        "invalid": 400,
        "too_large": 413,
    }

    def __init__(self, message: str, kind: str, **values: Any) -> None:
        super().__init__(message % values if values else message)
        self.template = message  # in English; translated where it is shown, then filled in
        self.kind = kind
        self.values = values

    @property
    def http_status(self) -> int:
        return self.STATUS.get(self.kind, 400)


class CatalogueError(RecognitionError):
    """The catalogue file is not valid; ``problems`` names each one by its JSON path."""

    def __init__(self, problems: list[str]) -> None:
        head = problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more problems)"
        super().__init__(head)
        self.problems = problems
