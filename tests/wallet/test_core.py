"""The wallet is core code: no module of it imports a web framework, the database or a service."""

from __future__ import annotations

import ast
from pathlib import Path

import emrex.wallet

FORBIDDEN = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "emrex.web",
    "emrex.db",
    "emrex.emc",
    "emrex.emp",
)


def test_no_wallet_module_imports_a_framework_the_database_or_a_service() -> None:
    folder = Path(emrex.wallet.__file__).parent
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN or n.startswith(FORBIDDEN)
            ]
    assert len(list(folder.glob("*.py"))) > 15
    assert found == []


def test_the_public_api_is_what_all_names() -> None:
    assert sorted(emrex.wallet.__all__) == sorted(set(emrex.wallet.__all__))
    for name in emrex.wallet.__all__:
        assert getattr(emrex.wallet, name) is not None
