"""Hostile files given to the ``emrex`` command: exit 1 (bad content) or 2 (usage, unreadable) with one
line on stderr naming the problem; never a traceback or the internal-error code 70."""

from __future__ import annotations

import base64
import copy
import gzip
import io
import json
from pathlib import Path

import pytest
from lxml import etree

from emrex.cli import main
from emrex.db import Database, upgrade
from emrex.db.owner import mark_service
from emrex.elmo.sample import sample_elmo, tiny_pdf
from emrex.elmo.writer import write_elmo
from emrex.trust.ca import issue, make_ca
from emrex.trust.keys import certificate_pem
from emrex.trust.signer import Signer
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, one_line, table_counts, watch_logs

__all__ = ["watch_logs"]
NS = "https://github.com/emrex-eu/elmo-schemas/tree/v1"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE elmo [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + f'<elmo xmlns="{NS}"><learner><givenNames>&x;</givenNames></learner></elmo>'.encode()
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile-cli")
    ca = make_ca("CLI hostile CA")
    emp = issue(ca, "EMP CLI")
    (path / "emp.pem").write_bytes(certificate_pem(emp.certificate))
    signed = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(2)))
    root = etree.fromstring(signed)
    signature = root.find(DS + "Signature")
    assert signature is not None
    root.append(copy.deepcopy(signature))
    (path / "wrapped.xml").write_bytes(etree.tostring(root))
    (path / "xxe.xml").write_bytes(XXE)
    (path / "bomb.txt").write_bytes(
        base64.b64encode(gzip.compress(b"<" + b" " * 30_000_000, compresslevel=9))
    )
    escapes = write_elmo(sample_elmo(2)).replace(
        b"<givenNames>", b"<givenNames>\xc2\x9b31m\xc2\x9d0;pwned\xc2\x9c", 1
    )
    (path / "escapes.xml").write_bytes(escapes)
    (path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (path / "not.json").write_bytes(b"\xff\xfe" + MARKER.encode("utf-16-le"))
    (path / "catalogue-xxe.xml").write_bytes(XXE.replace(b"elmo", b"catalogue"))
    (path / "sis.json").write_text(
        json.dumps({"persons": [{"identifiers": {"x": MARKER}}], "extra": [1] * 10})
    )
    (path / "emp.db").touch()
    (path / "transcript.pdf").write_bytes(tiny_pdf(MARKER))
    forged = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(2)))
    (path / "forged.xml").write_bytes(forged.replace(b"Linear Algebra", b"Linear Algebra (honours)"))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    no_traceback(out, err)
    return code, out, err


# case id -> (arguments, with {d} the folder; exit code; words on stderr)
COMMANDS: dict[str, tuple[list[str], int, str]] = {
    "cli-decode-gzip-bomb": (["elmo", "decode", "{d}/bomb.txt"], 2, "gzip bomb"),
    "cli-validate-xxe": (["elmo", "validate", "{d}/xxe.xml"], 1, "DOCTYPE"),
    "cli-verify-wrapped-signature": (["verify", "--cert", "{d}/emp.pem", "{d}/wrapped.xml"], 1, "Signature"),
    "cli-verify-registry-deep-json": (
        ["verify", "--registry", "{d}/deep.json", "--emp", "X", "{d}/wrapped.xml"],
        2,
        "nested too deeply",
    ),
    "cli-verify-bad-time": (
        ["verify", "--cert", "{d}/emp.pem", "--at", "yesterday", "{d}/wrapped.xml"],
        2,
        "--at",
    ),
    "cli-registry-show-xxe": (["registry", "show", "{d}/catalogue-xxe.xml"], 1, "DOCTYPE"),
    "cli-registry-show-not-json": (["registry", "show", "{d}/not.json"], 1, ""),
    "cli-missing-file": (["elmo", "validate", "{d}/no-such-file.xml"], 2, "no-such-file.xml"),
    "cli-directory-as-file": (["elmo", "show", "{d}"], 2, ""),
    "cli-pdf-given-as-elmo": (["verify", "--cert", "{d}/emp.pem", "{d}/transcript.pdf"], 2, "a PDF file"),
}
exercised(
    *COMMANDS,
    "cli-show-terminal-escapes",
    "cli-import-bad-json",
    "cli-malformed-quotes-no-text",
    "cli-show-forged-signature",
    "cli-hash-password-nothing-piped",
    "cli-stats-wrong-database",
)


@pytest.mark.parametrize("case_id", sorted(COMMANDS))
def test_hostile_files_for_the_command(
    folder: Path, capsys: pytest.CaptureFixture[str], watch_logs: pytest.LogCaptureFixture, case_id: str
) -> None:
    arguments, expected, words = COMMANDS[case_id]
    code, out, err = run(capsys, *(a.format(d=folder) for a in arguments))
    assert code == expected, err
    assert err.startswith("emrex") and words in err, err
    one_line(err)
    assert "root:" not in out + err
    logs_clean(watch_logs)


def test_terminal_escapes_in_names_are_not_printed(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "elmo", "show", str(folder / "escapes.xml"))
    assert code == 0, err
    # C1 controls are legal XML 1.0 characters; CSI (U+009B) starts a terminal escape as ESC [ does.
    assert "\x9b" not in out and "\x9d" not in out and "\x9c" not in out
    assert "pwned" in out  # the text is shown, its control characters are not


NS_ATTR = f'xmlns="{NS}"'.encode()
# Malformed documents whose libxml2 messages quote a name or text (here: the planted marker).
QUOTING = {
    "open-cdata": b"<elmo " + NS_ATTR + b"><learner><![CDATA[" + MARKER.encode() + b" <x>",
    "tag-mismatch": b"<elmo " + NS_ATTR + b"><" + MARKER.encode() + b"></elmo>",
    "undefined-entity": b"<elmo " + NS_ATTR + b">&" + MARKER.encode() + b";</elmo>",
    "undefined-prefix": b"<elmo " + NS_ATTR + b"><p:" + MARKER.encode() + b"/></elmo>",
    "attribute-twice": b"<elmo " + NS_ATTR + b" " + MARKER.encode() + b'="1" ' + MARKER.encode() + b'="2"/>',
    "unterminated-tag": b"<elmo " + NS_ATTR + b"><" + MARKER.encode() + b" a='1'",
}


@pytest.mark.parametrize("name", sorted(QUOTING))
def test_malformed_documents_are_refused_in_one_line_without_their_text(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = tmp_path / f"{name}.xml"
    path.write_bytes(QUOTING[name])
    for argv in (
        ["elmo", "show", str(path)],
        ["elmo", "validate", str(path)],
        ["verify", "--cert", str(folder / "emp.pem"), str(path)],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2, (argv, err)
        one_line(err)
        assert "not well-formed XML" in err and MARKER not in out + err, err


def test_show_never_calls_an_unverified_signature_signed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "elmo", "show", str(folder / "forged.xml"))
    assert code == 0
    assert "signature present, not verified (use `emrex verify`)" in out and ", signed" not in out


def test_hash_password_with_nothing_piped_in_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for piped in ("", "\n"):
        monkeypatch.setattr("sys.stdin", io.StringIO(piped))  # not a terminal: no prompt
        code, out, err = run(capsys, "login", "hash-password")
        assert code in (1, 2) and err.startswith("emrex:") and "internal error" not in err, err
        one_line(err)
        assert out == ""


def test_reading_commands_create_and_migrate_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], watch_logs: pytest.LogCaptureFixture
) -> None:
    emc_db = Database(f"sqlite:///{tmp_path}/emc.db")
    upgrade(emc_db)
    mark_service(emc_db, "emc")
    emc_db.dispose()
    (tmp_path / "empty.db").touch()
    for name, words in (
        ("missing.db", "no such database"),
        ("empty.db", "no EMREX tables"),
        ("emc.db", "EMC"),
    ):
        before = sorted(p.name for p in tmp_path.iterdir())
        size = (tmp_path / name).stat().st_size if (tmp_path / name).exists() else None
        code, _out, err = run(capsys, "emp", "stats", "--database", f"sqlite:///{tmp_path}/{name}")
        assert code == 2 and words in err, err
        one_line(err)
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file made, no journal left
        assert ((tmp_path / name).stat().st_size if (tmp_path / name).exists() else None) == size
    logs_clean(watch_logs)


def test_import_of_bad_json_exits_1_and_stores_nothing(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], watch_logs: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite:///{tmp_path}/sis.db")
    upgrade(db)
    before = table_counts(db)
    for name in ("not.json", "deep.json", "sis.json"):
        code, _out, err = run(
            capsys, "emp", "import", "--database", f"sqlite:///{tmp_path}/sis.db", str(folder / name)
        )
        assert code == 1, err
        assert err.startswith("emrex")
        assert MARKER not in err
    assert table_counts(db) == before
    db.dispose()
    logs_clean(watch_logs)


exercised("cli-verify-registry-foreign-issuer")


def test_verify_against_a_registry_names_an_issuer_the_emp_does_not_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], watch_logs: pytest.LogCaptureFixture
) -> None:
    import dataclasses

    from emrex.elmo import model as m
    from emrex.registry import Emp, Registry, emreg_json

    ca = make_ca("CLI issuer CA")
    fjordnet = issue(ca, "FJORDNET")
    sample = sample_elmo(2)
    harvard = m.Issuer(
        identifiers=(m.Identifier("schac", "harvard.edu"),),
        titles=(m.LangText("Harvard University", "en"),),
        url="https://www.harvard.edu",
        country="US",
    )
    forged = dataclasses.replace(sample, reports=(dataclasses.replace(sample.reports[0], issuer=harvard),))
    document = tmp_path / "harvard.xml"
    document.write_bytes(Signer(fjordnet.key, fjordnet.certificate).sign(write_elmo(forged)))
    registry = tmp_path / "emp-list.json"
    url = "https://emp.fjordnet.example/emrex"
    emp = Emp("FJORDNET", "NO", url, ("Fjordby University",), (fjordnet.certificate,))
    registry.write_bytes(emreg_json(Registry(emps=(emp,))))
    code, out, err = run(capsys, "verify", str(document), "--registry", str(registry), "--emp", "FJORDNET")
    assert code == 1
    assert "signature valid for FJORDNET" in out and "not all listed for FJORDNET" in out
    one_line(err)
    assert "'Harvard University' (schac harvard.edu) is in US, but FJORDNET serves institutions in NO" in err
    logs_clean(watch_logs)
