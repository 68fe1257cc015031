"""docs/LIBRARY.md is true: its Python examples run, in order, as one program."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "LIBRARY.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks() -> list[str]:
    return _BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def test_the_page_shows_every_task_the_issue_names() -> None:
    code = "\n".join(_blocks())
    for call in (
        "read_elmo(",
        "validate(",
        "set_value(",
        "write_elmo(",
        "encode(",
        "decode(",
        ".sign(",
        "load_registry(",
        "verify(",
        "match_identity(",
        "render_transcript(",
    ):
        assert call in code, call


def test_the_examples_run(shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "shared").symlink_to(shared_dir, target_is_directory=True)
    monkeypatch.chdir(work)
    namespace: dict[str, object] = {"__name__": "library_doc"}
    printed = io.StringIO()
    for number, block in enumerate(_blocks(), 1):
        with contextlib.redirect_stdout(printed):
            exec(compile(block, f"{PAGE.name} block {number}", "exec"), namespace)  # noqa: S102
    # What the page says the examples print.
    out = printed.getvalue()
    assert "Teppo Testaaja" in out
    assert "learner.bday is missing" in out
    assert "('report[1].issuer.url is required',)" in out
    assert "CN=EMP of Example University" in out
    assert "DigestMismatch" in out
    assert "SHA-1" in out
    assert "match ('the birth date matches yours', 'the name matches yours')" in out
    assert (work / "transcript.pdf").read_bytes().startswith(b"%PDF-")


def test_the_page_is_linked() -> None:
    for doc in ("README.md", "docs/ARCHITECTURE.md"):
        assert "LIBRARY.md" in (ROOT / doc).read_text(encoding="utf-8"), doc
