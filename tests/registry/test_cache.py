from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

import pytest

from emrex.registry import Registry, RegistryError
from emrex.registry.cache import RegistryCache
from tests.registry.helpers import Switchable, emp_entry, emreg_document

START = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


def acronyms(registry: Registry) -> list[str]:
    return [e.acronym for e in registry.emps]


@pytest.fixture
def source(http_source: tuple[Switchable, str]) -> tuple[Switchable, str]:
    state, base = http_source
    state.body = emreg_document(emp_entry("FIRST"))
    return state, f"{base}/emp-list.json"


def test_refreshes_only_when_older_than_max_age(source: tuple[Switchable, str]) -> None:
    state, url = source
    clock = Clock()
    cache = RegistryCache(url, None, HOUR, clock)
    assert cache.age() is None
    assert acronyms(cache.get()) == ["FIRST"]
    state.body = emreg_document(emp_entry("SECOND"))
    clock.advance(minutes=59)
    assert acronyms(cache.get()) == ["FIRST"]
    assert state.requests == 1
    assert cache.age() == dt.timedelta(minutes=59)
    clock.advance(minutes=1)
    assert acronyms(cache.get()) == ["SECOND"]
    assert state.requests == 2
    assert cache.fetched_at == clock.now


@pytest.mark.parametrize(
    ("status", "body"), [(503, b"down"), (200, b"<html>oops</html>"), (200, b'{"emps": 1}')]
)
def test_keeps_serving_the_last_good_list_when_the_source_fails(
    source: tuple[Switchable, str], caplog: pytest.LogCaptureFixture, status: int, body: bytes
) -> None:
    state, url = source
    clock = Clock()
    cache = RegistryCache(url, None, HOUR, clock, retry_after=dt.timedelta(minutes=5))
    cache.get()
    state.status, state.body = status, body
    clock.advance(hours=2)
    with caplog.at_level(logging.WARNING, logger="emrex.registry"):
        assert acronyms(cache.get()) == ["FIRST"]
    assert "serving the last good list" in caplog.text
    assert "2 h old" in caplog.text or "120 min old" in caplog.text
    # The failing source is left alone for retry_after, then tried again.
    clock.advance(minutes=4)
    assert acronyms(cache.get()) == ["FIRST"]
    assert state.requests == 2
    state.status, state.body = 200, emreg_document(emp_entry("BACK"))
    clock.advance(minutes=1)
    assert acronyms(cache.get()) == ["BACK"]
    assert state.requests == 3


def test_without_any_good_list_it_fails(source: tuple[Switchable, str]) -> None:
    state, url = source
    state.status = 500
    cache = RegistryCache(url, None, HOUR, Clock())
    with pytest.raises(RegistryError, match="HTTP 500"):
        cache.get()
    with pytest.raises(RegistryError, match="HTTP 500"):  # within retry_after: no new request
        cache.get()
    assert state.requests == 1


def test_refresh_raises_but_keeps_the_last_good_list(source: tuple[Switchable, str]) -> None:
    state, url = source
    cache = RegistryCache(url, None, HOUR, Clock())
    cache.get()
    state.status = 502
    with pytest.raises(RegistryError, match="HTTP 502"):
        cache.refresh()
    assert acronyms(cache.get()) == ["FIRST"]


def test_the_disk_copy_survives_a_restart(source: tuple[Switchable, str], tmp_path: Path) -> None:
    state, url = source
    clock = Clock()
    RegistryCache(url, tmp_path / "cache", HOUR, clock).get()
    files = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(files) == 2
    assert not any(name.endswith(".tmp") for name in files)
    meta = json.loads(next((tmp_path / "cache").glob("*.meta.json")).read_bytes())
    assert meta["source"] == url
    assert dt.datetime.fromisoformat(meta["fetchedAt"]) == START
    # A new process within max_age uses the copy without asking the source.
    clock.advance(minutes=30)
    restarted = RegistryCache(url, tmp_path / "cache", HOUR, clock)
    assert restarted.age() == dt.timedelta(minutes=30)
    assert acronyms(restarted.get()) == ["FIRST"]
    assert state.requests == 1
    # Later, with the source down, the stale copy is still served.
    state.status = 503
    clock.advance(hours=5)
    assert acronyms(RegistryCache(url, tmp_path / "cache", HOUR, clock).get()) == ["FIRST"]


def test_a_damaged_or_foreign_disk_copy_is_ignored(
    source: tuple[Switchable, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state, url = source
    RegistryCache(url, tmp_path, HOUR, Clock()).get()
    data_file = next(tmp_path.glob("*.data"))
    data_file.write_bytes(data_file.read_bytes().replace(b"FIRST", b"EVIL!"))
    state.status = 503
    with caplog.at_level(logging.WARNING, logger="emrex.registry"):
        cache = RegistryCache(url, tmp_path, HOUR, Clock())
    assert "does not match its checksum" in caplog.text
    with pytest.raises(RegistryError, match="HTTP 503"):
        cache.get()
    # Another source sharing the directory never sees this copy.
    other = RegistryCache(url + "?other", tmp_path, HOUR, Clock())
    assert other.age() is None


def test_works_with_a_file_source(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_bytes(emreg_document(emp_entry("FILE")))
    clock = Clock()
    cache = RegistryCache(str(path), None, HOUR, clock)
    assert acronyms(cache.get()) == ["FILE"]
    path.write_bytes(b"not json")
    clock.advance(hours=2)
    assert acronyms(cache.get()) == ["FILE"]


def test_concurrent_first_requests_fetch_once(source: tuple[Switchable, str]) -> None:
    state, url = source
    state.delay = 0.2
    cache = RegistryCache(url, None, HOUR, Clock())
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(acronyms(cache.get()))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [["FIRST"]] * 8
    assert state.requests == 1
