"""The faces of the core packages: ``__all__``, the lazy map and the type checker's imports agree, and
importing a face loads none of its modules."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from tests.conftest import ROOT

LAZY = ["emrex.elmo", "emrex.trust", "emrex.registry", "emrex.transcript", "emrex.seal", "emrex.elm"]
EAGER = ["emrex.identity", "emrex.wallet", "emrex.ewp", "emrex.oots"]


def _typed_imports(package: str) -> dict[str, str]:
    """name -> module, from the face's ``if TYPE_CHECKING:`` block."""
    tree = ast.parse((ROOT / "src" / package.replace(".", "/") / "__init__.py").read_text())
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for sub in node.body:
                assert isinstance(sub, ast.ImportFrom) and sub.module, ast.dump(sub)
                found.update({alias.name: sub.module for alias in sub.names})
    return found


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_is_typed_and_loads_from_its_module(package: str) -> None:
    face = importlib.import_module(package)
    typed = _typed_imports(package)
    assert sorted(face.__all__) == sorted(typed)
    assert len(set(face.__all__)) == len(face.__all__)
    for name, module in typed.items():
        assert getattr(face, name) is getattr(importlib.import_module(module), name), name
    assert set(face.__all__) <= set(dir(face))
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = face.no_such_name


@pytest.mark.parametrize("package", EAGER)
def test_eager_faces_list_what_they_define(package: str) -> None:
    face = importlib.import_module(package)
    for name in face.__all__:
        assert hasattr(face, name), name


def test_importing_a_face_loads_none_of_its_modules() -> None:
    code = (
        "import sys\n"
        f"import {', '.join(LAZY)}\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('emrex'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == sorted(["emrex", "emrex._exports", *LAZY])


def test_a_submodule_still_imports_through_its_face() -> None:
    from emrex.elmo import codec

    assert codec.decode(codec.encode(b"<elmo/>")) == b"<elmo/>"
