"""Simple values: whitespace collapsing without a regular expression must mean what the regex means."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.elmo.values import collapse, is_collapsed

from .test_reader import course, doc

XML_WHITESPACE = re.compile(r"[ \t\n\r]+")
TEXT = st.text(alphabet=st.sampled_from(" \t\n\r\u00a0\u2003ab-"), max_size=12) | st.text(max_size=30)


@given(TEXT)
def test_collapse_is_xs_token_collapsing(text: str) -> None:
    expected = XML_WHITESPACE.sub(" ", text).strip(" ")
    assert collapse(text) == expected
    assert is_collapsed(text) == (expected == text)


def test_identifiers_and_labels_are_collapsed_only_where_xml_whitespace_is() -> None:
    loi = (
        '<resultDistribution><category label=" V\tG " count="3"/>'
        '<category label="G\u00a0+" count="1"/></resultDistribution>'
    )
    extra = (
        '<identifier type=" local\n code ">\n  C  1\n</identifier>'
        '<identifier type="x">\u00a0D\u00a0</identifier>'
    )
    los = doc(los=course(loi=loi, extra=extra))
    spec = read_elmo(los).elmo.reports[0].learning_opportunity_specifications[0]
    assert spec.identifiers == (m.Identifier("local code", "C 1"), m.Identifier("x", "\u00a0D\u00a0"))
    assert spec.specifies is not None and spec.specifies.result_distribution is not None
    labels = [c.label for c in spec.specifies.result_distribution.categories]
    assert labels == ["V G", "G\u00a0+"]


def test_groupings_that_repeat_are_one_value_and_equal_to_a_fresh_one() -> None:
    loi = '<grouping typeref="category" idref="elective"/>'
    courses = course(loi=loi) + course(loi=loi) + course(loi='<grouping typeref="category" idref="core"/>')
    specs = read_elmo(doc(los=courses)).elmo.reports[0].learning_opportunity_specifications
    groupings = [s.specifies.grouping for s in specs if s.specifies is not None]
    assert groupings == [m.Grouping("category", "elective")] * 2 + [m.Grouping("category", "core")]
    assert groupings[0] is groupings[1]


def test_the_fast_constructor_refuses_classes_it_would_build_wrongly(monkeypatch: pytest.MonkeyPatch) -> None:
    from emrex.elmo import values

    @dataclasses.dataclass(frozen=True)
    class WithFactory:
        items: list[str] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class WithPostInit:
        text: str = ""

        def __post_init__(self) -> None:
            pass

    for cls in (WithFactory, WithPostInit):
        monkeypatch.setattr(values, "MADE", (cls,))
        with pytest.raises(TypeError, match=cls.__name__):
            values.check_made_classes()
    monkeypatch.undo()
    values.check_made_classes()  # the real model passes


def test_objects_made_by_the_reader_behave_like_constructed_ones() -> None:
    los = read_elmo(doc(los=course(loi="<status>passed</status>"))).elmo.reports[0]
    spec = los.learning_opportunity_specifications[0]
    built = m.LearningOpportunitySpecification(
        titles=spec.titles, specifies=m.LearningOpportunityInstance(status=m.LoiStatus.PASSED)
    )
    assert spec == built and hash(spec) == hash(built) and repr(spec) == repr(built)
    assert dataclasses.replace(spec, url="https://u.example").url == "https://u.example"
    assert spec.specifies is not None and spec.specifies.credits == () and spec.url is None
