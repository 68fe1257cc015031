"""Keeping the last good registry list: in memory and, optionally, on disk across restarts.

A client must go on verifying signatures when the registry is down or serves garbage, so a failed
refresh keeps the list it had (with a warning) and only a process that never had a good list fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emrex.registry.errors import RegistryError
from emrex.registry.model import Registry
from emrex.registry.sources import MAX_REGISTRY_BYTES, parse_registry, read_source

log = logging.getLogger("emrex.registry")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class _Good:
    registry: Registry
    fetched_at: dt.datetime


class RegistryCache:
    def __init__(
        self,
        source: str,
        cache_dir: Path | str | None = None,
        max_age: dt.timedelta = dt.timedelta(hours=1),
        clock: Clock = utc_now,
        *,
        timeout: float = 10.0,
        max_bytes: int = MAX_REGISTRY_BYTES,
        retry_after: dt.timedelta = dt.timedelta(minutes=1),
    ) -> None:
        self.source = source
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.max_age = max_age
        self.clock = clock
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retry_after = retry_after  # after a failed refresh, the source is left alone this long
        self._lock = threading.Lock()
        self._good: _Good | None = None
        self._failed: tuple[dt.datetime, RegistryError] | None = None
        if self.cache_dir is not None:
            self._good = self._read_disk()

    @property
    def fetched_at(self) -> dt.datetime | None:
        good = self._good
        return good.fetched_at if good else None

    def age(self) -> dt.timedelta | None:
        good = self._good
        return self.clock() - good.fetched_at if good else None

    def get(self) -> Registry:
        """The current list: refreshed when older than max_age, else the last good one (with a warning)."""
        good = self._good
        if good is not None and not self._due(good):
            return good.registry
        # A list in hand is served while another thread refreshes; with none, wait for that refresh.
        if not self._lock.acquire(blocking=good is None):
            assert good is not None
            return good.registry
        try:
            good = self._good
            if good is not None and not self._due(good):
                return good.registry
            failed = self._failed
            if failed is not None and self.clock() - failed[0] < self.retry_after:
                if good is None:
                    raise failed[1]
                return good.registry
            try:
                return self._refresh_locked().registry
            except RegistryError as exc:
                self._failed = (self.clock(), exc)
                if good is None:
                    raise
                log.warning(
                    "registry refresh failed (%s); serving the last good list of %s, fetched %s (%s old)",
                    exc,
                    self.source,
                    f"{good.fetched_at:%Y-%m-%d %H:%M:%S %Z}",
                    _duration(self.clock() - good.fetched_at),
                )
                return good.registry
        finally:
            self._lock.release()

    def refresh(self) -> Registry:
        """Fetch now; on failure raise and keep the last good list."""
        with self._lock:
            try:
                return self._refresh_locked().registry
            except RegistryError as exc:
                self._failed = (self.clock(), exc)
                raise

    def _due(self, good: _Good) -> bool:
        age = self.clock() - good.fetched_at
        return age >= self.max_age or age < dt.timedelta(0)  # a clock that went back: refresh

    def _refresh_locked(self) -> _Good:
        data = read_source(self.source, timeout=self.timeout, max_bytes=self.max_bytes)
        registry = parse_registry(data, source=self.source)
        good = _Good(registry, self.clock())
        self._good, self._failed = good, None
        if self.cache_dir is not None:
            self._write_disk(data, good.fetched_at)
        return good

    def _paths(self) -> tuple[Path, Path]:
        assert self.cache_dir is not None
        stem = "registry-" + hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:16]
        return self.cache_dir / f"{stem}.data", self.cache_dir / f"{stem}.meta.json"

    def _write_disk(self, data: bytes, fetched_at: dt.datetime) -> None:
        data_path, meta_path = self._paths()
        meta = {
            "source": self.source,
            "fetchedAt": fetched_at.isoformat(),
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        try:
            data_path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(data_path, data)
            _write_atomically(meta_path, json.dumps(meta, indent=2).encode("utf-8"))
        except OSError as exc:
            log.warning(
                "cannot keep a copy of registry %s in %s (%s)", self.source, self.cache_dir, exc.strerror
            )

    def _read_disk(self) -> _Good | None:
        data_path, meta_path = self._paths()
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_bytes())
            data = data_path.read_bytes()
            if meta.get("source") != self.source:
                raise ValueError("it is the copy of another source")
            if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
                raise ValueError("the data does not match its checksum")
            fetched_at = dt.datetime.fromisoformat(meta["fetchedAt"])
            if fetched_at.tzinfo is None:
                raise ValueError("the fetch time has no time zone")
            registry = parse_registry(data, source=self.source)
        except (OSError, ValueError, KeyError, TypeError, RegistryError) as exc:
            log.warning("ignoring the stored copy of registry %s in %s: %s", self.source, self.cache_dir, exc)
            return None
        return _Good(registry, fetched_at)


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
