"""SIS import documents for the EMP tests: a student with a programme tree and a course abroad."""

from __future__ import annotations

import copy
from typing import Any

STUDENT_ID = "19990314-2389"
NORDVIK = {
    "schac": "nordvik.example",
    "country": "SE",
    "url": "https://www.nordvik.example",
    "names": {"en": "Nordvik University", "sv": "Nordviks universitet"},
    "gradingSchemes": [
        {"id": "SE-UG", "descriptions": {"en": "U (fail), G (pass), VG (pass with distinction)"}},
        {"id": "UNUSED", "descriptions": {"en": "A scheme no result refers to"}},
    ],
}
ATHENS = {
    "schac": "uoa.example.gr",
    "country": "GR",
    "url": "https://www.uoa.example.gr",
    "names": {"en": "University of Athens (example)"},
    "gradingSchemes": [{"id": "GR-10", "descriptions": {"en": "0 to 10; 5 is the lowest pass"}}],
}


def course(local_id: str, title: str, grade: str, ects: float, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": local_id,
        "type": "Course",
        "titles": {"en": title},
        "status": "passed",
        "grade": grade,
        "gradingScheme": "SE-UG",
        "date": "2024-01-12",
        "term": {"titles": {"en": "Autumn 2023"}, "start": "2023-08-28", "end": "2024-01-14"},
        "credits": {"scheme": "ECTS", "value": ects},
        "language": "sv",
    }
    result.update(extra)
    return result


def student(*, courses: int = 0, identifier: str = STUDENT_ID) -> dict[str, Any]:
    """Programme (in progress) -> module -> courses (one failed), a thesis in progress, a course abroad.

    ``courses`` adds that many more passed courses to the module (for benchmarks).
    """
    extra = [course(f"X{n:04d}", f"Extra Course {n}", "G", 5) for n in range(courses)]
    programme = {
        "institution": "nordvik.example",
        "id": "TTF2Y",
        "type": "Degree Programme",
        "titles": {"en": "Master of Science in Engineering Physics", "sv": "Civilingenjör teknisk fysik"},
        "status": "in-progress",
        "start": "2022-08-29",
        "parts": [
            {
                "id": "M1",
                "type": "Module",
                "titles": {"en": "Mathematics"},
                "status": "passed",
                "parts": [
                    course("C1", "Linear Algebra", "VG", 7.5),
                    course("C2", "Real Analysis", "U", 7.5, status="failed"),
                    course("C3", "Probability <b>Theory</b> & Statistics", "G", 6),
                    *extra,
                ],
            },
            {
                "id": "C4",
                "type": "Course",
                "titles": {"en": "Thesis"},
                "status": "in-progress",
            },
        ],
    }
    abroad = {
        "institution": "uoa.example.gr",
        "id": "GR-101",
        "type": "Course",
        "titles": {"en": "Ancient Greek Philosophy"},
        "status": "passed",
        "grade": "8.5",
        "gradingScheme": "GR-10",
        "date": "2023-06-20",
        "credits": {"scheme": "ECTS", "value": 6},
    }
    return {
        "identifiers": {"nationalIdentifier": identifier},
        "givenNames": "Åsa <script>alert(1)</script>",
        "familyName": "Lindqvist",
        "birthDate": "1999-03-14",
        "citizenship": "SE",
        "results": [programme, abroad],
    }


def document(*persons: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "emrex-sis/1",
        "institutions": [copy.deepcopy(NORDVIK), copy.deepcopy(ATHENS)],
        "persons": list(persons) if persons else [student()],
    }
