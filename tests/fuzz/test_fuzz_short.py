"""A short run of the fuzzers of bench/fuzz.py: no input may make the reader or the EMC fail unhandled."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from bench.fuzzing.mutate import mutate_bytes, mutate_tree
from bench.fuzzing.targets import ReturnTarget, Tally, check_reader, corpus, run


def test_reader_survives_mutated_documents() -> None:
    tally = run("reader", 1200, seed=20261122)
    assert tally.failures == []
    # The mutations reach past the parser: some documents are read (and rewritten), some refused.
    assert tally.outcomes["refused"] > 0 and tally.outcomes["read and rewritten"] > 0


def test_reader_check_reports_an_unhandled_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, **_: object) -> object:
        raise KeyError("boom")

    monkeypatch.setattr("bench.fuzzing.targets.read_elmo", broken)
    tally = Tally()
    check_reader(b"<elmo/>", tally)
    assert len(tally.failures) == 1 and "KeyError" in tally.failures[0]


def test_mutators_are_reproducible_and_change_the_input() -> None:
    docs = corpus()
    first = [mutate_bytes(random.Random(7), docs[0], docs) for _ in range(3)]
    assert first == [mutate_bytes(random.Random(7), docs[0], docs) for _ in range(3)]
    from lxml import etree

    tree = etree.fromstring(docs[1])
    edited = {mutate_tree(random.Random(seed), tree) for seed in range(20)}
    assert docs[1] not in edited and len(edited) > 10


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ReturnTarget]:
    target = ReturnTarget()
    yield target
    target.close()


def test_return_endpoint_survives_fuzzed_answers(endpoint: ReturnTarget) -> None:
    tally = run("return", 150, seed=11, return_target=endpoint)
    assert tally.failures == []
    # Some answers were stored and shown (303 then the page), some refused with a 4xx page.
    assert tally.outcomes["303"] > 0 and tally.outcomes["400"] > 0
    assert sum(tally.outcomes.values()) == 150
