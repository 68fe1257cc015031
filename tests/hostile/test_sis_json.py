"""Hostile SIS import files (the EMP's JSON import): every problem named by its JSON path, nothing
stored when anything is wrong, and no personal data in the messages' log lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from emrex.db import Database
from emrex.sis.format import SisImportError, parse_sis_json
from emrex.sis.importer import import_sis
from tests.emp.conftest import database, seeded_template
from tests.emp.data import document
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, MARKER_ID, logs_clean, no_traceback, nothing_stored, watch_logs

__all__ = ["database", "seeded_template", "watch_logs"]


def _text() -> str:
    return json.dumps(document())


def _changed(old: str, new: str) -> Callable[[], bytes]:
    def build() -> bytes:
        text = _text()
        assert old in text
        return text.replace(old, new, 1).encode("utf-8")

    return build


def _person(**changes: Any) -> Callable[[], bytes]:
    def build() -> bytes:
        doc = document()
        doc["persons"][0].update(changes)
        return json.dumps(doc).encode()

    return build


# case id -> (the file, words of the problem)
FILES: dict[str, tuple[Callable[[], bytes], str]] = {
    "sis-huge-integer": (_changed('"value": 7.5', '"value": ' + "9" * 5000), "not valid JSON"),
    "sis-nan-credits": (_changed('"value": 7.5', '"value": NaN'), "credits.value: not a number"),
    "sis-credits-out-of-range": (_changed('"value": 7.5', '"value": -1e300'), "credits.value: out of range"),
    "sis-not-utf8": (
        lambda: _text().encode("utf-8").replace(b"Lindqvist", b"Lindqv\xefst"),
        "not valid JSON",
    ),
    "sis-duplicate-key": (
        _changed('"familyName": "Lindqvist"', f'"familyName": "Lindqvist", "familyName": "{MARKER}"'),
        "twice",
    ),
    "sis-oversized-identifier": (
        _person(identifiers={"nationalIdentifier": MARKER_ID * 50}),
        "nationalIdentifier: not a non-empty string of at most 255 characters",
    ),
    "sis-nul-in-name": (_person(givenNames=f"{MARKER}\u0000"), "givenNames: contains control characters"),
    "sis-wrong-types": (_person(results={"not": "a list"}, birthDate=19990314), "persons[0]."),
}
exercised(*FILES, "sis-conflict-found-while-writing")


@pytest.mark.parametrize("case_id", sorted(FILES))
def test_hostile_import_files(database: Database, watch_logs: pytest.LogCaptureFixture, case_id: str) -> None:
    build, words = FILES[case_id]
    with nothing_stored(database), pytest.raises(SisImportError) as caught:
        import_sis(database, parse_sis_json(build()))
    message = str(caught.value)
    assert words in message, message
    no_traceback(message)
    assert MARKER not in message and MARKER_ID not in message
    logs_clean(watch_logs)


def test_a_conflict_found_while_writing_rolls_everything_back(
    database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    doc = document()
    stranger = json.loads(json.dumps(doc["persons"][0]))
    stranger["givenNames"] = MARKER
    doc["persons"] = [stranger]  # the seeded person's identifier, now with another name: still fine
    doc["persons"][0]["results"][0]["parts"][0]["parts"][0]["gradingScheme"] = "NO-SUCH"
    with nothing_stored(database), pytest.raises(SisImportError) as caught:
        import_sis(database, parse_sis_json(json.dumps(doc)))
    assert "NO-SUCH" in str(caught.value)
    assert MARKER not in str(caught.value)
    logs_clean(watch_logs)
