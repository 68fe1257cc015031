"""``./run tests`` sets up what its tests need beyond Python (npm packages into .cache/) and says
what it could not; here its set-up step runs in a copy of the script with stand-ins for npm."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = Path(".cache/axe/node_modules/axe-core/axe.min.js")
FAKE_NPM = """#!/bin/sh
echo "$@" >> "$NPM_CALLS"
[ "$NPM_FAILS" = 1 ] && exit 1
prefix=""
packages=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift ;;
    -*|install) ;;
    *) packages="$packages ${1%@*}" ;;
  esac
  shift
done
for name in $packages; do mkdir -p "$prefix/node_modules/$name"; done
[ -d "$prefix/node_modules/axe-core" ] && echo "axe" > "$prefix/node_modules/axe-core/axe.min.js"
exit 0
"""


def _project(tmp_path: Path, *, npm: bool) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "run", project / "run")
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("dirname", "mkdir"):
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    if npm:
        (tools / "npm").write_text(FAKE_NPM)
        (tools / "npm").chmod(0o755)
    env = {
        "PATH": str(tools),
        "NPM_CALLS": str(tmp_path / "npm-calls"),
        "EMREX_CHROMIUM": str(tmp_path / "no-chromium"),
        "HOME": str(tmp_path),
    }
    return project, env


def _setup(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash
    return subprocess.run(
        [bash, str(project / "run"), "test-tools"], env=env, capture_output=True, text=True, timeout=60
    )


def test_axe_core_is_installed_with_npm_when_missing(tmp_path: Path) -> None:
    project, env = _project(tmp_path, npm=True)
    result = _setup(project, env)
    assert result.returncode == 0, result.stderr
    assert (project / AXE).is_file()
    calls = (tmp_path / "npm-calls").read_text()
    assert "install --prefix .cache/axe" in calls and "axe-core@4" in calls
    assert "installing axe-core" in result.stderr
    assert "install --prefix .cache/wallet-oracles" in calls and "@sd-jwt/sd-jwt-vc@0.19.0" in calls
    assert (project / ".cache/wallet-oracles/node_modules/@openid4vc/openid4vp").is_dir()
    # Present now: the next run asks npm nothing.
    again = _setup(project, env)
    assert again.returncode == 0 and (tmp_path / "npm-calls").read_text() == calls
    assert "installing" not in again.stderr


def test_what_could_not_be_set_up_is_said_clearly(tmp_path: Path) -> None:
    project, env = _project(tmp_path, npm=True)
    result = _setup(project, {**env, "NPM_FAILS": "1"})
    assert result.returncode == 0  # the tests still run; those that need it skip
    assert not (project / AXE).exists()
    lines = result.stderr.splitlines()
    assert any("axe-core" in line and "npm install failed" in line for line in lines), result.stderr
    assert any("chromium" in line.lower() for line in lines), result.stderr
    assert any("xmlsec1" in line for line in lines) and any("pdftotext" in line for line in lines)
    assert "will skip" in result.stderr


def test_without_npm_the_message_names_npm(tmp_path: Path) -> None:
    project, env = _project(tmp_path, npm=False)
    result = _setup(project, env)
    assert result.returncode == 0
    assert any("axe-core" in line and "npm is not installed" in line for line in result.stderr.splitlines())


@pytest.mark.skipif(not os.access(ROOT / "run", os.X_OK), reason="the run script is not executable")
def test_run_tests_is_the_command_that_sets_them_up() -> None:
    script = (ROOT / "run").read_text()
    tests_branch = script.split("  tests)", 1)[1].split(";;", 1)[0]
    assert "test_tools" in tests_branch.split("pytest", 1)[0], "./run tests must set up before pytest"
