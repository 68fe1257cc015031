"""The student as a transfer keeps them: what the returned results' learner is matched against.

A transfer stores the logged-in person's names, birth date and identifiers when it starts, in a JSON
form of its own (not the login session's, which may change with the login methods)::

    {"given_names": "Åsa", "family_name": "Lind", "birth_date": "1999-03-14",
     "identifiers": {"nationalIdentifier": "19990314-2389"}}
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from emrex.errors import EmrexError
from emrex.identity import LocalPerson
from emrex.web.auth import Person


class StudentRecordError(EmrexError):
    """A transfer's stored student cannot be read back."""


def record_of(person: Person) -> str:
    """The stored form of the logged-in ``person``."""
    return dumps(
        given_names=person.given_names,
        family_name=person.family_name,
        birth_date=person.birth_date,
        identifiers=dict(person.identifiers),
    )


def dumps(
    *, given_names: str, family_name: str, birth_date: dt.date | None, identifiers: dict[str, str]
) -> str:
    data: dict[str, Any] = {
        "given_names": given_names,
        "family_name": family_name,
        "birth_date": birth_date.isoformat() if birth_date else None,
        "identifiers": identifiers,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def read_record(text: str) -> LocalPerson:
    """The stored student as identity matching takes it."""
    try:
        data = json.loads(text)
        birth = data["birth_date"]
        identifiers = data["identifiers"]
        if not isinstance(identifiers, dict):
            raise ValueError("identifiers are not an object")
        return LocalPerson(
            str(data["given_names"]),
            str(data["family_name"]),
            dt.date.fromisoformat(birth) if birth else None,
            {str(k): str(v) for k, v in identifiers.items()},
        )
    except (ValueError, KeyError, TypeError) as error:
        raise StudentRecordError(f"the transfer's stored student cannot be read ({error})") from None
