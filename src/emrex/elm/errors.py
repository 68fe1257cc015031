"""Failures of the ELM layer, each with one readable line."""

from __future__ import annotations

from collections.abc import Sequence

from emrex.errors import EmrexError


class ElmError(EmrexError):
    """Root of the ELM-specific failures."""


class ElmParseError(ElmError):
    """The bytes are not a JSON document we read (size, depth, duplicate members, not JSON, not ELM)."""


class RemoteContextRefused(ElmError):
    """A JSON-LD document names a context that is not one of the local ones; nothing is fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"the document uses the JSON-LD context {url!r}, which is not one of the local contexts "
            "(the EDC and W3C credentials contexts; other contexts are never fetched)"
        )
        self.url = url


class ConversionRefused(ElmError):
    """The input lacks data the output format requires; ``problems`` names each one."""

    def __init__(self, problems: Sequence[str]) -> None:
        problems = tuple(problems) or ("the document cannot be converted",)
        head = problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more)"
        super().__init__(f"cannot convert: {head}")
        self.problems = problems


class ShapesUnavailable(ElmError):
    """The EDC context, shapes or ontology are not in the shapes folder (``emrex elm shapes fetch``)."""


class ShapesUnsupported(ElmError):
    """The shapes use a SHACL feature this validator does not implement (refused rather than ignored)."""


class BadFetchRequest(ElmError):
    """A shapes download request is wrong (a base URL that cannot be used, a destination that is a file)."""


class FetchError(ElmError):
    """A shapes download failed, or what was downloaded is not usable; nothing was changed."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url}: {problem}")
        self.url = url
        self.problem = problem
