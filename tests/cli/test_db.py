from __future__ import annotations

from pathlib import Path

import pytest

from emrex.cli import main
from emrex.db.migrate import heads


def test_upgrade_then_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert main(["db", "current", "--database", url]) == 2  # asking does not make the file
    assert "no such database file" in capsys.readouterr().err and not (tmp_path / "cli.db").exists()
    (tmp_path / "cli.db").touch()
    assert main(["db", "current", "--database", url]) == 0
    assert "no schema yet" in capsys.readouterr().out
    assert (tmp_path / "cli.db").stat().st_size == 0  # read, not written
    assert main(["db", "upgrade", "--database", url]) == 0
    assert main(["db", "upgrade", "--database", url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"database at revision {heads()[0]}"
    assert main(["db", "current", "--database", url]) == 0
    assert capsys.readouterr().out.strip() == heads()[0]


def test_the_url_may_come_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMREX_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "env.db").is_file()


def test_without_a_database_it_says_how_to_give_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMREX_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "emrex: no database given: use --database URL or set EMREX_DATABASE_URL"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///{tmp}/missing/dir/x.db", "database not reachable at sqlite:///"),
        (
            "postgresql://nobody:secret@127.0.0.1:1/x",
            "database not reachable at postgresql+psycopg://nobody:***@",
        ),
        ("mysql://u@h/x", "unsupported database 'mysql'"),
    ],
)
def test_unusable_databases_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    assert main(["db", "upgrade", "--database", url.format(tmp=tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"emrex: {message}") and err.count("\n") == 1
    assert "secret" not in err
