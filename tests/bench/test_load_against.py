"""``bench.load --against``: the other side's code is the revision's, and the comparison refuses what it
cannot compare (faults, one output file for two sides)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from bench.revision import ROOT, checkout, environment

from bench import load


def test_checkout_holds_the_revisions_package_and_children_import_it() -> None:
    with checkout("HEAD") as code:
        assert (code / "src" / "emrex" / "__init__.py").is_file()
        found = subprocess.run(
            [sys.executable, "-c", "import emrex; print(emrex.__file__)"],
            env=environment(code),
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()
        assert found == str(code / "src" / "emrex" / "__init__.py")


def test_unknown_revision_is_refused() -> None:
    with pytest.raises(subprocess.CalledProcessError), checkout("no-such-revision-here"):
        pass


@pytest.mark.parametrize("extra", [["--faults", "all"], ["--json", "x.json"], ["--keep"], ["--rounds", "0"]])
def test_against_measures_the_baseline_only(extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        load.main(["--against", "HEAD", *extra])
    assert stopped.value.code == 2
    assert "--against measures the baseline only" in capsys.readouterr().err
