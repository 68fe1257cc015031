"""ELMO -> ELM: the golden UiO pair against the DC4EU converter's output, and what we carry that it drops.

The golden comparison covers, field by field: the learner's names, birth date and identifiers; for each
course its title, code (the identifiers), grade, ECTS credits, date and awarding body (legal name,
identifiers, homepage, country). Documented differences from DC4EU, not compared: names are tagged
``und`` (ELMO gives no language) where DC4EU uses its first preferred language; DC4EU's ``nationalID``
carries the word "nationalIdentifier" as notation where ours carries the number.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from emrex.elm import ConversionRefused, Sealer, elmo_to_elm, extract_original
from emrex.elm import vocab as v
from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo


def _ids(node: dict[str, Any]) -> set[tuple[str, str]]:
    items = node.get("identifier", [])
    items = items if isinstance(items, list) else [items]
    return {(i["schemeName"], i["notation"]) for i in items}


def _values(text_map: dict[str, str]) -> set[str]:
    return set(text_map.values())


@pytest.fixture
def uio(samples_elm: Path, sealer: Sealer) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    source = (samples_elm / "converter-dc4eu" / "uio-tor.elmo.xml").read_bytes()
    ours = json.loads(elmo_to_elm(read_elmo(source).elmo, sealer, original=source).to_json())
    theirs = json.loads((samples_elm / "converter-dc4eu" / "uio-tor.elm.json").read_bytes())
    return ours, theirs, source


def test_golden_learner(uio: tuple[dict[str, Any], dict[str, Any], bytes]) -> None:
    ours, theirs, _ = uio
    a, b = ours["credentialSubject"], theirs["credentialSubject"]
    assert _values(a["givenName"]) == _values(b["givenName"]) == {"Test"}
    assert _values(a["familyName"]) == _values(b["familyName"]) == {"Testesen"}
    assert a["dateOfBirth"] == b["dateOfBirth"] == "1991-01-20T00:00:00"
    assert _ids(a) == _ids(b) == {("nationalIdentifier", "12345678910")}
    assert a["citizenshipCountry"]["id"] == b["citizenshipCountry"]["id"]
    assert a["nationalID"]["notation"] == "12345678910"


def test_golden_courses(uio: tuple[dict[str, Any], dict[str, Any], bytes]) -> None:
    ours, theirs, _ = uio
    mine, dc4eu = ours["credentialSubject"]["hasClaim"], theirs["credentialSubject"]["hasClaim"]
    assert len(mine) == len(dc4eu) == 2
    for a, b in zip(mine, dc4eu, strict=True):
        assert a["title"] == b["title"]
        assert _ids(a) == _ids(b)  # local, elmo, nus, courseCode, courseVersion and the elmo:type:los marker
        assert (
            a["awardedBy"]["used"]["grade"]["noteLiteral"] == b["awardedBy"]["used"]["grade"]["noteLiteral"]
        )
        assert a["awardedBy"]["used"]["grade"]["type"] == "Note"
        credit_a, credit_b = a["creditReceived"][0], b["creditReceived"]
        assert credit_a["point"] == credit_b["point"]
        assert credit_a["framework"]["id"] == credit_b["framework"]["id"] == v.ECTS
        assert a["awardedBy"]["awardingDate"] == b["awardedBy"]["awardingDate"]
        body_a, body_b = a["awardedBy"]["awardingBody"], b["awardedBy"]["awardingBody"]
        assert body_a["legalName"] == body_b["legalName"]
        assert _ids(body_a) == _ids(body_b)
        assert body_a["homepage"]["contentURL"] == body_b["homepage"]["contentURL"]
        assert (
            body_a["location"]["address"]["countryCode"]["id"]
            == body_b["location"]["address"]["countryCode"]["id"]
        )


def test_what_dc4eu_drops_is_carried(uio: tuple[dict[str, Any], dict[str, Any], bytes]) -> None:
    ours, _, _ = uio
    course = ours["credentialSubject"]["hasClaim"][0]
    period = course["learningOpportunity"]["temporal"]
    assert (period["startDate"], period["endDate"]) == ("2019-01-15T00:00:00", "2019-07-15T00:00:00")
    assert "maximumDuration" not in course["specifiedBy"]  # dates are a period, never a duration
    term = course["influencedBy"]["temporal"]
    assert term["prefLabel"] == {"no": "2019 Vår", "nn": "2019 Vår", "en": "2019 Spring"}
    spec = course["specifiedBy"]
    assert spec["educationSubject"]["notation"] == "11.3"
    assert spec["thematicArea"]["id"] == "http://data.europa.eu/snb/isced-f/0613"
    categories = course["awardedBy"]["used"]["resultDistribution"]["resultCategory"]
    assert [(c["label"], c["count"]) for c in categories] == [
        ("A", 63),
        ("B", 24),
        ("C", 3),
        ("D", 1),
        ("E", 2),
    ]
    assessment_spec = course["awardedBy"]["used"]["specifiedBy"]
    assert assessment_spec["gradingScheme"]["identifier"][0]["notation"] == "30"
    assert assessment_spec["gradingScheme"]["description"]["en"].startswith("A")


def test_the_issuer_is_the_sealer_and_each_claim_is_awarded_by_its_report_issuer(
    uio: tuple[dict[str, Any], dict[str, Any], bytes], sealer: Sealer
) -> None:
    ours, _, _ = uio
    issuer = ours["issuer"]
    assert issuer["legalName"] == {"en": "Nordvik Credential Office"}
    assert issuer["eIDASIdentifier"]["notation"] == "NTRSE-2021002114"
    assert issuer["location"]["address"]["countryCode"]["id"].endswith("/SWE")
    for claim in ours["credentialSubject"]["hasClaim"]:
        assert claim["awardedBy"]["awardingBody"]["legalName"]["en"] == "University of Oslo"


def test_the_converted_profile_carries_the_original_bytes(
    uio: tuple[dict[str, Any], dict[str, Any], bytes],
) -> None:
    ours, _, source = uio
    assert {s["id"] for s in ours["credentialSchema"]} == {v.GENERIC_FULL, v.CONVERTED}
    assert extract_original(ours) == source


def test_the_tree_stays_a_tree_and_texts_keep_their_languages(sealer: Sealer) -> None:
    elmo = sample_elmo(14)
    credential = elmo_to_elm(elmo, sealer).credential
    degree = credential["credentialSubject"]["hasClaim"][0]
    assert degree["specifiedBy"]["type"] == "Qualification"
    assert degree["specifiedBy"]["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/7"
    modules = degree["hasPart"]
    assert [len(module["hasPart"]) for module in modules] == [6, 5]
    course = modules[0]["hasPart"][0]
    assert course["title"] == {"en": "Linear Algebra", "sv": "Linjär algebra"}
    spec = course["influencedBy"]["specifiedBy"]
    assert spec["language"]["id"] == "http://publications.europa.eu/resource/authority/language/SWE"


def test_engagement_hours_and_every_level_are_carried(sealer: Sealer) -> None:
    loi = m.LearningOpportunityInstance(
        engagement_hours=Decimal("40.5"),
        levels=(m.Level("EQF", None, "6"), m.Level("NQF-SE", m.LangText("Kandidat", "sv"), "6")),
        result_label="5",
        shortened_grading=m.ShortenedGrading(*(Decimal(x) for x in ("10", "20", "70"))),
    )
    elmo = _one_course(loi)
    course = elmo_to_elm(elmo, sealer).credential["credentialSubject"]["hasClaim"][0]
    assert course["influencedBy"]["specifiedBy"]["contactHour"] == "40.5"
    levels = course["specifiedBy"]["educationLevel"]
    assert [lv["notation"] for lv in levels] == ["6", "6"]
    assert levels[1]["prefLabel"] == {"sv": "Kandidat"}
    shortened = course["awardedBy"]["used"]["shortenedGrading"]
    assert (shortened["percentageLower"], shortened["percentageEqual"], shortened["percentageHigher"]) == (
        10,
        20,
        70,
    )


def test_what_has_no_home_is_a_warning(sealer: Sealer) -> None:
    loi = m.LearningOpportunityInstance(
        result_label="4",
        shortened_grading=m.ShortenedGrading(*(Decimal(x) for x in ("10.5", "20", "69.5"))),
        result_distribution=m.ResultDistribution(
            (m.DistributionCategory("5", 0), m.DistributionCategory("4", 3))
        ),
    )
    result = elmo_to_elm(_one_course(loi), sealer)
    assert any("whole percentages" in w for w in result.warnings)
    assert any("category '5' with no students" in w for w in result.warnings)


def test_a_sealer_without_its_eidas_identifier_is_refused() -> None:
    with pytest.raises(ConversionRefused, match="eIDAS identifier"):
        elmo_to_elm(sample_elmo(2), Sealer({"en": "X"}, "SE", " "))
    with pytest.raises(ConversionRefused, match="not an ISO 3166 code"):
        elmo_to_elm(sample_elmo(2), Sealer({"en": "X"}, "XX", "NTRSE-1"))


def _one_course(loi: m.LearningOpportunityInstance) -> m.Elmo:
    base = sample_elmo(1)
    report = base.reports[0]
    course = m.LearningOpportunitySpecification(
        titles=(m.LangText("Course", "en"),), identifiers=(m.Identifier("local", "C1"),), specifies=loi
    )
    return m.Elmo(base.learner, (m.Report(report.issuer, (course,), report.issue_date),), base.generated_date)
