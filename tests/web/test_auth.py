"""Person in the session, and the local-path check that stops open redirects."""

from __future__ import annotations

from datetime import date

import pytest

from emrex.web.auth import Person, PersonError, safe_next

ANNA = Person(
    subject="anna@uni.example",
    given_names="Anna Maria",
    family_name="Berg-Ølund",
    source="headers",
    birth_date=date(2000, 1, 31),
    identifiers={"esi": "urn:schac:personalUniqueCode:int:esi:uni.example:1", "eppn": "anna@uni.example"},
    email="anna@uni.example",
    roles=frozenset({"student", "staff"}),
)


def test_person_round_trips_through_json() -> None:
    assert Person.from_json(ANNA.to_json()) == ANNA
    assert ANNA.display_name == "Anna Maria Berg-Ølund"
    assert ANNA.has_role("staff") and not ANNA.has_role("admin")


@pytest.mark.parametrize(
    "stored",
    ["", "[]", '{"subject": "x"}', ANNA.to_json().replace('"headers"', '"root"'), ANNA.to_json()[:-5]],
)
def test_damaged_stored_person_is_an_error(stored: str) -> None:
    with pytest.raises(PersonError, match="stored login cannot be read"):
        Person.from_json(stored)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example/x",
        "/\r\nSet-Cookie: x=1",
        "/\t/evil.example",
    ],
)
def test_next_that_leaves_the_site_falls_back(value: str | None) -> None:
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", ["/", "/me", "/transfers/42?tab=pdf&x=1", "/a/b#part", "/a//b"])
def test_local_next_is_kept(value: str) -> None:
    assert safe_next(value) == value
