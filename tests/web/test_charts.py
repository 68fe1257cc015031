"""SVG bar charts: well-formed, accessible, every number written, hostile labels inert."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from emrex.web.charts import ABOVE_LABEL_CHARS, MAX_BARS, WIDTH, Bar, bar_chart, number_text

SVG = "{http://www.w3.org/2000/svg}"


def _chart(bars: list[Bar], **kw: str) -> etree._Element:
    text = bar_chart(
        bars,
        chart_id=kw.get("chart_id", "chart-a"),
        title=kw.get("title", "Transfers per month"),
        desc=kw.get("desc", "The same numbers are in the table."),
        empty_text=kw.get("empty_text", "Nothing in this period."),
    )
    return etree.fromstring(text.encode("utf-8"))  # raises on anything but well-formed XML


def _texts(svg: etree._Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


def test_a_chart_is_an_image_named_by_its_title_and_described() -> None:
    svg = _chart([Bar("2026-01", 3), Bar("2026-02", 5)])
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-a-title" and svg.get("aria-describedby") == "chart-a-desc"
    assert svg.find(f"{SVG}title").get("id") == "chart-a-title"
    assert svg.find(f"{SVG}title").text == "Transfers per month"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == "chart-a-desc"
    assert desc.text == "The same numbers are in the table. 2026-01: 3; 2026-02: 5"
    assert svg.get("viewBox").startswith(f"0 0 {WIDTH} ")


def test_every_label_and_value_is_written_next_to_its_bar() -> None:
    bars = [Bar("2026-01", 3), Bar("2026-02", 0), Bar("2026-03", Decimal("17.50")), Bar("2026-04", 12)]
    svg = _chart(bars)
    texts = _texts(svg)
    for label in ("2026-01", "2026-02", "2026-03", "2026-04", "3", "0", "17.5", "12"):
        assert label in texts
    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]
    assert widths[1] == 0  # nothing drawn for zero
    assert widths[0] < widths[3] < widths[2]  # lengths follow the values
    assert abs(widths[0] / widths[2] - 3 / 17.5) < 0.01


def test_bars_and_values_stay_inside_the_drawing() -> None:
    svg = _chart([Bar("2026-01", 1), Bar("2026-02", 123456789)])
    for rect in svg.iter(f"{SVG}rect"):
        assert float(rect.get("x")) + float(rect.get("width")) <= WIDTH
    value = next(t for t in svg.iter(f"{SVG}text") if t.text == "123456789")
    assert float(value.get("x")) + 9 * 0.62 * 16 <= WIDTH + 1


def test_a_small_count_stays_visible() -> None:
    svg = _chart([Bar("a", 1), Bar("b", 100_000)])
    assert float(next(svg.iter(f"{SVG}rect")).get("width")) >= 2


def test_short_labels_sit_left_of_their_bar_and_long_ones_above_it_cut() -> None:
    short = _chart([Bar("2026-01", 1)])
    assert _texts(short) == ["2026-01", "1"]
    rect = next(short.iter(f"{SVG}rect"))
    assert float(rect.get("x")) > 0  # a label column before the bars
    long_name = "Nordkapp School of Music and Arts, Department of Jazz and Folk Music"
    above = _chart([Bar(long_name, 4)])
    rect = next(above.iter(f"{SVG}rect"))
    assert float(rect.get("x")) == 0
    label = _texts(above)[0]
    assert len(label) == ABOVE_LABEL_CHARS and label.endswith("…")
    assert long_name in above.find(f"{SVG}desc").text  # whole in the description (and the table)


def test_no_data_says_so() -> None:
    svg = _chart([], empty_text="Nothing in this period.")
    assert _texts(svg) == ["Nothing in this period."]
    assert not list(svg.iter(f"{SVG}rect"))
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Transfers per month"


def test_many_bars_end_in_one_that_adds_up_the_rest() -> None:
    bars = [Bar(f"c{index}", 1) for index in range(MAX_BARS + 10)]
    svg = _chart(bars)
    assert len(list(svg.iter(f"{SVG}rect"))) == MAX_BARS
    assert _texts(svg)[-2:] == ["…", "11"]


@pytest.mark.parametrize(
    "label",
    [
        "<script>alert(1)</script>",
        '"><svg onload=alert(1)>',
        "</text><script>alert(1)</script><text>",
        "]]><script>x</script>",
        "Tom & Jerry's <b>",
        "nul\x00 escape\x1b bell\x07 \ufffe end",
        "lone \ud800 surrogate",
    ],
)
def test_hostile_labels_are_text_and_nothing_else(label: str) -> None:
    text = bar_chart(
        [Bar(label, 2)], chart_id='x" onload="alert(1)', title=label, desc=label, empty_text=label
    )
    svg = etree.fromstring(text.encode("utf-8"))
    tags = {etree.QName(element).localname for element in svg.iter() if isinstance(element.tag, str)}
    assert tags <= {"svg", "title", "desc", "g", "text", "rect", "line"}
    for element in svg.iter():
        assert not [name for name in element.attrib if name.startswith("on")]
    assert svg.get("aria-labelledby") == "x--onload--alert-1--title"
    shown = "".join(ch for ch in label if ch.isprintable() and ch not in "\ufffe\ud800")
    assert svg.find(f"{SVG}title").text == shown


def test_numbers_are_written_plainly() -> None:
    assert number_text(Decimal("30.00")) == "30"
    assert number_text(Decimal("7.50")) == "7.5"
    assert number_text(Decimal("1E+1")) == "10"
    assert number_text(Decimal(0)) == "0"
    assert number_text(42) == "42"
