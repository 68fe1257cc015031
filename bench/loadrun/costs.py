"""What a load phase costs the servers: the CPU time of each service and of the PostgreSQL backends that
serve the run's databases, and PostgreSQL's own count of the run's transactions.

CPU is utime + stime from /proc/PID/stat (every thread of the process, in clock ticks), sampled every
``SAMPLE`` seconds by a thread of the load generator:
- a service is its command's process tree (the master, its workers and helpers);
- the database is every child of the postmaster whose process title names one of the run's databases
  (client backends and any autovacuum worker on them); the cluster's shared processes (WAL writer,
  checkpointer, background writer) serve every database and are reported apart, not counted.
A process first seen after the window opened counts from zero (its start-up is part of the cost). A
backend that ends inside the window counts up to its last sample, plus the rest of it, from the growth
of the postmaster's reaped-children time, when only the run's backends ended in that interval; when
another database's backend ended in the same interval that rest is reported apart as unattributed.

Transactions are ``xact_commit + xact_rollback`` of ``pg_stat_database`` for the run's databases (one
per service, used by nothing else), read after the backends have flushed their statistics.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

SAMPLE = 0.2  # seconds between samples
# PostgreSQL 15+ backends flush their statistics at most once a second and, when idle, within 10 s.
STATS_SETTLE = 11.0
TICK = os.sysconf("SC_CLK_TCK")
SHARED = ("checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication")

Key = tuple[int, int]  # (pid, start time in ticks since boot): a pid can be reused


def _stat(pid: int) -> tuple[int, int, int, int] | None:
    """(utime + stime, children's utime + stime, start time, parent pid) in ticks, None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    try:
        own = int(fields[11]) + int(fields[12])
        reaped = int(fields[13]) + int(fields[14])
        return own, reaped, int(fields[19]), int(fields[1])
    except (IndexError, ValueError):
        return None


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def process_tree(pid: int) -> set[int]:
    """``pid`` and all its descendants that are alive now."""
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current not in tree:
            tree.add(current)
            todo.extend(_children(current))
    return tree


def _title(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None


@dataclass
class Window:
    """CPU seconds per group between ``open`` and ``close``, with what could not be counted exactly."""

    cpu: dict[str, float]
    seconds: float
    generator_cpu: float  # the load generator's own CPU (this process, the meter included): not counted
    backends_seen: int = 0
    backends_started: int = 0
    backends_ended: int = 0
    exits_exact: int = 0
    exits_inexact: int = 0
    shared_db_cpu: float = 0.0  # the cluster's shared processes, all databases: not counted
    # The ends of backends that ended in the same interval as another database's: ours or theirs.
    unattributed_db_cpu: float = 0.0


@dataclass
class _Track:
    group: str
    first: int  # ticks at the window's start (0 for a process born inside it)
    last: int


class CpuMeter:
    """Samples the CPU of process groups and of the run's PostgreSQL backends in a thread: one window."""

    def __init__(
        self, services: dict[str, Callable[[], Iterable[int]]], postmaster: int, databases: Iterable[str]
    ) -> None:
        self.services = services  # group -> the pids it has now
        self.postmaster = postmaster
        self.databases = frozenset(databases)
        self.tracks: dict[Key, _Track] = {}
        self.kinds: dict[Key, str] = {}  # postmaster child -> "db", "shared" or "other"
        self.last_seen: dict[Key, int] = {}  # postmaster child alive at the last sample -> its ticks
        self.shared: dict[Key, list[int]] = {}  # [first, last] of the cluster's shared processes
        self._children: dict[int, Key] = {}
        self._reaped: int | None = None
        self._sampled = 0.0
        self._exit_extra = self._unattributed = 0
        self._exact = self._inexact = self._ended = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._opened = 0.0
        self._opening = True
        self._generator = 0.0
        self.window: Window | None = None

    def open(self) -> None:
        self._opening = True
        self._sample()
        self._opening = False
        self._opened = time.monotonic()
        self._generator = time.process_time()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="cpu-meter", daemon=True)
        self._thread.start()

    def close(self) -> Window:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        generator = time.process_time() - self._generator
        cpu: dict[str, float] = {group: 0.0 for group in (*self.services, "db")}
        for track in self.tracks.values():
            cpu[track.group] += (track.last - track.first) / TICK
        cpu["db"] += self._exit_extra / TICK
        backends = [t for t in self.tracks.values() if t.group == "db"]
        self.window = Window(
            cpu,
            time.monotonic() - self._opened,
            generator,
            backends_seen=len(backends),
            backends_started=sum(1 for t in backends if t.first == 0),
            backends_ended=self._ended,
            exits_exact=self._exact,
            exits_inexact=self._inexact,
            shared_db_cpu=sum(last - first for first, last in self.shared.values()) / TICK,
            unattributed_db_cpu=self._unattributed / TICK,
        )
        return self.window

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE):
            self._sample()

    def _sample(self) -> None:
        with self._lock:
            for group, pids in self.services.items():
                for pid in pids():
                    self._see(pid, group)
            self._sample_postgres()

    def _see(self, pid: int, group: str) -> None:
        stat = _stat(pid)
        if stat is None:
            return
        key = (pid, stat[2])
        track = self.tracks.get(key)
        if track is None:
            first = stat[0] if self._opening else 0
            self.tracks[key] = _Track(group, first, stat[0])
        else:
            track.last = stat[0]

    def _sample_postgres(self) -> None:
        after = None
        for _ in range(3):  # children and reaped time read consistently (nothing reaped in between)
            before = _stat(self.postmaster)
            children = _children(self.postmaster)
            after = _stat(self.postmaster)
            if before is None or after is None:
                return  # the cluster is down; nothing to count
            if before[1] == after[1]:
                break
        assert after is not None
        now: dict[int, Key] = {}
        for pid in children:
            stat = _stat(pid)
            if stat is None:
                continue
            key = (pid, stat[2])
            now[pid] = key
            self.last_seen[key] = stat[0]
            kind = self.kinds.get(key) or self._classify(pid)
            if kind is None:
                continue
            self.kinds[key] = kind
            if kind == "db":
                track = self.tracks.setdefault(key, _Track("db", stat[0] if self._opening else 0, stat[0]))
                track.last = stat[0]
            elif kind == "shared":
                self.shared.setdefault(key, [stat[0], stat[0]])[1] = stat[0]
        self._account_exits(now, after[1])

    def _classify(self, pid: int) -> str | None:
        """ "db" for the run's backends, "shared" for the cluster's own processes, "other" for other
        databases' backends, None while not known yet."""
        title = _title(pid)
        if not title or not title.startswith("postgres: "):
            return None  # just forked: the title names the database once the connection is set up
        if any(word in title for word in SHARED):
            return "shared"
        return "db" if self.databases.intersection(title.split()) else "other"

    def _account_exits(self, now: dict[int, Key], reaped: int) -> None:
        at = time.monotonic()
        gone = [key for pid, key in self._children.items() if now.get(pid) != key]
        ours = [key for key in gone if self.kinds.get(key) == "db"]
        if gone and self._reaped is not None and not self._opening:
            # The postmaster's reaped-children time grew by the final totals of the processes that ended
            # (and of any born and ended between two samples, so bounded by the time that passed).
            rest = reaped - self._reaped - sum(self.last_seen[key] for key in gone)
            rest = min(max(0, rest), len(gone) * (int((at - self._sampled) * TICK) + 1))
            self._ended += len(ours)
            if len(ours) == len(gone):
                self._exit_extra += rest
                self._exact += len(ours)
            elif ours:
                self._unattributed += rest  # ours and other databases' backends ended together
                self._inexact += len(ours)
        for key in gone:
            self.last_seen.pop(key, None)
        self._children = now
        self._reaped = reaped
        self._sampled = at


@dataclass(frozen=True)
class Transactions:
    commits: int
    rollbacks: int
    sessions: int  # connections opened

    @property
    def total(self) -> int:
        return self.commits + self.rollbacks

    def __sub__(self, other: Transactions) -> Transactions:
        return Transactions(
            self.commits - other.commits, self.rollbacks - other.rollbacks, self.sessions - other.sessions
        )


def transactions(admin: Engine, database: str) -> Transactions:
    """PostgreSQL's counters for ``database`` (read over ``admin``, connected to another database)."""
    with admin.connect() as connection:
        row = connection.execute(
            text("SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database WHERE datname = :name"),
            {"name": database},
        ).one()
    return Transactions(int(row[0]), int(row[1]), int(row[2]))


def postmaster_pid(admin: Engine) -> int:
    """The postmaster: the parent of the backend serving ``admin``'s connection."""
    with admin.connect() as connection:
        backend = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
        stat = _stat(backend)
    if stat is None:
        raise RuntimeError("cannot read PostgreSQL's processes in /proc (is it on this machine?)")
    return stat[3]


@dataclass(frozen=True)
class Cost:
    """What one phase cost, divided by the transfers it completed."""

    transfers: int  # imported in the phase
    window: Window
    transactions: dict[str, Transactions]  # service -> its database's counters over the phase

    def cpu_ms(self, group: str) -> float:
        return self.window.cpu.get(group, 0.0) * 1000 / max(1, self.transfers)

    @property
    def services_ms(self) -> float:
        return sum(self.cpu_ms(group) for group in ("emp", "emc", "db"))

    @property
    def total_transactions(self) -> Transactions:
        total = Transactions(0, 0, 0)
        for counted in self.transactions.values():
            total = Transactions(
                total.commits + counted.commits,
                total.rollbacks + counted.rollbacks,
                total.sessions + counted.sessions,
            )
        return total

    def per(self, value: float) -> float:
        return value / max(1, self.transfers)

    def as_json(self) -> dict[str, object]:
        w, tx = self.window, self.total_transactions
        return {
            "transfers": self.transfers,
            "seconds": round(w.seconds, 1),
            "cpu_ms": {
                "emp": round(self.cpu_ms("emp"), 1),
                "emc": round(self.cpu_ms("emc"), 1),
                "db": round(self.cpu_ms("db"), 1),
                "services": round(self.services_ms, 1),
                "relay": round(self.cpu_ms("relay"), 1),
                "registry": round(self.cpu_ms("registry"), 1),
                "load_generator": round(self.per(w.generator_cpu * 1000), 1),
                "postgres_shared_processes": round(self.per(w.shared_db_cpu * 1000), 1),
            },
            "db_transactions": round(self.per(tx.total), 1),
            "db_transactions_by_service": {
                name: round(self.per(counted.total), 1) for name, counted in self.transactions.items()
            },
            "db_commits": round(self.per(tx.commits), 1),
            "db_rollbacks": round(self.per(tx.rollbacks), 1),
            "db_connections_opened": round(self.per(tx.sessions), 2),
            "backends": {
                "seen": w.backends_seen,
                "started": w.backends_started,
                "ended": w.backends_ended,
                "ended_counted_exactly": w.exits_exact,
                "ended_counted_to_last_sample": w.exits_inexact,
            },
            "db_cpu_ms_unattributed": round(self.per(w.unattributed_db_cpu * 1000), 1),
            "method": {
                "cpu": f"utime+stime from /proc/PID/stat, sampled every {SAMPLE} s: each service's process "
                "tree; PostgreSQL backends whose process title names the run's databases",
                "transactions": "pg_stat_database xact_commit + xact_rollback of the run's two databases "
                "(one per service), read after the statistics were flushed",
            },
        }
