"""Where an EMP finds a student's results: the built-in SIS (``emrex.sis``), an ELMO REST service, VIRTA.

Every source answers ``fetch(PersonQuery) -> LearnerResults`` or raises ``PersonNotFound`` /
``SourceUnavailable`` (see ``base``). Import the concrete sources from their modules; this package
keeps its import light.
"""

from __future__ import annotations

from emrex.emp.sources.base import (
    DEFAULT_IDENTIFIER_TYPES,
    LearnerResults,
    PersonNotFound,
    PersonQuery,
    ResultsSource,
    SourceConfigError,
    SourceError,
    SourceUnavailable,
    ensure_local_ids,
)

__all__ = [
    "DEFAULT_IDENTIFIER_TYPES",
    "LearnerResults",
    "PersonNotFound",
    "PersonQuery",
    "ResultsSource",
    "SourceConfigError",
    "SourceError",
    "SourceUnavailable",
    "ensure_local_ids",
]
