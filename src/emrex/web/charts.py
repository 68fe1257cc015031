"""Bar charts as inline SVG, made on the server: no script, no external asset, no dependency.

One chart is one series of labelled values drawn as horizontal bars, each bar with its value
written after it (a chart never relies on colour alone). The SVG has ``role="img"``, a ``<title>``
and a ``<desc>``; the page puts the same numbers in a table beside it. The drawing is 300 units
wide and scales down with its container: short labels (months) sit left of their bar, longer ones
above it, so the text stays readable on a 320 px phone. Every piece of text is escaped here, and
characters XML cannot carry are dropped: a label is data from outside (a registry, a client host).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 300
FONT = 16  # units of the viewBox: about 15 px on a 320 px phone, 17 px at the widest (20rem)
CHAR = 0.62 * FONT  # a generous width of one character of a sans-serif font (digits, Latin)
BAR = 20
MAX_BARS = 40  # bars beyond these are added up into one "other" bar
LEFT_LABEL_CHARS = 12  # labels up to this long sit left of their bar
ABOVE_LABEL_CHARS = 40  # longer labels sit above it, cut to this many characters
BAR_FILL = "#0b4f8a"  # 8.6:1 against white (WCAG non-text contrast needs 3:1)
TEXT_FILL = "#1a1a1a"  # 17:1 against white
AXIS = "#4a4a4a"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID = re.compile(r"[^a-z0-9-]")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | Decimal
    text: str = ""  # the value as written after the bar; empty: the number itself


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    empty_text: str,
    other_label: str = "…",
) -> str:
    """The SVG element (text) of one chart. ``desc`` is followed by every label and its value."""
    ident = _ID.sub("-", chart_id.lower())[:40] or "chart"
    shown = _limited(list(bars), other_label)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart-svg" '
        f'aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        f"font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif\" "
        f'font-size="{FONT}" '
    )
    listing = "; ".join(f"{bar.label}: {_value_text(bar)}" for bar in shown)
    described = f"{desc} {listing}".strip() if listing else desc
    titles = (
        f'<title id="{ident}-title">{_escape(title)}</title>'
        f'<desc id="{ident}-desc">{_escape(described)}</desc>'
    )
    if not shown:
        height = 2 * FONT
        return (
            f'{head}width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">{titles}'
            f'<text x="0" y="{FONT + 4}" fill="{TEXT_FILL}">{_escape(empty_text)}</text></svg>'
        )
    return head + _bars(shown, titles)


def _bars(shown: list[Bar], titles: str) -> str:
    labels_left = max(len(bar.label) for bar in shown) <= LEFT_LABEL_CHARS
    texts = [_value_text(bar) for bar in shown]
    value_width = max(len(text) for text in texts) * CHAR + 6
    label_width = max(len(bar.label) for bar in shown) * CHAR + 8 if labels_left else 0.0
    room = WIDTH - label_width - value_width
    top = max((bar.value for bar in shown), default=0)
    row = BAR + 10 if labels_left else FONT + BAR + 14
    height = row * len(shown) + 4
    parts = [f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">', titles]
    for index, (bar, text) in enumerate(zip(shown, texts, strict=True)):
        y = index * row + (2 if labels_left else FONT + 6)
        length = float(bar.value) / float(top) * room if top > 0 and bar.value > 0 else 0.0
        if bar.value > 0:
            length = max(length, 2.0)  # a small count stays visible
        base = FONT * 0.35 + BAR / 2  # the text's baseline, centred on the bar
        if labels_left:
            label = _text(0, y + base, _escape(bar.label))
        else:
            label = _text(0, y - 5, _escape(_cut(bar.label)))
        parts.append(
            f"<g>{label}"
            f'<rect x="{label_width:.1f}" y="{y}" width="{length:.1f}" height="{BAR}" fill="{BAR_FILL}"/>'
            f"{_text(label_width + length + 4, y + base, _escape(text))}</g>"
        )
    parts.append(
        f'<line x1="{label_width:.1f}" y1="0" x2="{label_width:.1f}" y2="{height}" '
        f'stroke="{AXIS}" stroke-width="1"/></svg>'
    )
    return "".join(parts)


def _limited(bars: list[Bar], other_label: str) -> list[Bar]:
    if len(bars) <= MAX_BARS:
        return bars
    rest = bars[MAX_BARS - 1 :]
    total = sum((Decimal(bar.value) for bar in rest), Decimal(0))
    other = Bar(other_label, int(total) if total == total.to_integral_value() else total)
    return [*bars[: MAX_BARS - 1], other]


def _text(x: float, y: float, content: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="{TEXT_FILL}">{content}</text>'


def _value_text(bar: Bar) -> str:
    if bar.text:
        return bar.text
    return number_text(bar.value)


def number_text(value: int | Decimal) -> str:
    """A count as is, a decimal without trailing zeros or exponent (``19.5``, ``30``)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return str(value)


def _cut(label: str) -> str:
    return label if len(label) <= ABOVE_LABEL_CHARS else label[: ABOVE_LABEL_CHARS - 1] + "…"


def _escape(text: str) -> str:
    text = _NOT_XML.sub("", text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )
