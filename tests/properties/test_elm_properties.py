"""ELMO -> ELM -> ELMO gives the same model, for generated documents (Hypothesis over emrex.elmo.sample
with generated titles, languages, identifiers, grades, credits, dates and tree shapes)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrex.elm import Sealer, ShapesLibrary, elm_to_elmo, elmo_to_elm, extract_original, validate_credential
from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo
from tests.elm.test_from_elm import _normalised

SEALER = Sealer({"en": "Nordvik Credential Office"}, "SE", "NTRSE-2021002114")
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÅÄÖåäöéΕλένηЖ0123456789", min_size=1, max_size=12)
TEXT = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
LANGS = st.sampled_from([None, "en", "sv", "fi", "no", "de", "el", "pt-BR"])
DATES = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))


@st.composite
def titles(draw: st.DrawFn) -> tuple[m.LangText, ...]:
    langs = draw(st.lists(LANGS, min_size=1, max_size=3, unique=True))
    return tuple(m.LangText(draw(TEXT), lang) for lang in langs)


@st.composite
def instances(draw: st.DrawFn) -> m.LearningOpportunityInstance:
    start = draw(st.none() | DATES)
    status = draw(st.none() | st.sampled_from(list(m.LoiStatus)))
    return m.LearningOpportunityInstance(
        identifiers=tuple(
            m.Identifier(t, draw(WORD))
            for t in draw(st.lists(st.sampled_from(["local", "ewp-loi-id"]), unique=True))
        ),
        start=start,
        date=draw(st.none() | DATES),
        status=status,
        grading_scheme_local_id=draw(st.none() | st.just("scale")),
        result_label=draw(st.none() | WORD),
        credits=tuple(
            m.Credit(scheme, Decimal(draw(st.integers(0, 600))) / 2)
            for scheme in draw(
                st.lists(st.sampled_from(["ECTS", "ects", "SE-HP"]), unique_by=str.casefold, max_size=2)
            )
        ),
        levels=tuple(m.Level("EQF", None, str(n)) for n in draw(st.lists(st.integers(1, 8), max_size=1))),
        language_of_instruction=draw(st.none() | st.sampled_from(["en", "sv", "fi", "xx"])),
        engagement_hours=draw(st.none() | st.integers(1, 400).map(Decimal)),
    )


@st.composite
def courses(draw: st.DrawFn, depth: int = 0) -> m.LearningOpportunitySpecification:
    children = draw(st.lists(courses(depth + 1), max_size=2)) if depth < 2 else []
    return m.LearningOpportunitySpecification(
        titles=draw(titles()),
        identifiers=(m.Identifier("local", draw(WORD)),),
        type=draw(st.none() | st.sampled_from(list(m.LosType))),
        isced_code=draw(st.none() | st.sampled_from(["0613", "0541", "05"])),
        descriptions=draw(st.none() | titles()) or (),
        specifies=draw(instances()),
        has_part=tuple(children),
    )


@st.composite
def documents(draw: st.DrawFn) -> m.Elmo:
    base = sample_elmo(draw(st.integers(1, 12)), seed=draw(st.integers(0, 99)))
    report = base.reports[0]
    extra = draw(st.lists(courses(), max_size=3))
    schemes = (m.GradingScheme("scale", draw(titles())),) if extra else ()
    report = dataclasses.replace(
        report,
        learning_opportunity_specifications=report.learning_opportunity_specifications + tuple(extra),
        grading_schemes=report.grading_schemes + schemes,
    )
    return dataclasses.replace(base, reports=(report, *base.reports[1:]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_the_structured_mapping_round_trips(elmo: m.Elmo) -> None:
    credential = json.loads(elmo_to_elm(elmo, SEALER).to_json())
    back = elm_to_elmo(credential, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).elmo
    assert _normalised(back) == _normalised(elmo)


@settings(max_examples=15, deadline=None)
@given(documents(), st.binary(min_size=1, max_size=200))
def test_the_converted_profile_keeps_any_original_bytes(elmo: m.Elmo, original: bytes) -> None:
    credential = json.loads(elmo_to_elm(elmo, SEALER, original=original).to_json())
    assert extract_original(credential) == original


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents())
def test_generated_credentials_conform_to_the_edc_shapes(library: ShapesLibrary, elmo: m.Elmo) -> None:
    report = validate_credential(elmo_to_elm(elmo, SEALER, original=b"<elmo/>").credential, library=library)
    assert report.conforms, [str(p) for p in report.problems[:3]]
