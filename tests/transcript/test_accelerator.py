"""ReportLab's C helpers (the rl-accel dependency) are used, and the transcripts they make are the very
bytes ReportLab's pure-Python helpers make."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from emrex.elmo import codec
from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.transcript import render_transcript

ROOT = Path(__file__).resolve().parents[2]
WHEN = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
INTEROP = (
    "unsigned/dk-emrex__common-java_Example-elmo-Denmark.xml",
    "unsigned/fi-ncp__my_elmo.xml",
    "signed-invalid/fi-emrex__kaisa.xml",
    "transport/dk-emrex__wl.txt",
)


def documents(interop: Path) -> dict[str, m.Elmo]:
    found = {f"sample {n}": sample_elmo(n) for n in (1, 60, 700)}
    greek = m.Learner(
        given_names="Åsa Žofie",
        family_name="Παπαδοπούλου-Dvořáková",
        birth_date=dt.date(1999, 3, 14),
        alternative_name=m.LangText("Анна Ивановна Петрова", "ru"),
    )
    found["greek and cyrillic"] = m.Elmo(learner=greek, reports=sample_elmo(5).reports)
    for name in INTEROP:
        if (interop / name).is_file():
            found[name] = read_elmo(codec.decode((interop / name).read_bytes())).elmo
    return found


def digests(interop: Path) -> dict[str, str]:
    """sha256 of each document's transcript, in English and Swedish."""
    return {
        f"{name} ({language})": hashlib.sha256(
            render_transcript(elmo, language=language, generated_at=WHEN)
        ).hexdigest()
        for name, elmo in documents(interop).items()
        for language in ("en", "sv")
    }


def test_reportlab_uses_the_c_helpers() -> None:
    from reportlab.lib import rl_accel

    used = {"fp_str", "escapePDF", "instanceStringWidthTTF", "sameFrag", "calcChecksum"}
    assert used <= set(rl_accel._c_funcs), "rl-accel is not installed: pip install -e '.[test]'"


def test_the_c_helpers_make_the_same_bytes_as_the_python_ones(interop_dir: Path) -> None:
    pure = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json; sys.modules['_rl_accel'] = None\n"
            "from reportlab.lib import rl_accel; assert not rl_accel._c_funcs\n"
            "from tests.transcript.test_accelerator import digests\n"
            "print(json.dumps(digests(__import__('pathlib').Path(sys.argv[1]))))",
            str(interop_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    expected = json.loads(pure.stdout)
    accelerated = digests(interop_dir)
    assert len(accelerated) == 2 * (4 + len(INTEROP))
    assert accelerated == expected
