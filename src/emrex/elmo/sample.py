"""A realistic, rich and reproducible ELMO model for demos, tests and benchmarks (fictitious people).

Two reports from two institutions; the first holds a degree programme -> modules -> courses tree, the
second courses taken abroad. ECTS sit on courses only; one course is failed and one in progress. The
document carries a small valid PDF as its human-readable transcript.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from emrex.elmo import model as m

_CET = dt.timezone(dt.timedelta(hours=2))
_SUBJECTS = (
    ("Linear Algebra", "Linjär algebra", "0541"),
    ("Real Analysis", "Reell analys", "0541"),
    ("Probability Theory", "Sannolikhetsteori", "0542"),
    ("Algorithms and Data Structures", "Algoritmer och datastrukturer", "0613"),
    ("Compiler Construction", "Kompilatorteknik", "0613"),
    ("Databases", "Databaser", "0612"),
    ("Computer Networks", "Datornätverk", "0612"),
    ("Machine Learning", "Maskininlärning", "0613"),
    ("Thermodynamics", "Termodynamik", "0533"),
    ("Quantum Mechanics", "Kvantmekanik", "0533"),
    ("Scientific Writing", "Vetenskapligt skrivande", "0232"),
    ("Ethics of Technology", "Teknikens etik", "0223"),
)
_ITALIAN = (
    ("Italian Language B1", "Lingua italiana B1", "0231"),
    ("History of Renaissance Art", "Storia dell'arte rinascimentale", "0222"),
    ("Numerical Methods", "Metodi numerici", "0541"),
    ("Operations Research", "Ricerca operativa", "0541"),
    ("Software Engineering", "Ingegneria del software", "0613"),
)
_SE_GRADES = ("G", "VG", "G", "VG", "G")
_IT_GRADES = ("24", "27", "30", "30 e lode", "21", "28")
_DESCRIPTION = (
    "{subject}: lectures, exercise sessions, laboratory assignments and a written examination "
    "on the central concepts of the field."
)
_PDF_TEXT = "EMREX transcript of records (sample)"


def sample_elmo(courses: int = 8, *, seed: int = 0) -> m.Elmo:
    """A document with ``courses`` courses in all (at least 1); the same seed gives the same model."""
    if courses < 1:
        raise ValueError("a sample needs at least one course")
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    abroad = max(1, courses // 4) if courses >= 2 else 0
    home = courses - abroad
    transcript_id = "transcript-1"
    reports = [_home_report(rng, home, transcript_id)]
    if abroad:
        reports.append(_abroad_report(rng, abroad, home))
    transcript = m.Attachment(
        identifiers=(m.Identifier("internal", transcript_id),),
        titles=(m.LangText("Transcript of records", "en"), m.LangText("Studieresultat", "sv")),
        type=m.AttachmentType.EMREX_TRANSCRIPT,
        descriptions=(m.LangText("All results in this document, as a PDF.", "en"),),
        contents=(m.LangText(m.encode_data_uri("application/pdf", tiny_pdf(_PDF_TEXT)), "en"),),
    )
    groups = m.Groups(
        (
            m.GroupType(
                titles=(m.LangText("By category", "en"), m.LangText("Efter kategori", "sv")),
                id="category",
                groups=(
                    m.Group((m.LangText("Mandatory courses", "en"),), "mandatory", "1"),
                    m.Group((m.LangText("Elective courses", "en"),), "elective", "2"),
                ),
            ),
        )
    )
    return m.Elmo(
        learner=_learner(),
        reports=tuple(reports),
        generated_date=dt.datetime(2026, 6, 30, 12, 0, tzinfo=_CET),
        attachments=(transcript,),
        groups=groups,
    )


def _learner() -> m.Learner:
    return m.Learner(
        given_names="Åsa Žofie",
        family_name="Lindqvist-Dvořáková",
        citizenship="SE",
        identifiers=(
            m.Identifier("nationalIdentifier", "19990314-2389"),
            m.Identifier("esi", "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913"),
        ),
        birth_date=dt.date(1999, 3, 14),
        place_of_birth="Göteborg",
        birth_name="Åsa Žofie Lindqvist",
        current_address=m.Address(
            street_name="Kungsgatan",
            building_number="12 B",
            postal_code="752 20",
            locality="Nordvik",
            country="SE",
        ),
        gender=m.Gender.FEMALE,
    )


def _term(year: int, autumn: bool) -> m.AcademicTerm:
    if autumn:
        return m.AcademicTerm(
            (m.LangText(f"Autumn {year}", "en"), m.LangText(f"Hösttermin {year}", "sv")),
            dt.date(year, 8, 29),
            dt.date(year + 1, 1, 15),
        )
    return m.AcademicTerm(
        (m.LangText(f"Spring {year}", "en"), m.LangText(f"Vårtermin {year}", "sv")),
        dt.date(year, 1, 16),
        dt.date(year, 6, 4),
    )


def _course(
    rng: random.Random,
    number: int,
    names: tuple[str, str, str],
    lang: str,
    term: m.AcademicTerm,
    scheme: str,
    grades: tuple[str, ...],
    status: m.LoiStatus,
) -> m.LearningOpportunitySpecification:
    en, local, isced = names
    ects = Decimal(rng.choice(("5", "7.5", "7.5", "10", "15")))
    done = status is m.LoiStatus.PASSED
    label: str | None = None
    if done:
        label = rng.choice(grades)
    elif status is m.LoiStatus.FAILED:
        label = "U" if scheme.startswith("SE") else "15"
    assert term.end is not None
    loi = m.LearningOpportunityInstance(
        start=term.start,
        date=term.end - dt.timedelta(days=rng.randint(0, 20))
        if status is not m.LoiStatus.IN_PROGRESS
        else None,
        academic_term=term,
        status=status,
        grading_scheme_local_id=scheme,
        result_label=label,
        result_distribution=_distribution(rng, grades) if done and number % 10 == 0 else None,
        credits=(m.Credit("ECTS", ects),) if done else (),
        language_of_instruction=lang,
        engagement_hours=ects * 27 if number % 4 == 0 else None,
        grouping=m.Grouping("category", "mandatory" if number % 2 else "elective"),
    )
    suffix = f" {number // len(_SUBJECTS) + 1}" if number >= len(_SUBJECTS) else ""
    return m.LearningOpportunitySpecification(
        titles=(m.LangText(en + suffix, "en"), m.LangText(local + suffix, lang)),
        identifiers=(m.Identifier("local", f"C{number:05d}"),),
        type=m.LosType.COURSE,
        subject_area=isced[:2] + ".1",
        isced_code=isced,
        descriptions=(m.LangText(_DESCRIPTION.format(subject=en), "en"),),
        specifies=loi,
    )


def _distribution(rng: random.Random, grades: tuple[str, ...]) -> m.ResultDistribution:
    labels = sorted(set(grades))
    return m.ResultDistribution(
        tuple(m.DistributionCategory(label, rng.randint(2, 60)) for label in labels),
        (m.LangText("All students of the course, including those who failed.", "en"),),
    )


def _home_report(rng: random.Random, count: int, transcript_id: str) -> m.Report:
    statuses = [m.LoiStatus.PASSED] * count
    if count >= 3:
        statuses[-2] = m.LoiStatus.FAILED
    if count >= 2:
        statuses[-1] = m.LoiStatus.IN_PROGRESS
    course_list = []
    for i in range(count):
        year = 2022 + (i // 10) % 4
        course = _course(
            rng,
            i,
            _SUBJECTS[i % len(_SUBJECTS)],
            "sv",
            _term(year, i % 2 == 0),
            "SE-UG",
            _SE_GRADES,
            statuses[i],
        )
        if i == 0:
            assert course.specifies is not None
            loi = course.specifies
            course = dataclasses.replace(
                course, specifies=dataclasses.replace(loi, attachment_refs=(transcript_id,))
            )
        course_list.append(course)
    modules = []
    for start in range(0, count, 6):
        number = start // 6 + 1
        modules.append(
            m.LearningOpportunitySpecification(
                titles=(m.LangText(f"Module {number}", "en"), m.LangText(f"Modul {number}", "sv")),
                identifiers=(m.Identifier("local", f"M{number:03d}"),),
                type=m.LosType.MODULE,
                specifies=m.LearningOpportunityInstance(),
                has_part=tuple(course_list[start : start + 6]),
            )
        )
    degree = m.LearningOpportunitySpecification(
        titles=(
            m.LangText("Master of Science in Engineering Physics", "en"),
            m.LangText("Civilingenjörsprogrammet i teknisk fysik", "sv"),
        ),
        identifiers=(m.Identifier("local", "TTF2Y"),),
        type=m.LosType.DEGREE_PROGRAMME,
        isced_code="0533",
        url="https://www.nordvik.example/education/ttf2y",
        specifies=m.LearningOpportunityInstance(
            start=dt.date(2022, 8, 29),
            status=m.LoiStatus.IN_PROGRESS,
            levels=(m.Level("EQF", value="7"),),
        ),
        has_part=tuple(modules),
    )
    return m.Report(
        issuer=m.Issuer(
            identifiers=(
                m.Identifier("schac", "nordvik.example"),
                m.Identifier("erasmus", "S NORDVIK01"),
                m.Identifier("pic", "999000001"),
            ),
            titles=(m.LangText("Nordviks universitet", "sv"), m.LangText("Nordvik University", "en")),
            url="https://www.nordvik.example",
            country="SE",
        ),
        learning_opportunity_specifications=(degree,),
        issue_date=dt.datetime(2026, 6, 30, 12, 0, tzinfo=_CET),
        grading_schemes=(
            m.GradingScheme(
                "SE-UG",
                (
                    m.LangText("U (fail), G (pass), VG (pass with distinction)", "en"),
                    m.LangText("U (underkänd), G (godkänd), VG (väl godkänd)", "sv"),
                ),
            ),
        ),
    )


def _abroad_report(rng: random.Random, count: int, offset: int) -> m.Report:
    courses = tuple(
        _course(
            rng,
            offset + i,
            _ITALIAN[i % len(_ITALIAN)],
            "it",
            _term(2024, True),
            "IT-30",
            _IT_GRADES,
            m.LoiStatus.PASSED,
        )
        for i in range(count)
    )
    return m.Report(
        issuer=m.Issuer(
            identifiers=(m.Identifier("schac", "unicollina.example"), m.Identifier("erasmus", "I COLLINA01")),
            titles=(m.LangText("Università di Collina", "it"), m.LangText("University of Collina", "en")),
            url="https://www.unicollina.example",
            country="IT",
        ),
        learning_opportunity_specifications=courses,
        issue_date=dt.datetime(2025, 2, 20, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        grading_schemes=(
            m.GradingScheme(
                "IT-30",
                (
                    m.LangText("18 to 30 (pass), 30 e lode (excellent); below 18 is a fail", "en"),
                    m.LangText("Da 18 a 30 e lode; sotto 18 non superato", "it"),
                ),
            ),
        ),
    )


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII) in Helvetica, with a correct cross-reference table."""
    safe = text.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 14 Tf 72 760 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
