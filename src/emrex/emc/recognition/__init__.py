"""Credit recognition ("tillgodoräknande") in the EMC: a student applies to have foreign results credited
against home courses, officers handle the case and decide per target, the SIS is told.

``install(app, service)`` adds the student's and the officers' pages to an EMC app built with
``TEMPLATES`` and ``LOCALE`` among its directories and ``UPLOAD_PATH`` among its large-body paths;
``recognition_api`` adds the cases to the SIS API. docs/RECOGNITION.md describes the whole process.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware

from emrex.emc.recognition.api import recognition_api
from emrex.emc.recognition.catalogue import import_catalogue, parse_catalogue
from emrex.emc.recognition.errors import CaseError, CatalogueError, RecognitionError
from emrex.emc.recognition.staff import staff_router
from emrex.emc.recognition.stats import RecognitionStatistics, recognition_statistics
from emrex.emc.recognition.student import UPLOAD_PATH, student_router
from emrex.emc.service import Service
from emrex.web.errors import too_large_page
from emrex.web.limits import BodyLimitMiddleware

TEMPLATES = Path(__file__).parent / "templates"
LOCALE = Path(__file__).parent / "locale"
FORM_OVERHEAD = 256 * 1024  # the other fields and the multipart framing around an uploaded file

__all__ = [
    "LOCALE",
    "TEMPLATES",
    "UPLOAD_PATH",
    "CaseError",
    "CatalogueError",
    "RecognitionError",
    "RecognitionStatistics",
    "import_catalogue",
    "install",
    "parse_catalogue",
    "recognition_api",
    "recognition_statistics",
]


def install(app: FastAPI, service: Service) -> None:
    """The pages, and a body limit for uploads of the attachment size (the app's own limit for its
    large-body paths is the protocol's, several times more); it sits just outside the app's limit, so
    a refused upload still gets the page, headers and session of every other answer."""
    app.include_router(student_router(service))
    app.include_router(staff_router(service))
    limit = Middleware(
        BodyLimitMiddleware,
        small=service.settings.web.max_protocol_bytes,  # others: the app's own limit decides
        large=service.settings.recognition.max_attachment_bytes + FORM_OVERHEAD,
        large_paths=(UPLOAD_PATH,),
        error_page=too_large_page,
    )
    stack = app.user_middleware
    position = next((i for i, m in enumerate(stack) if m.cls == BodyLimitMiddleware), len(stack))  # type: ignore[comparison-overlap]
    stack.insert(position, limit)
