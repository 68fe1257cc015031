"""The in-memory replay cache: an id is refused while it is remembered, forgotten after it expires,
and never forgotten early to make room."""

from __future__ import annotations

import datetime as dt

import pytest

from emrex.ewp import MemoryReplayCache, ReplayCacheFull

T0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def test_an_id_is_refused_until_it_expires() -> None:
    cache = MemoryReplayCache()
    assert cache.first_use("k id", T0 + 5 * MINUTE, T0)
    assert not cache.first_use("k id", T0 + 5 * MINUTE, T0 + MINUTE)
    assert cache.first_use("k id", T0 + 11 * MINUTE, T0 + 6 * MINUTE)


def test_a_full_cache_refuses_rather_than_forgets_an_unexpired_id() -> None:
    cache = MemoryReplayCache(max_entries=2)
    cache.first_use("a", T0 + 5 * MINUTE, T0)
    cache.first_use("b", T0 + 5 * MINUTE, T0)
    with pytest.raises(ReplayCacheFull, match="2 request ids"):
        cache.first_use("c", T0 + 5 * MINUTE, T0)
    assert not cache.first_use("a", T0 + 5 * MINUTE, T0)  # still remembered


def test_expired_ids_make_room() -> None:
    cache = MemoryReplayCache(max_entries=2)
    cache.first_use("a", T0 + MINUTE, T0)
    cache.first_use("b", T0 + 5 * MINUTE, T0)
    assert cache.first_use("c", T0 + 7 * MINUTE, T0 + 2 * MINUTE)
    assert len(cache) == 2
    with pytest.raises(ValueError, match="at least one"):
        MemoryReplayCache(max_entries=0)
