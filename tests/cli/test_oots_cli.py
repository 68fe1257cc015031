"""``emrex oots check``: each broken rule printed with its id; exit 0 valid, 1 broken, 2 unreadable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emrex.cli import main
from emrex.oots import build_request
from emrex.oots.names import V1
from tests.oots.support import OOTS_DIR, make_request

EMREX = [sys.executable, "-c", "import sys; from emrex.cli import main; sys.exit(main())"]


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("requete.xml", "EDM 2.0 request"),
        ("reponse.xml", "EDM 2.0 evidence response"),
        ("erreur.xml", "EDM 2.0 error response"),
        ("reponse.soumission.domibus-ws.xml", "EDM 2.0 evidence response"),
    ],
)
def test_the_reference_messages_are_valid(
    shared_dir: Path, name: str, what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = OOTS_DIR / name
    assert main(["oots", "check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: {what}: valid (0 warnings)\n"


def test_each_broken_rule_is_printed_with_its_id_and_line(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (OOTS_DIR / "requete.xml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(
        text.replace(">T3<", ">Q9<").replace('queryDefinition="DocumentQuery"', 'queryDefinition="X"')
    )
    assert main(["oots", "check", str(broken)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{broken}:23: R-EDM-REQ-C003: the Procedure 'Q9' is not a code of the Procedures list",
        f"{broken}:83: R-EDM-REQ-C025: the queryDefinition of the Query must be DocumentQuery",
        f"{broken}: EDM 2.0 request: invalid (2 rules broken, 0 warnings)",
    ]


def test_a_warning_alone_is_valid(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    text = (OOTS_DIR / "requete.xml").read_text(encoding="utf-8")
    path = tmp_path / "no-requirements.xml"
    path.write_text(re.sub(r'<rim:Slot name="Requirements">.*?</rim:Slot>', "", text, flags=re.DOTALL))
    assert main(["oots", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: R-EDM-REQ-S011: the slot Requirements is missing" in out
    assert out.endswith("valid (1 warning)\n")


def test_an_edm_1_0_request_is_checked_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.xml"
    path.write_bytes(build_request(make_request(specification=V1, procedure="00", return_location=None)))
    assert main(["oots", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "R-EDM-REQ-C003" in out and "EDM 1.0 request: invalid" in out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not xml at all", "not well-formed"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE"),
        (b"<eb:Messaging xmlns:eb='urn:x'/>", "not an EDM message"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(
    tmp_path: Path, content: bytes, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    assert main(["oots", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_as_a_process(shared_dir: Path) -> None:
    done = subprocess.run(
        [*EMREX, "oots", "check", str(OOTS_DIR / "erreur.xml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.endswith("EDM 2.0 error response: valid (0 warnings)\n")
