"""The PDF transcript shows everything a person needs to recognise the results, and nothing breaks it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from emrex.elmo import codec
from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.transcript import TranscriptError, render_transcript
from emrex.transcript import render as render_module
from emrex.transcript.render import credit_totals

from .conftest import WHEN, PdfText, Word, course, document

Read = Callable[[bytes], PdfText]
STATUS = {"passed": "passed", "failed": "failed", "in-progress": "in progress"}


def render(elmo: m.Elmo, **kw: object) -> bytes:
    return render_transcript(elmo, generated_at=WHEN, **kw)  # type: ignore[arg-type]


def test_identity_in_latin_with_diacritics_greek_and_cyrillic(read_pdf: Read) -> None:
    learner = m.Learner(
        given_names="Åsa Žofie",
        family_name="Παπαδοπούλου-Dvořáková",
        citizenship="GR",
        identifiers=(
            m.Identifier("nationalIdentifier", "19990314-2389"),
            m.Identifier("esi", "urn:esi:se:42"),
        ),
        birth_date=dt.date(1999, 3, 14),
        place_of_birth="Θεσσαλονίκη",
        birth_name="Åsa Lindqvist",
        alternative_name=m.LangText("Анна Ивановна Петрова", "ru"),
    )
    text = read_pdf(render(document(learner=learner, issuer_title="Εθνικό Μετσόβιο Πολυτεχνείο"))).text
    for expected in (
        "Åsa Žofie",
        "Παπαδοπούλου-Dvořáková",
        "Анна Ивановна Петрова (ru)",
        "1999-03-14",
        "Θεσσαλονίκη",
        "Åsa Lindqvist",
        "Greece (GR)",
        "nationalIdentifier: 19990314-2389",
        "esi: urn:esi:se:42",
        "Εθνικό Μετσόβιο Πολυτεχνείο",
    ):
        assert expected in text


def test_title_times_and_original_note(read_pdf: Read) -> None:
    elmo = document(course("C1", "Optics"))
    text = read_pdf(render_transcript(elmo, generated_at=dt.datetime(2026, 1, 5, 9, 15, tzinfo=dt.UTC))).text
    assert text.startswith("EMREX transcript of records")
    assert "PDF generated: 2026-01-05 09:15 UTC" in text
    assert "ELMO document generated: 2026-06-30 12:00 UTC+02:00" in text
    assert "The original is the signed ELMO XML document" in text
    zoned = dt.datetime(2026, 1, 5, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30)))
    assert (
        "PDF generated: 2026-01-05 10:15 UTC-03:30"
        in read_pdf(render_transcript(elmo, generated_at=zoned)).text
    )


def test_generation_time_needs_a_time_zone() -> None:
    with pytest.raises(TranscriptError, match="time zone"):
        render_transcript(document(), generated_at=dt.datetime(2026, 1, 5, 9, 15))


def test_every_result_row_shows_its_code_title_grade_status_and_credits(read_pdf: Read) -> None:
    elmo = sample_elmo(24)
    text = read_pdf(render(elmo)).text
    rows = [(los.identifier("local"), los) for _, _, los in elmo.iter_los()]
    positions = [text.index(f"{code} {los.title('en')}") for code, los in rows]
    assert positions == sorted(positions), "rows follow the document's depth-first order"
    for (code, los), start, end in zip(rows, positions, [*positions[1:], len(text)], strict=True):
        row = text[start:end]
        loi = los.specifies
        assert loi is not None
        if loi.result_label:
            assert f" {loi.result_label} " in row, code
        if loi.status:
            assert f" {STATUS[loi.status]} " in row
        for credit in loi.credits:
            assert credit.value is not None
            assert f"ECTS {credit.value.normalize():f}" in row, code
        for title in los.titles:
            assert title.text in row
        assert los.type is not None
        assert {"Degree Programme": "Degree programme"}.get(los.type, los.type) in row


def test_terms_dates_languages_and_levels(read_pdf: Read) -> None:
    loi = m.LearningOpportunityInstance(
        start=dt.date(2024, 8, 29),
        date=dt.date(2025, 1, 10),
        academic_term=m.AcademicTerm(
            (m.LangText("Autumn 2024", "en"),), dt.date(2024, 8, 29), dt.date(2025, 1, 15)
        ),
        status=m.LoiStatus.PASSED,
        result_label="30 e lode",
        credits=(m.Credit("ECTS", Decimal("7.50"), m.CreditLevel.MASTER),),
        levels=(m.Level("EQF", value="7"),),
        language_of_instruction="it",
    )
    ongoing = m.LearningOpportunityInstance(start=dt.date(2025, 2, 1), status=m.LoiStatus.IN_PROGRESS)
    elmo = document(
        m.LearningOpportunitySpecification(
            titles=(m.LangText("Numerical Methods", "en"), m.LangText("Metodi numerici", "it")),
            identifiers=(m.Identifier("courseCode", "MN-01"),),
            type=m.LosType.COURSE,
            specifies=loi,
        ),
        m.LearningOpportunitySpecification(titles=(m.LangText("Thesis", "en"),), specifies=ongoing),
    )
    text = read_pdf(render(elmo)).text
    assert "MN-01 Numerical Methods" in text
    assert "Metodi numerici (it)" in text
    assert "Language: Italian ·" in text
    assert "Level: EQF 7" in text
    assert "Autumn 2024 2025-01-10 30 e lode passed ECTS 7.5 (Master)" in text
    assert "from 2025-02-01 in progress" in text


def test_totals_count_passed_credits_once(read_pdf: Read) -> None:
    double = m.LearningOpportunitySpecification(
        titles=(m.LangText("Module with credits on two levels", "en"),),
        type=m.LosType.MODULE,
        specifies=m.LearningOpportunityInstance(credits=(m.Credit("ects", Decimal(15)),)),
        has_part=(course("D1", "Inside A", ects="10"), course("D2", "Inside B", ects="5")),
    )
    elmo = document(
        course("P1", "Passed", ects="7.5"),
        course("F1", "Failed", ects="5", status=m.LoiStatus.FAILED, grade="F"),
        course("I1", "Ongoing", ects="6", status=m.LoiStatus.IN_PROGRESS, grade=None),
        course("N1", "No status", ects="2.5", status=None),
        double,
    )
    assert elmo.total_ects() == Decimal(25)
    text = read_pdf(render(elmo)).text
    assert "Credits passed at this institution: ECTS 25" in text
    assert "Credits passed in all: ECTS 25" in text


def test_totals_over_several_reports_match_the_model(read_pdf: Read) -> None:
    elmo = sample_elmo(30)
    text = read_pdf(render(elmo)).text
    for report in elmo.reports:
        assert f"Credits passed at this institution: ECTS {report.total_ects().normalize():f}" in text
    assert f"Credits passed in all: ECTS {elmo.total_ects().normalize():f}" in text


def test_credit_totals_per_scheme() -> None:
    hp = m.LearningOpportunitySpecification(
        titles=(m.LangText("Swedish credits", "en"),),
        specifies=m.LearningOpportunityInstance(
            credits=(m.Credit("HP", Decimal(15)), m.Credit("ECTS", Decimal(15)))
        ),
        has_part=(
            m.LearningOpportunitySpecification(
                titles=(m.LangText("Part", "en"),),
                specifies=m.LearningOpportunityInstance(credits=(m.Credit("hp", Decimal(7)),)),
            ),
        ),
    )
    assert credit_totals([hp, course("X", "Other", ects="5")]) == [("HP", Decimal(15)), ("ECTS", Decimal(20))]
    assert credit_totals([]) == []


def test_grading_schemes_with_descriptions(read_pdf: Read) -> None:
    schemes = (
        m.GradingScheme("SE-UG", (m.LangText("U (fail), G (pass)", "en"), m.LangText("U (underkänd)", "sv"))),
        m.GradingScheme("ECTS-AF", (m.LangText("A (best) to F (fail)\nE is the lowest pass", "en"),)),
    )
    loi = m.LearningOpportunityInstance(result_label="G", grading_scheme_local_id="SE-UG")
    los = m.LearningOpportunitySpecification(titles=(m.LangText("Course", "en"),), specifies=loi)
    text = read_pdf(render(document(los, schemes=schemes))).text
    assert "Grading schemes SE-UG: U (fail), G (pass) (en) U (underkänd) (sv)" in text
    assert "ECTS-AF: A (best) to F (fail) E is the lowest pass (en)" in text
    assert "Grading scheme: SE-UG" in text, "with several schemes each result names its own"


def test_issuer_titles_country_identifiers_url(read_pdf: Read) -> None:
    elmo = sample_elmo(8)
    text = read_pdf(render(elmo)).text
    assert "Issuing institution: Nordvik University" in text
    assert "Nordviks universitet (sv) Nordvik University (en)" in text
    assert "Università di Collina (it) University of Collina (en)" in text
    assert "Italy (IT)" in text
    assert "erasmus: S NORDVIK01" in text
    assert "https://www.unicollina.example" in text
    assert "Issued 2025-02-20 09:30 UTC+01:00" in text


def test_markup_in_the_document_is_shown_as_text(read_pdf: Read) -> None:
    evil = '<b>x</b><script>alert(1)</script> &amp; Q&A <font size="40">big</font> <br/>'
    los = course("<i>C</i>", evil, grade="<b>A</b>", titles=(m.LangText("&lt;y&gt; <para>", "sv"),))
    schemes = (m.GradingScheme("<u>S</u>", (m.LangText("<strike>desc</strike> &copy;", "en"),)),)
    learner = m.Learner(given_names="<a href='x'>Eve</a>", family_name="O'Neil & Sons <b>")
    pdf = render(document(los, learner=learner, issuer_title="<img src=x> Uni & Co", schemes=schemes))
    text = read_pdf(pdf).text
    for literal in (
        evil,
        "<i>C</i>",
        "<b>A</b>",
        "&lt;y&gt; <para> (sv)",
        "<u>S</u>: <strike>desc</strike> &copy; (en)",
        "<a href='x'>Eve</a>",
        "O'Neil & Sons <b>",
        "Issuing institution: <img src=x> Uni & Co",
    ):
        assert literal in text
    assert b"/URI" not in pdf, "no link annotation was created from markup"


def test_swedish_labels(read_pdf: Read) -> None:
    pages = read_pdf(render(sample_elmo(8), language="sv"))
    text = pages.text
    for label in (
        "EMREX-resultatintyg",
        "Födelsedatum 1999-03-14",
        "Medborgarskap Sverige (SE)",
        "Utfärdande lärosäte: Nordviks universitet",
        "Kod Benämning Typ Termin, datum Betyg Status Poäng",
        "Linjär algebra",
        "godkänd",
        "underkänd",
        "pågående",
        "TTF2Y Civilingenjörsprogrammet i teknisk fysik Master of Science in Engineering Physics (en) · "
        "Nivå: EQF 7 Program",
        "Undervisningsspråk: svenska",
        "Godkända poäng totalt",
        "Betygsskalor",
        "ECTS 7,5",
    ):
        assert label in text
    assert f"sida 1 av {len(pages.pages)} EMREX-resultatintyg · Lindqvist" in pages.pages[0]
    assert "Credits" not in text


def test_unknown_language_gets_english_labels_and_prefers_its_titles(read_pdf: Read) -> None:
    los = course("C1", "Operations Research", titles=(m.LangText("Ricerca operativa", "it"),))
    text = read_pdf(render(document(los), language="it-IT")).text
    assert "EMREX transcript of records" in text
    assert "C1 Ricerca operativa Operations Research (en)" in text


def test_pages_are_numbered_and_grow_with_the_results(read_pdf: Read) -> None:
    small = read_pdf(render(document(course("C1", "Optics"))))
    large = read_pdf(render(sample_elmo(150)))
    assert len(small.pages) == 1
    assert len(large.pages) > 4
    for pdf, name in ((small, "Berg, Anna"), (large, "Lindqvist-Dvořáková, Åsa Žofie")):
        for number, page in enumerate(pdf.pages, 1):
            assert page.endswith(f"page {number} of {len(pdf.pages)} EMREX transcript of records · {name}")


def test_the_results_header_is_repeated_on_every_page_of_the_table(read_pdf: Read) -> None:
    elmo = sample_elmo(150)
    pages = read_pdf(render(elmo)).pages
    header = "Code Title Type Term, date Grade Status Credits"
    with_rows = [page for page in pages if re.search(r"\bC\d{5}\b", page)]
    assert len(with_rows) > 4
    for page in with_rows:
        assert header in page
        assert page.index(header) < re.search(r"\bC\d{5}\b", page).start()  # type: ignore[union-attr]
    codes = re.findall(r"\bC\d{5}\b", " ".join(pages))
    assert codes == [f"C{n:05d}" for n in range(150)], "every row once, in order, none lost at page breaks"


def test_long_titles_wrap_inside_the_page(
    read_pdf: Read, pdf_words: Callable[[bytes], tuple[list[Word], tuple[float, float]]]
) -> None:
    long_title = " ".join(f"Interdisciplinary{n} perspectives" for n in range(30))
    unbroken = "Donaudampfschifffahrtsgesellschaftskapitän" * 8
    elmo = document(
        course("LONG-CODE-WITHOUT-ANY-SPACES-0123456789", long_title, grade="Excellent with distinction"),
        course("C2", unbroken),
        learner=m.Learner(given_names="Maria " * 30, family_name="X" * 300),
    )
    pdf = render(elmo)
    text = read_pdf(pdf).text
    assert long_title in text
    assert unbroken in text.replace(" ", "")
    words, (width, height) = pdf_words(pdf)
    assert words
    margin = 16 * 72 / 25.4  # 16 mm left and right
    for word in words:
        assert margin - 0.5 <= word.x_min and word.x_max <= width - margin + 0.5, word
        assert word.y_min >= 30 and word.y_max <= height - 30, word


def test_a_row_taller_than_a_page_breaks_across_pages(read_pdf: Read) -> None:
    giant = " ".join(f"word{n}" for n in range(2500))
    pdf = read_pdf(render(document(course("BIG", giant, grade="B"), course("AFTER", "Next course"))))
    assert len(pdf.pages) >= 3
    assert re.findall(r"\bword\d+", pdf.text) == giant.split()
    assert "BIG word0 " in pdf.pages[0]
    assert "AFTER Next course" in pdf.pages[-1]
    assert "Code Title Type Term, date Grade Status Credits" in pdf.pages[1]


def test_deep_trees_are_indented_and_all_shown(read_pdf: Read) -> None:
    node = course("LEAF", "Deepest course")
    for depth in range(40):
        node = m.LearningOpportunitySpecification(
            titles=(m.LangText(f"Level {depth}", "en"),),
            identifiers=(m.Identifier("local", f"N{depth}"),),
            type=m.LosType.MODULE,
            specifies=m.LearningOpportunityInstance(),
            has_part=(node,),
        )
    text = read_pdf(render(document(node))).text
    assert "LEAF Deepest course" in text
    assert all(f"N{d} Level {d}" in text for d in range(40))
    assert "Credits passed in all: ECTS 5" in text


def test_sparse_documents_render(read_pdf: Read) -> None:
    bare = m.Elmo(
        learner=m.Learner(),
        reports=(
            m.Report(),
            m.Report(learning_opportunity_specifications=(m.LearningOpportunitySpecification(),)),
        ),
    )
    text = read_pdf(render(bare)).text
    assert "No results from this institution were shared." in text
    assert "Credits passed in all: ECTS 0" in text


def test_undrawable_characters_are_dropped(read_pdf: Read) -> None:
    los = course("C\x00", "Tab\there\x07 bell\x1b[31m \ud800 end")
    text = read_pdf(render(document(los))).text
    assert "Tab here bell[31m end" in text


def test_characters_outside_the_font_are_reported(read_pdf: Read) -> None:
    learner = m.Learner(given_names="Mei", family_name="Wang", alternative_name=m.LangText("王美", "zh"))
    assert "not in the PDF's font" in read_pdf(render(document(learner=learner))).text
    assert "not in the PDF's font" not in read_pdf(render(sample_elmo(8))).text


def test_same_input_gives_the_same_bytes_with_the_generation_time_as_creation_date() -> None:
    elmo = sample_elmo(12)
    first = render(elmo)
    assert first == render(elmo)
    assert first.startswith(b"%PDF-")
    assert b"D:20261122233000+00'00'" in first
    later = render_transcript(elmo, generated_at=WHEN + dt.timedelta(minutes=1))
    assert later != first


def test_sixty_courses_stay_small() -> None:
    assert len(render(sample_elmo(60))) < 40_000


def test_the_default_generation_time_is_now_in_utc(read_pdf: Read) -> None:
    before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    text = read_pdf(render_transcript(document())).text
    after = dt.datetime.now(dt.UTC)
    stamp = re.search(r"PDF generated: (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", text)
    assert stamp is not None
    shown = dt.datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    assert before <= shown <= after


def test_renders_in_parallel_threads_match_serial_ones() -> None:
    documents = [sample_elmo(n) for n in (3, 40, 3, 40)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(render, documents))
    assert parallel == [render(elmo) for elmo in documents]


def test_real_documents_from_other_implementations(interop_dir: Path, read_pdf: Read) -> None:
    names = [
        "unsigned/dk-emrex__common-java_Example-elmo-Denmark.xml",
        "unsigned/fi-ncp__my_elmo.xml",
        "signed-invalid/fi-emrex__kaisa.xml",
        "transport/dk-emrex__wl.txt",
    ]
    for name in names:
        elmo = read_elmo(codec.decode((interop_dir / name).read_bytes())).elmo
        text = read_pdf(render(elmo)).text
        titles = [los.title() for _, _, los in elmo.iter_los()]
        assert titles, name
        for title in titles:
            assert title is not None and " ".join(title.split()) in text, (name, title)
        assert f"{elmo.learner.family_name}, {elmo.learner.given_names}" in text


def test_the_cyclic_collector_is_off_during_layout_and_back_on_after(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    layout = render_module._layout

    def watched(*args: Any) -> bytes:
        seen.append(gc.isenabled())
        return layout(*args)

    monkeypatch.setattr(render_module, "_layout", watched)
    assert gc.isenabled()
    render(sample_elmo(3))
    assert seen == [False]
    assert gc.isenabled()


def test_the_pages_are_freed_at_once_not_left_to_the_collector() -> None:
    """Without reference cycles holding the pages, the collector's first pass after a layout has no
    transcript to walk: what it finds is a few objects, as many for 400 courses as for 3."""

    def cyclic_garbage(elmo: m.Elmo) -> int:
        gc.collect()
        gc.disable()
        try:
            render(elmo)
            return gc.collect()
        finally:
            gc.enable()

    render(sample_elmo(400))  # fonts, subsets and locale data loaded once
    few, many = cyclic_garbage(sample_elmo(3)), cyclic_garbage(sample_elmo(400))
    assert many < 100, many
    assert many <= few + 10, (few, many)
    assert gc.isenabled()


def test_the_collector_is_back_on_after_a_failed_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> bytes:
        raise RuntimeError("layout failed")

    monkeypatch.setattr(render_module, "_layout", broken)
    with pytest.raises(RuntimeError, match="layout failed"):
        render(sample_elmo(3))
    assert gc.isenabled()
    with pytest.raises(TranscriptError):
        render_transcript(sample_elmo(3), generated_at=dt.datetime(2026, 1, 1))  # no time zone
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off() -> None:
    gc.disable()
    try:
        first = render(sample_elmo(3))
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert first == render(sample_elmo(3))


def test_the_collector_stays_off_until_the_last_of_overlapping_renders_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layout = render_module._layout
    inside = threading.Barrier(3)
    leave_first, leave_second = threading.Event(), threading.Event()
    states: dict[str, bool] = {}

    def slow(story: list[Any], texts: Any, styles: Any, when: dt.datetime, name: str) -> bytes:
        inside.wait(5)
        (leave_first if name.startswith("Lindqvist") else leave_second).wait(5)
        return layout(story, texts, styles, when, name)

    monkeypatch.setattr(render_module, "_layout", slow)
    other = dataclasses.replace(
        sample_elmo(3),
        learner=m.Learner(given_names="Anna", family_name="Berg", birth_date=dt.date(2001, 2, 3)),
    )
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(render, sample_elmo(3))
        second = pool.submit(render, other)
        inside.wait(5)  # both renders are in their layout
        states["both inside"] = gc.isenabled()
        leave_first.set()
        first.result(5)
        states["one inside"] = gc.isenabled()
        leave_second.set()
        second.result(5)
    assert states == {"both inside": False, "one inside": False}
    assert gc.isenabled()
