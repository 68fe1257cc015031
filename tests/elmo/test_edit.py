"""Supplying missing values by path (``emrex.elmo.edit``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from emrex.elmo import model as m
from emrex.elmo.edit import parse_assignment, set_value, settable
from emrex.elmo.errors import ElmoEditError
from emrex.elmo.sample import sample_elmo
from emrex.elmo.validation import schema_problems


def without_urls(elmo: m.Elmo) -> m.Elmo:
    reports = tuple(
        dataclasses.replace(r, issuer=dataclasses.replace(r.issuer, url=None)) for r in elmo.reports
    )
    return dataclasses.replace(elmo, reports=reports)


def test_a_missing_issuer_url_is_supplied_for_one_report_or_all() -> None:
    elmo = without_urls(sample_elmo(4))
    assert [str(p) for p in schema_problems(elmo)] == [
        "report[1].issuer.url is required",
        "report[2].issuer.url is required",
    ]
    one = set_value(elmo, "report[2].issuer.url", "https://www.unicollina.example")
    assert [r.issuer.url for r in one.reports] == [None, "https://www.unicollina.example"]
    every = set_value(elmo, "report[*].issuer.url", "https://x.example")
    assert schema_problems(every) == []


def test_other_values_and_their_checks() -> None:
    elmo = sample_elmo(1)
    changed = set_value(elmo, "generatedDate", "2017-01-31")
    assert changed.generated_date == dt.datetime(2017, 1, 31, tzinfo=dt.UTC)
    changed = set_value(changed, "report[1].issueDate", "2017-02-01T10:00+01:00")
    changed = set_value(changed, "report[1].issuer.title", "Københavns Universitet")
    changed = set_value(changed, "report[1].issuer.country", "DK")
    changed = set_value(changed, "report[1].issuer.identifier.schac", "ku.dk")
    issuer = changed.reports[0].issuer
    assert issuer.titles == (m.LangText("Københavns Universitet", "en"),)
    assert (issuer.country, issuer.identifier("schac")) == ("DK", "ku.dk")
    assert issuer.identifier("erasmus") == "S NORDVIK01"  # other identifiers stay
    assert changed.reports[0].issue_date == dt.datetime(
        2017, 2, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("report[1].issuer.url", "ftp://x", "not an http(s) URL"),
        ("report[1].issuer.url", "", "empty"),
        ("report[3].issuer.url", "https://x.example", "has 1 report(s)"),
        ("report[0].issuer.url", "https://x.example", "counted from 1"),
        ("learner.givenNames", "Eve", "cannot be set"),
        ("report[1].issuer.country", "dk", "two-letter"),
        ("generatedDate", "2017-01-31T12:00", "no time zone"),
        ("generatedDate", "yesterday", "not a date"),
        ("report[1].issuer.identifier.<x>", "1", "not an identifier type"),
        ("report[1].issuer.url", "https://x.example/" + "a" * 3000, "longer than"),
    ],
)
def test_what_cannot_be_set_is_refused_in_words(path: str, value: str, words: str) -> None:
    with pytest.raises(ElmoEditError, match=re.escape(words)) as raised:
        set_value(sample_elmo(1), path, value)
    assert "\n" not in str(raised.value)


def test_assignments_and_settable_paths() -> None:
    assert parse_assignment(" report[1].issuer.url = https://a.example/x=1 ") == (
        "report[1].issuer.url",
        "https://a.example/x=1",
    )
    with pytest.raises(ElmoEditError, match="PATH=VALUE"):
        parse_assignment("report[1].issuer.url")
    assert settable("report[12].issuer.url") and settable("generatedDate")
    assert not settable("report[1].los[1].loi") and not settable("report[1].issuer.identifier")
