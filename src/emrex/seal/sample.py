"""A realistic EDC credential (ELM 3.2 shapes as the DC4EU converter writes them) for tests, benchmarks
and trying the seal commands: a fictitious learner with ``courses`` graded course results."""

from __future__ import annotations

import random
from typing import Any

from emrex.elm.vocab import ECTS
from emrex.seal.binding import COUNTRY_AUTHORITY as COUNTRY

SUBJECTS = ("Mathematics", "Physics", "Chemistry", "Informatics", "History", "Economics", "Law", "Biology")
GRADES = ("A", "B", "C", "D", "E")


def sample_credential(
    courses: int = 8, *, issuer_identifier: str = "NTRSE-2021001234", country: str = "SWE", seed: int = 0
) -> dict[str, Any]:
    """``issuer_identifier`` is the seal certificate's organizationIdentifier; it becomes the issuer's
    eIDASIdentifier, registered in ``country`` (ISO 3166 alpha-3, as the EU's country authority has it)."""
    pick = random.Random(seed)  # noqa: S311 (made-up grades, not secrets)
    university = _organisation("org:nordvik", "Nordvik University", "Nordviks universitet", country)
    issuer = {
        **_organisation("org:issuer", "Nordvik University", "Nordviks universitet", country),
        "eIDASIdentifier": {
            "id": "urn:epass:legalIdentifier:issuer",
            "type": "LegalIdentifier",
            "notation": issuer_identifier,
            "spatial": _concept(COUNTRY + country, "country", country),
        },
    }
    claims = [_claim(number, university, pick) for number in range(1, courses + 1)]
    return {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "http://data.europa.eu/snb/model/context/edc-ap",
        ],
        "id": "urn:credential:8a0c5e43-3f3c-4e0e-9d0a-5f6c1d2e7b11",
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": _concept(
            "http://data.europa.eu/snb/credential/e34929035b", "credential", "Generic"
        ),
        "credentialSchema": [
            {"id": "http://data.europa.eu/snb/model/ap/edc-generic-full", "type": "ShaclValidator2017"}
        ],
        "issuer": issuer,
        "issuanceDate": "2026-06-30T10:00:00Z",
        "issued": "2026-06-30T10:00:00Z",
        "validFrom": "2026-06-30T10:00:00Z",
        "credentialSubject": {
            "id": "urn:epass:person:1",
            "type": "Person",
            "givenName": {"en": "Åsa"},
            "familyName": {"en": "Lindqvist-Øberg"},
            "dateOfBirth": "1999-04-17T00:00:00",
            "identifier": [
                {"id": "urn:epass:identifier:p1", "type": "Identifier", "notation": "19990417-1234"}
            ],
            "hasClaim": claims,
        },
    }


def _claim(number: int, university: dict[str, Any], pick: random.Random) -> dict[str, Any]:
    subject = pick.choice(SUBJECTS)
    code = f"{subject[:3].upper()}{1000 + number}"
    credits = pick.choice((5, 7.5, 10, 15))
    return {
        "id": f"urn:epass:learningAchievement:{number}",
        "type": "LearningAchievement",
        "title": {"en": f"{subject} {number}: selected topics", "sv": f"{subject} {number}: valda ämnen"},
        "identifier": [
            {
                "id": f"urn:epass:identifier:c{number}",
                "type": "Identifier",
                "schemeName": "local",
                "notation": code,
            }
        ],
        "awardedBy": {
            "id": f"urn:epass:awardingProcess:{number}",
            "type": "AwardingProcess",
            "awardingBody": university,
            "awardingDate": f"2025-{1 + number % 12:02d}-15T00:00:00",
        },
        "wasDerivedFrom": {
            "id": f"urn:epass:assessment:{number}",
            "type": "LearningAssessment",
            "title": {"en": "Overall grade"},
            "grade": {
                "id": f"urn:epass:note:g{number}",
                "type": "Note",
                "noteLiteral": {"en": pick.choice(GRADES)},
            },
        },
        "specifiedBy": {
            "id": f"urn:epass:learningAchievementSpec:{number}",
            "type": "LearningAchievementSpecification",
            "title": {"en": f"{subject} {number}"},
            "creditPoint": [
                {
                    "id": f"urn:epass:creditPoint:{number}",
                    "type": "CreditPoint",
                    "framework": _concept(ECTS, "education-credit", "European Credit Transfer System"),
                    "point": str(credits),
                }
            ],
            "learningOpportunity": {
                "id": f"urn:epass:learningOpportunity:{number}",
                "type": "LearningOpportunity",
                "title": {"en": f"{subject} {number}"},
                "temporal": {
                    "id": f"urn:epass:period:{number}",
                    "type": "PeriodOfTime",
                    "startDate": "2025-01-20T00:00:00",
                    "endDate": "2025-06-05T00:00:00",
                },
            },
        },
    }


def _organisation(key: str, english: str, swedish: str, country: str) -> dict[str, Any]:
    return {
        "id": f"urn:epass:{key}",
        "type": "Organisation",
        "legalName": {"en": english, "sv": swedish},
        "location": [
            {
                "id": f"urn:epass:location:{key}",
                "type": "Location",
                "address": {
                    "id": f"urn:epass:address:{key}",
                    "type": "Address",
                    "countryCode": _concept(COUNTRY + country, "country", country),
                },
            }
        ],
        "identifier": [
            _identifier(key, "schac", "nordvik.example"),
            _identifier(key, "erasmus", "S NORDVIK01"),
        ],
        "homepage": {
            "id": f"urn:epass:webResource:{key}",
            "type": "WebResource",
            "contentURL": "https://nordvik.example/",
        },
    }


def _identifier(key: str, scheme: str, notation: str) -> dict[str, Any]:
    return {
        "id": f"urn:epass:identifier:{key}:{scheme}",
        "type": "Identifier",
        "schemeName": scheme,
        "notation": notation,
    }


def _concept(uri: str, scheme: str, label: str) -> dict[str, Any]:
    return {
        "id": uri,
        "type": "Concept",
        "inScheme": {
            "id": f"http://publications.europa.eu/resource/authority/{scheme}",
            "type": "ConceptScheme",
        },
        "notation": scheme,
        "prefLabel": {"en": label},
    }
