"""Inputs the long fuzzing run found: each failed unhandled before its fix."""

from __future__ import annotations

from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo


def test_a_date_with_an_enormous_year_is_a_warning_not_a_crash() -> None:
    # bench/fuzz.py --seed 13, input 44543: <end>202299999999999999999999999999999999-06-04</end>
    document = write_elmo(sample_elmo(1)).replace(b"<start>", b"<start>2022999999999999999999999999", 1)
    result = read_elmo(document)
    assert any("not a valid date" in str(w) for w in result.warnings)
