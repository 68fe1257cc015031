"""The code of another git revision, for benchmarks that measure it beside this checkout's."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The ``src`` folder of ``revision`` of this repository in a temporary folder (git archive)."""
    with tempfile.TemporaryDirectory(prefix="emrex-rev-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"],
            capture_output=True,
            check=True,
            timeout=120,
        )
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True, timeout=120)
        yield Path(folder)


def environment(code_root: Path | None) -> dict[str, str]:
    """This process's environment with the emrex package of ``code_root`` (default: this checkout)
    first on the path, for child processes and every process they start; the benchmarks stay ours."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str((code_root or ROOT) / "src"), str(ROOT)])
    return env
