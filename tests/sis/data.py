"""Import documents for the SIS tests: a realistic person with a full tree, and a bulk one."""

from __future__ import annotations

import copy
import json
from typing import Any

NORDVIK = {
    "schac": "nordvik.example",
    "erasmus": "S NORDVIK01",
    "pic": "999000001",
    "country": "SE",
    "url": "https://www.nordvik.example",
    "names": {"sv": "Nordviks universitet", "en": "Nordvik University"},
    "gradingSchemes": [
        {
            "id": "SE-UG",
            "descriptions": {"en": "U (fail), G (pass), VG (pass with distinction)", "sv": "U, G, VG"},
        }
    ],
}
ATHENS = {
    "schac": "uoa.example.gr",
    "country": "GR",
    "url": "https://www.uoa.example.gr",
    "names": {"el": "Εθνικό Πανεπιστήμιο Αθηνών", "en": "University of Athens (example)"},
    "gradingSchemes": [{"id": "GR-10", "descriptions": {"en": "0 to 10; 5 is the lowest pass"}}],
}


def course(local_id: str, title: str, grade: str, ects: float | None = 7.5, **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "id": local_id,
        "type": "Course",
        "titles": {"en": title},
        "status": "passed",
        "grade": grade,
        "gradingScheme": "SE-UG",
        "date": "2024-01-12",
        "term": {"titles": {"en": "Autumn 2023"}, "start": "2023-08-28", "end": "2024-01-14"},
        "eqfLevel": 6,
        "language": "sv",
    }
    if ects is not None:
        c["credits"] = {"scheme": "ECTS", "value": ects}
    c.update(extra)
    return c


def person_doc() -> dict[str, Any]:
    degree = {
        "institution": "nordvik.example",
        "id": "TTF2Y",
        "type": "Degree Programme",
        "titles": {"en": "Master of Science in Engineering Physics", "sv": "Civilingenjör teknisk fysik"},
        "url": "https://www.nordvik.example/ttf2y",
        "status": "in-progress",
        "start": "2022-08-29",
        "eqfLevel": 7,
        "diplomaSupplement": {
            "issueDate": "2026-06-01",
            "lang": "en",
            "introduction": "This Diploma Supplement model was developed by the European Commission...",
            "sections": [
                {
                    "number": "1",
                    "title": "Information identifying the holder of the qualification",
                    "sections": [{"number": "1.1", "title": "Family name(s)", "content": "Παπαδοπούλου"}],
                }
            ],
        },
        "parts": [
            {
                "id": "M1",
                "type": "Module",
                "titles": {"en": "Mathematics"},
                "parts": [
                    course("C1", "Linear Algebra", "VG", 7.5)
                    | {
                        "distribution": {
                            "categories": [{"label": "U", "count": 3}, {"label": "G", "count": 20}],
                            "descriptions": {"en": "All students"},
                        },
                        "descriptions": {"en": "Vectors and matrices."},
                        "iscedCode": "0541",
                        "engagementHours": 200,
                    },
                    course("C2", "Real Analysis", "U", 7.5) | {"status": "failed"},
                    {
                        "id": "C3",
                        "type": "Course",
                        "titles": {"en": "Laboratory Physics"},
                        "status": "passed",
                        "grade": "G",
                        "gradingScheme": "SE-UG",
                        "parts": [
                            {"id": "K1", "type": "Class", "titles": {"en": "Lab 1"}, "credits": {"value": 2}},
                            {"id": "K2", "type": "Class", "titles": {"en": "Lab 2"}, "credits": {"value": 3}},
                        ],
                    },
                ],
            },
            course("C4", "Thesis", "", None) | {"status": "in-progress", "grade": None},
        ],
    }
    abroad = {
        "institution": "uoa.example.gr",
        "id": "GR-101",
        "type": "Course",
        "titles": {"el": "Αρχαία Ελληνική Φιλοσοφία", "en": "Ancient Greek Philosophy"},
        "status": "passed",
        "grade": "8.5",
        "gradingScheme": "GR-10",
        "credits": {"value": 6},
        "language": "el",
    }
    return {
        "identifiers": {
            "nationalIdentifier": "19990314-2389",
            "esi": "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913",
            "email": "Eleni.Papadopoulou@Student.Nordvik.example",
        },
        "givenNames": "Ελένη Åsa",
        "familyName": "Παπαδοπούλου",
        "birthDate": "1999-03-14",
        "citizenship": "GR",
        "gender": 2,
        "placeOfBirth": "Θεσσαλονίκη",
        "results": [degree, abroad],
    }


def document(*persons: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "emrex-sis/1",
        "institutions": [copy.deepcopy(NORDVIK), copy.deepcopy(ATHENS)],
        "persons": list(persons) if persons else [person_doc()],
    }


def bulk_person(courses: int, national_id: str = "20000101-0001") -> dict[str, Any]:
    return {
        "identifiers": {"nationalIdentifier": national_id},
        "givenNames": "Bulk",
        "familyName": "Student",
        "results": [
            {
                "institution": "nordvik.example",
                "id": "BULK",
                "type": "Degree Programme",
                "titles": {"en": "Bulk programme"},
                "parts": [course(f"B{i:05d}", f"Course {i}", "G", 5) for i in range(courses)],
            }
        ],
    }


def dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()
