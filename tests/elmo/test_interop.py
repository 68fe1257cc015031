"""Every real document of the interop corpus is read as its publisher meant it (or refused cleanly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emrex.elmo import codec
from emrex.elmo.errors import ElmoParseError
from emrex.elmo.model import LosType
from emrex.elmo.reader import read_elmo

# file -> (given names, family name, all LOS, LOS of type Course), counted from the files with grep
EXPECTED = {
    "signed-valid/dk-emrex__elmo-tomcat-signed.xml": ("Jens", "Hansen", 5, 5),
    "signed-valid/dk-emrex__elmo-tomcat-unsigned.xml": ("Jens", "Hansen", 5, 5),
    "signed-invalid/dk-emrex__elmo-wl-signed.xml": ("Jens", "Hansen", 5, 5),
    "signed-invalid/fi-emrex__kaisa.xml": ("Kaisa", "Keränen", 3, 0),
    "unsigned/dk-emrex__common-java_Example-elmo-Denmark.xml": ("CX", "CX", 36, 36),
    "unsigned/fi-ncp__my_elmo.xml": ("Teppo", "Testaaja", 1, 0),
    "transport/dk-emrex__elmo-tomcat-signed-zipped-base64.txt": ("Jens", "Hansen", 5, 5),
    "transport/dk-emrex__wl.txt": ("Jens", "Hansen", 5, 5),
}
SKIPPED_DIRS = {"legacy", "malformed", "pdf", "registry", "certs", "virta"}
NEGATIVE = {"transport/dk-emrex__elmo-wl-signed-zipped-base64.txt"}


def _bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return codec.decode(data) if path.parent.name == "transport" else data


def test_the_expectations_cover_every_document_of_the_corpus(interop_dir: Path) -> None:
    present = {
        p.relative_to(interop_dir).as_posix()
        for p in interop_dir.rglob("*")
        if p.is_file() and p.parent != interop_dir and p.parent.name not in SKIPPED_DIRS
    }
    assert present == set(EXPECTED) | NEGATIVE


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reads_names_and_courses(interop_dir: Path, name: str) -> None:
    given, family, los_count, course_count = EXPECTED[name]
    elmo = read_elmo(_bytes(interop_dir / name)).elmo
    assert (elmo.learner.given_names, elmo.learner.family_name) == (given, family)
    all_los = [los for _, _, los in elmo.iter_los()]
    assert len(all_los) == los_count
    assert sum(1 for los in all_los if los.type is LosType.COURSE) == course_count


def test_prefixed_weblogic_document_reads_like_the_default_namespace_one(interop_dir: Path) -> None:
    prefixed = read_elmo(_bytes(interop_dir / "transport/dk-emrex__wl.txt"))
    plain = read_elmo(_bytes(interop_dir / "transport/dk-emrex__elmo-tomcat-signed-zipped-base64.txt"))
    assert b"<ns0:elmo" in _bytes(interop_dir / "transport/dk-emrex__wl.txt")
    assert prefixed.elmo.learner == plain.elmo.learner
    assert [r.issuer for r in prefixed.elmo.reports] == [r.issuer for r in plain.elmo.reports]
    assert prefixed.elmo.signed and plain.elmo.signed


def test_danish_credit_level_dash_is_dropped_with_a_warning_per_credit(interop_dir: Path) -> None:
    result = read_elmo((interop_dir / "unsigned/dk-emrex__common-java_Example-elmo-Denmark.xml").read_bytes())
    dash = [w for w in result.warnings if "credit level '-'" in w.message]
    assert len(dash) == 36
    assert all(w.line and w.line > 1 for w in dash)
    credits = [c for _, _, los in result.elmo.iter_los() if los.specifies for c in los.specifies.credits]
    assert credits and all(c.level is None and c.is_ects for c in credits)
    assert result.elmo.total_ects() == sum(c.value for c in credits if c.value is not None)


def test_undecodable_weblogic_transport_fails_cleanly(interop_dir: Path) -> None:
    data = codec.decode((interop_dir / "transport/dk-emrex__elmo-wl-signed-zipped-base64.txt").read_bytes())
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    with pytest.raises(ElmoParseError) as info:
        read_elmo(data)
    assert info.value.line == 1
    assert "not well-formed" in str(info.value)


def test_malformed_document_fails_with_its_line(interop_dir: Path) -> None:
    for path in (interop_dir / "malformed").iterdir():
        with pytest.raises(ElmoParseError) as info:
            read_elmo(path.read_bytes())
        assert info.value.line is not None
        assert "tag mismatch" in str(info.value)


def test_legacy_document_is_recognised_as_pre_1_0(interop_dir: Path) -> None:
    for path in (interop_dir / "legacy").iterdir():
        with pytest.raises(ElmoParseError, match=r"pre-1\.0 ELMO"):
            read_elmo(path.read_bytes())


def test_official_examples_read_without_warnings(schema_dir: Path) -> None:
    for version in ("v1.7.0", "v2.0.0"):
        result = read_elmo((schema_dir / version / "example.xml").read_bytes())
        assert result.warnings == []
        assert result.elmo.learner.birth_date is not None
        assert result.elmo.learner.birth_date.isoformat() == "1983-04-12"
        assert result.elmo.signed
