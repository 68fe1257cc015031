"""docs/ARCHITECTURE.md draws the layout that is there: every path it names exists, every package is drawn."""

from __future__ import annotations

import re

from tests.conftest import ROOT

PAGE = ROOT / "docs" / "ARCHITECTURE.md"
SRC = ROOT / "src" / "emrex"
_ENTRY = re.compile(r"^  ([a-z_]+(?:/|\.py))\s", re.MULTILINE)
_NESTED = re.compile(r"(?<![\w./<-])((?:[a-z_]+/)+(?:[a-z_]+\.py)?)(?![\w-])")


def _layout() -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("```\nsrc/emrex/\n")
    return text[start : text.index("\n```", start + 4)].split("\ntests/", 1)[0]


def test_every_top_level_entry_of_the_layout_exists() -> None:
    entries = _ENTRY.findall(_layout())
    assert len(entries) > 20
    missing = [e for e in entries if not (SRC / e).exists()]
    assert missing == []


def test_every_nested_path_the_layout_names_exists() -> None:
    named = {p for p in _NESTED.findall(_layout()) if p.split("/")[0] + "/" in _ENTRY.findall(_layout())}
    assert "emp/ewp_serving.py" in named and "emc/recognition/" in named
    missing = sorted(p for p in named if not (SRC / p).exists())
    assert missing == []


def test_every_public_package_and_module_is_drawn() -> None:
    entries = set(_ENTRY.findall(_layout()))
    present = {
        p.name + ("/" if p.is_dir() else "")
        for p in SRC.iterdir()
        if not p.name.startswith(("_", ".")) and (p.is_dir() or p.suffix == ".py")
    }
    assert sorted(present - entries) == []
