"""The sample document: rich, reproducible, XSD-valid, of the sizes the benchmarks rely on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo, tiny_pdf
from emrex.elmo.schema import validate_xsd
from emrex.elmo.writer import write_elmo


def test_same_seed_same_document_other_seed_other_grades() -> None:
    assert write_elmo(sample_elmo(20, seed=3)) == write_elmo(sample_elmo(20, seed=3))
    assert write_elmo(sample_elmo(20, seed=3)) != write_elmo(sample_elmo(20, seed=4))


@pytest.mark.parametrize("courses", [1, 2, 3, 8, 25])
def test_course_count(courses: int) -> None:
    elmo = sample_elmo(courses)
    found = [los for _, _, los in elmo.iter_los() if los.type is m.LosType.COURSE]
    assert len(found) == courses


def test_rich_content() -> None:
    elmo = sample_elmo(8)
    assert any(ord(c) > 127 for c in elmo.learner.given_names + elmo.learner.family_name)
    assert len(elmo.reports) == 2
    assert [r.issuer.country for r in elmo.reports] == ["SE", "IT"]
    for report in elmo.reports:
        assert {i.type for i in report.issuer.identifiers} >= {"schac", "erasmus"}
        assert len({t.lang for t in report.issuer.titles}) == 2
        assert report.grading_schemes and report.grading_schemes[0].descriptions
    depths_types = {(depth, los.type) for depth, los in elmo.reports[0].iter_los()}
    assert {(0, m.LosType.DEGREE_PROGRAMME), (1, m.LosType.MODULE), (2, m.LosType.COURSE)} <= depths_types
    statuses = [
        los.specifies.status
        for _, _, los in elmo.iter_los()
        if los.specifies and los.type is m.LosType.COURSE
    ]
    assert m.LoiStatus.FAILED in statuses and m.LoiStatus.IN_PROGRESS in statuses
    with_ects = [los for _, _, los in elmo.iter_los() if los.specifies and los.specifies.ects is not None]
    assert with_ects and all(los.type is m.LosType.COURSE for los in with_ects)
    assert all(los.specifies and los.specifies.academic_term for los in with_ects)
    assert any(los.specifies and los.specifies.result_distribution for _, _, los in elmo.iter_los())


def test_attachment_is_a_real_pdf(tmp_path: Path) -> None:
    (attachment,) = sample_elmo(2).attachments
    media_type, pdf = attachment.payload()
    assert media_type == "application/pdf" and pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[startxref:].startswith(b"xref")
    pdfinfo = (
        subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=False)
        if _has_pdfinfo()
        else None
    )
    if pdfinfo is not None:
        assert pdfinfo.returncode == 0 and re.search(rb"Pages:\s+1\n", pdfinfo.stdout)


def test_tiny_pdf_offsets_point_at_objects() -> None:
    pdf = tiny_pdf("A (test) with \\ backslash")
    table = pdf.split(b"xref\n0 6\n", 1)[1].split(b"trailer", 1)[0].splitlines()[1:]
    for number, row in enumerate(table, 1):
        offset = int(row.split()[0])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())


def test_sizes_of_the_benchmark_documents() -> None:
    assert 55_000 <= len(write_elmo(sample_elmo(60))) <= 75_000
    assert 900_000 <= len(write_elmo(sample_elmo(1000))) <= 1_200_000


def test_sample_validates_against_the_official_xsd(schema_dir: Path) -> None:
    report = validate_xsd(write_elmo(sample_elmo(30, seed=7)), schema_dir, version="1.7.0")
    assert report.valid and report.errors == []


def test_at_least_one_course() -> None:
    with pytest.raises(ValueError, match="at least one course"):
        sample_elmo(0)


def _has_pdfinfo() -> bool:
    from shutil import which

    return which("pdfinfo") is not None
