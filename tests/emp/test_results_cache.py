"""The per-session results cache: one source call per session, never shared, bounded, forgotten at the end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from emrex.emp.results_cache import ResultsCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Source:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def loader(self, answer: str) -> Callable[[], str]:
        def load() -> str:
            self.calls.append(answer)
            return answer

        return load


def test_a_session_fetches_once_and_other_sessions_or_people_fetch_their_own() -> None:
    cache: ResultsCache[str] = ResultsCache(timedelta(minutes=10))
    source = Source()
    assert cache.fetch("flow1", "anna", source.loader("a1")) == "a1"
    assert cache.fetch("flow1", "anna", source.loader("again")) == "a1"
    assert cache.fetch("flow1", "mallory", source.loader("m1")) == "m1"
    assert cache.fetch("flow2", "anna", source.loader("a2")) == "a2"
    assert source.calls == ["a1", "m1", "a2"]


def test_entries_expire_and_a_zero_lifetime_keeps_nothing() -> None:
    clock = Clock()
    cache: ResultsCache[str] = ResultsCache(timedelta(minutes=10), clock=clock)
    cache.fetch("f", "anna", lambda: "old")
    clock.now += 599
    assert cache.fetch("f", "anna", lambda: "new") == "old"
    clock.now += 2
    assert cache.fetch("f", "anna", lambda: "new") == "new"

    off: ResultsCache[str] = ResultsCache(timedelta(0))
    off.fetch("f", "anna", lambda: "one")
    assert off.fetch("f", "anna", lambda: "two") == "two" and len(off) == 0


def test_failures_are_not_kept() -> None:
    cache: ResultsCache[str] = ResultsCache(timedelta(minutes=10))

    def failing() -> str:
        raise TimeoutError("the SIS did not answer")

    with pytest.raises(TimeoutError):
        cache.fetch("f", "anna", failing)
    assert cache.fetch("f", "anna", lambda: "answer") == "answer"


def test_an_ended_session_is_forgotten() -> None:
    cache: ResultsCache[str] = ResultsCache(timedelta(minutes=10))
    cache.fetch("f", "anna", lambda: "a")
    cache.fetch("g", "anna", lambda: "b")
    cache.drop("f")
    assert len(cache) == 1
    assert cache.fetch("f", "anna", lambda: "fresh") == "fresh"


def test_bounded_in_sessions_and_in_weight_least_recently_used_first() -> None:
    cache: ResultsCache[str] = ResultsCache(timedelta(minutes=10), max_sessions=2, weigh=len, max_weight=10)
    cache.fetch("1", "p", lambda: "aaaa")
    cache.fetch("2", "p", lambda: "bbbb")
    cache.fetch("1", "p", lambda: "unused")  # 1 is now the most recently used
    cache.fetch("3", "p", lambda: "cccc")  # over two sessions: 2 goes
    assert cache.fetch("2", "p", lambda: "BBBB") == "BBBB"  # 2 was evicted; now 1 goes (3 + 2 = 8)
    assert len(cache) == 2 and cache.weight == 8
    cache.fetch("4", "p", lambda: "dddddd")  # weight 14 > 10: the oldest go until it fits
    assert cache.weight <= 10
    assert cache.fetch("4", "p", lambda: "unused") == "dddddd"
    too_big = "x" * 11
    assert cache.fetch("5", "p", lambda: too_big) == too_big  # answered, but never kept
    assert cache.fetch("5", "p", lambda: "again") == "again"


def test_what_is_kept_is_found_without_loading_and_only_for_its_session_and_person() -> None:
    clock = Clock()
    cache: ResultsCache[str] = ResultsCache(timedelta(minutes=10), clock=clock)
    assert cache.kept("flow1", "anna") is None
    cache.fetch("flow1", "anna", Source().loader("a1"))
    assert cache.kept("flow1", "anna") == "a1"
    assert cache.kept("flow1", "mallory") is None
    assert cache.kept("flow2", "anna") is None
    clock.now += 601
    assert cache.kept("flow1", "anna") is None  # expired
    off: ResultsCache[str] = ResultsCache(timedelta(0))
    off.fetch("flow1", "anna", Source().loader("a1"))
    assert off.kept("flow1", "anna") is None
