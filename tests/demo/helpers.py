"""Starting ``emrex demo`` as a real process, as a newcomer would, and finding it through demo.json."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emrex.demo.services import Addresses

# The issue promises 5 seconds; the budget here allows for a loaded CI machine (bench/ measures).
START_TIMEOUT = float(os.environ.get("EMREX_DEMO_START_TIMEOUT", "30"))  # longer on a loaded machine
COMMAND = [sys.executable, "-c", "import sys; from emrex.cli import main; sys.exit(main())", "demo"]


def free_port_base() -> int:
    """A port base whose ports are all free now."""
    count = Addresses(20000).count
    for _ in range(50):
        base = random.randrange(20000, 60000)
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free range of ports found")


@dataclass
class Demo:
    process: subprocess.Popen[str]
    data_dir: Path
    facts: dict[str, Any] = field(default_factory=dict)
    ready_after: float = 0.0

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, err


def start_demo(data_dir: Path, port_base: int, *extra: str) -> Demo:
    """Start the demo and wait until demo.json names this process (written once every /health answers)."""
    args = [*COMMAND, "--data-dir", str(data_dir), "--port-base", str(port_base), *extra]
    began = time.monotonic()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    demo = Demo(process, data_dir)
    facts_file = data_dir / "demo.json"
    while time.monotonic() - began < START_TIMEOUT:
        if process.poll() is not None:
            return demo
        try:
            facts = json.loads(facts_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            facts = {}
        if facts.get("pid") == process.pid:
            demo.facts = facts
            demo.ready_after = time.monotonic() - began
            return demo
        time.sleep(0.05)
    demo.stop(signal.SIGKILL)
    raise AssertionError(f"emrex demo did not become ready within {START_TIMEOUT} s")
