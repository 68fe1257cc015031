"""Reading what the writer wrote gives the same model; real documents survive read -> write -> read."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrex.elmo import codec
from emrex.elmo import model as m
from emrex.elmo.countries import EUROPASS_COUNTRY_CODES
from emrex.elmo.errors import ElmoValidationError
from emrex.elmo.reader import read_elmo
from emrex.elmo.schema import validate_xsd
from emrex.elmo.writer import write_elmo

WRITABLE = [
    "signed-invalid/fi-emrex__kaisa.xml",
    "unsigned/fi-ncp__my_elmo.xml",
]
# Real documents without issuer/url: the writer refuses rather than inventing one.
LACKING_URL = [
    "signed-valid/dk-emrex__elmo-tomcat-signed.xml",
    "signed-valid/dk-emrex__elmo-tomcat-unsigned.xml",
    "signed-invalid/dk-emrex__elmo-wl-signed.xml",
    "unsigned/dk-emrex__common-java_Example-elmo-Denmark.xml",
    "transport/dk-emrex__elmo-tomcat-signed-zipped-base64.txt",
    "transport/dk-emrex__wl.txt",
]


def unsigned(elmo: m.Elmo) -> m.Elmo:
    return dataclasses.replace(elmo, signed=False)


def test_official_example_round_trips_and_validates(schema_dir: Path) -> None:
    original = read_elmo((schema_dir / "v1.7.0" / "example.xml").read_bytes()).elmo
    data = write_elmo(original)
    assert validate_xsd(data, schema_dir, version="1.7.0").errors == []
    assert read_elmo(data).elmo == unsigned(original)
    assert read_elmo(write_elmo(original, pretty=True)).elmo == unsigned(original)


@pytest.mark.parametrize("name", WRITABLE)
def test_valid_interop_documents_round_trip(interop_dir: Path, schema_dir: Path, name: str) -> None:
    original = read_elmo((interop_dir / name).read_bytes()).elmo
    data = write_elmo(original)
    assert validate_xsd(data, schema_dir, version="1.7.0").errors == []
    assert read_elmo(data).elmo == unsigned(original)


@pytest.mark.parametrize("name", LACKING_URL)
def test_interop_documents_without_issuer_url_are_refused(interop_dir: Path, name: str) -> None:
    raw = (interop_dir / name).read_bytes()
    elmo = read_elmo(codec.decode(raw) if name.startswith("transport/") else raw).elmo
    with pytest.raises(ElmoValidationError) as info:
        write_elmo(elmo)
    assert info.value.problems == ("report[1].issuer.url is required",)
    # with the one missing field supplied, the rest of the document survives the round trip
    issuer = dataclasses.replace(elmo.reports[0].issuer, url="https://www.example.dk")
    fixed = dataclasses.replace(elmo, reports=(dataclasses.replace(elmo.reports[0], issuer=issuer),))
    assert read_elmo(write_elmo(fixed)).elmo == unsigned(fixed)


# --- generated models ------------------------------------------------------------------------------

_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
_WORD = st.text(_CHARS.filter(lambda c: c != " "), min_size=1, max_size=8)
TOKEN = st.lists(_WORD, max_size=3).map(" ".join)
STRING = st.text(st.one_of(_CHARS, st.sampled_from("\n\t\r ")), max_size=20)
LANG = st.sampled_from([None, "en", "sv", "pt-BR"])
OPT_TOKEN = st.none() | TOKEN
DATE = st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))
DATETIME = st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)).map(
    lambda d: d.replace(tzinfo=dt.timezone(dt.timedelta(hours=(d.second % 5) - 2)))
)
DECIMAL = st.decimals(min_value=-1000, max_value=10**6, allow_nan=False, allow_infinity=False, places=3)
COUNTRY = st.none() | st.sampled_from(sorted(EUROPASS_COUNTRY_CODES))
EXTENSION = st.sampled_from([None, b'<x:a xmlns:x="urn:example:x" x:k="v">t<x:b></x:b></x:a>'])


def texts(kind: st.SearchStrategy[str], min_size: int = 0) -> st.SearchStrategy[tuple[m.LangText, ...]]:
    return st.lists(st.builds(m.LangText, kind, LANG), min_size=min_size, max_size=2).map(tuple)


def tuples(strategy: st.SearchStrategy[object], min_size: int = 0) -> st.SearchStrategy[tuple[object, ...]]:
    return st.lists(strategy, min_size=min_size, max_size=2).map(tuple)


IDENTIFIERS = tuples(st.builds(m.Identifier, _WORD, TOKEN))
ATTACHMENT = st.builds(
    m.Attachment,
    identifiers=IDENTIFIERS,
    titles=texts(TOKEN),
    type=st.none() | st.sampled_from(m.AttachmentType),
    descriptions=texts(STRING),
    contents=texts(TOKEN),
    extension=EXTENSION,
)
LOI = st.builds(
    m.LearningOpportunityInstance,
    identifiers=IDENTIFIERS,
    start=st.none() | DATE,
    date=st.none() | DATE,
    academic_term=st.none() | st.builds(m.AcademicTerm, texts(TOKEN, 1), DATE, DATE),
    status=st.none() | st.sampled_from(m.LoiStatus),
    grading_scheme_local_id=OPT_TOKEN,
    result_label=OPT_TOKEN,
    shortened_grading=st.none() | st.builds(m.ShortenedGrading, DECIMAL, DECIMAL, DECIMAL),
    result_distribution=st.none()
    | st.builds(
        m.ResultDistribution,
        tuples(st.builds(m.DistributionCategory, TOKEN, st.integers(0, 10**6)), 1),
        texts(STRING),
    ),
    credits=tuples(
        st.builds(m.Credit, TOKEN, st.none() | DECIMAL, st.none() | st.sampled_from(m.CreditLevel))
    ),
    levels=tuples(st.builds(m.Level, TOKEN, st.none() | st.builds(m.LangText, STRING, LANG), OPT_TOKEN)),
    language_of_instruction=OPT_TOKEN,
    engagement_hours=st.none() | DECIMAL,
    attachment_refs=tuples(STRING),
    grouping=st.none() | st.builds(m.Grouping, st.none() | STRING, st.none() | STRING, STRING),
    extension=EXTENSION,
)
LOS = st.recursive(
    st.builds(m.LearningOpportunitySpecification, titles=texts(TOKEN, 1), specifies=LOI),
    lambda children: st.builds(
        m.LearningOpportunitySpecification,
        titles=texts(TOKEN, 1),
        identifiers=IDENTIFIERS,
        type=st.none() | st.sampled_from(m.LosType),
        subject_area=OPT_TOKEN,
        isced_code=OPT_TOKEN,
        url=OPT_TOKEN,
        descriptions=texts(STRING),
        descriptions_html=texts(STRING),
        specifies=LOI,
        specifies_extension=EXTENSION,
        has_part=tuples(children),
        extension=EXTENSION,
    ),
    max_leaves=4,
)
ADDRESS = st.one_of(
    st.builds(m.Address, recipient_names=tuples(STRING), address_lines=tuples(STRING), country=COUNTRY),
    st.builds(
        m.Address,
        street_name=st.none() | STRING,
        building_number=st.none() | STRING,
        floor=st.none() | STRING,
        delivery_point_codes=tuples(STRING),
        postal_code=st.none() | STRING,
        locality=st.none() | STRING,
        region=st.none() | STRING,
    ),
)
LEARNER = st.builds(
    m.Learner,
    given_names=TOKEN,
    family_name=TOKEN,
    citizenship=COUNTRY,
    identifiers=IDENTIFIERS,
    birth_date=st.none() | DATE,
    place_of_birth=OPT_TOKEN,
    birth_name=OPT_TOKEN,
    current_address=st.none() | ADDRESS,
    gender=st.none() | st.sampled_from(m.Gender),
)
REPORT = st.builds(
    m.Report,
    issuer=st.builds(
        m.Issuer, tuples(st.builds(m.Identifier, _WORD, TOKEN), 1), texts(TOKEN, 1), TOKEN, COUNTRY
    ),
    learning_opportunity_specifications=tuples(LOS),
    issue_date=DATETIME,
    grading_schemes=tuples(st.builds(m.GradingScheme, TOKEN, texts(STRING))),
    attachments=tuples(ATTACHMENT),
)
GROUPS = st.builds(
    m.Groups,
    tuples(
        st.builds(
            m.GroupType,
            texts(TOKEN, 1),
            st.none() | STRING,
            tuples(st.builds(m.Group, texts(TOKEN, 1), st.none() | STRING, st.none() | STRING)),
        )
    ),
)
ELMO = st.builds(
    m.Elmo,
    learner=LEARNER,
    reports=tuples(REPORT, 1),
    generated_date=DATETIME,
    attachments=tuples(ATTACHMENT),
    groups=st.none() | GROUPS,
    extension=EXTENSION,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ELMO)
def test_write_then_read_is_the_identity(elmo: m.Elmo) -> None:
    result = read_elmo(write_elmo(elmo))
    assert result.elmo == elmo
    assert [w for w in result.warnings if w.kind != "value"] == []
