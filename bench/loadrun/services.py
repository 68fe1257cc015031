"""Starting, stopping and hurting the load run's services: registry, EMP (two workers) behind its
relay, EMC (two workers), and the PostgreSQL cluster. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
EMREX = str(Path(sys.executable).with_name("emrex"))
START_TIMEOUT = 120.0  # a service starts in seconds; on a machine busy with test runs, in up to a minute


@dataclass
class Process:
    name: str
    command: list[str]
    health: str | None  # URL that answers 200 when the service is ready
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,  # its own process group: stopped as one, never by name
        )
        handle.close()
        if self.health is not None:
            wait_healthy(self.health, self.popen, self.name)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def kill(self) -> None:
        """SIGKILL to the whole process group: the service is gone at once, as after a crash."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def workers(self) -> list[int]:
        """The pids of the uvicorn worker processes (children of the master, not its helpers)."""
        assert self.popen is not None
        found = subprocess.run(["pgrep", "-P", str(self.popen.pid)], capture_output=True, text=True).stdout
        pids = []
        for pid in (int(p) for p in found.split()):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X") and cmdline and b"resource_tracker" not in cmdline:
                pids.append(pid)
        return pids


def wait_healthy(
    url: str, popen: subprocess.Popen[bytes] | None, name: str, timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen is not None and popen.poll() is not None:
            raise RuntimeError(f"{name} exited with {popen.returncode} while starting")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not become healthy at {url} within {timeout:.0f} s")


def emc_command(config: Path) -> tuple[list[str], dict[str, str]]:
    """``emrex emc serve --workers 2`` when the command has the option, else uvicorn with our factory."""
    helptext = subprocess.run([EMREX, "emc", "serve", "--help"], capture_output=True, text=True).stdout
    if "--workers" in helptext:
        return [EMREX, "emc", "serve", "--config", str(config), "--workers", "2"], {}
    import tomllib

    port = tomllib.loads(config.read_text())["emc"]["port"]
    command = [
        sys.executable, "-m", "uvicorn", "bench.loadrun.emc_app:app", "--factory", "--workers", "2",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--no-server-header",
        "--no-proxy-headers",
    ]  # fmt: skip
    return command, {"EMREX_LOAD_EMC_CONFIG": str(config)}


def kill_one_worker(process: Process) -> int | None:
    """SIGKILL one worker; the uvicorn master must start another. The killed pid, or None."""
    workers = process.workers()
    if not workers:
        return None
    os.kill(workers[0], signal.SIGKILL)
    return workers[0]


def wait_workers(
    process: Process, count: int, timeout: float = 30.0, gone: int | None = None
) -> float | None:
    """Seconds until ``count`` workers (other than the ``gone`` pid) run, None if not within ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if len([pid for pid in process.workers() if pid != gone]) >= count:
            return time.monotonic() - start
        time.sleep(0.2)
    return None


def postgres_cluster() -> str:
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    if not versions:
        raise RuntimeError("no PostgreSQL cluster under /etc/postgresql")
    return versions[-1]


def pg_ctl(action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", postgres_cluster(), "main", action],
        check=True,
        capture_output=True,
        timeout=120,
    )


def postgres_running() -> bool:
    result = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", postgres_cluster(), "main", "status"],
        capture_output=True,
        timeout=30,
    )
    return result.returncode == 0


def ensure_postgres() -> None:
    """Start the cluster if it is down (called in ``finally``: the machine is shared)."""
    if not postgres_running():
        pg_ctl("start")
