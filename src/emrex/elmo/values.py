"""Reading the simple values of ELMO elements (tokens, texts with languages, dates, numbers, enumerations).

The base of the ELMO reader: every value that cannot be used becomes a warning with its line number
instead of an error, and is left out of the model. Also the fast constructors the reader builds model
objects with (``lang_text``, ``make``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from lxml import etree

from emrex.elmo import model as m
from emrex.xml import XML_LANG, localname

_WS = re.compile(r"[ \t\n\r]+")
_DATE = re.compile(r"^\s*(-?\d{4,})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?\s*$")

Element = etree._Element
T = TypeVar("T")


def collapse(text: str) -> str:
    """xs:token whitespace collapsing (only XML's four whitespace characters, not NBSP)."""
    return text if is_collapsed(text) else _WS.sub(" ", text).strip(" ")


def is_collapsed(text: str) -> bool:
    """Whether ``text`` is already what ``collapse`` makes of it (plain str checks: a regular
    expression costs several times more, and most values are already collapsed)."""
    return not (
        "\n" in text or "\t" in text or "\r" in text or "  " in text or text[:1] == " " or text[-1:] == " "
    )


ENUM_VALUES: dict[type[Any], dict[str, Any]] = {
    kind: {member.value: member for member in kind}
    for kind in (m.LosType, m.LoiStatus, m.AttachmentType, m.CreditLevel)
}


@dataclass(frozen=True)
class ReadWarning:
    """Something the lenient reader noticed and accepted (or left out), at a line of the document."""

    line: int | None
    message: str
    kind: str = "value"  # missing | unknown | order | duplicate | value

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class ValueReader:
    def __init__(self, track_lines: bool) -> None:
        self.warnings: list[ReadWarning] = []
        self.lines: dict[int, int] = {}
        self.track_lines = track_lines
        self.texts: dict[tuple[str, str | None], m.LangText] = {}
        self.v2 = False

    def warn(self, el: Element, message: str, kind: str = "value") -> None:
        self.warnings.append(ReadWarning(source_line(el), message, kind))

    def track(self, obj: T, el: Element) -> T:
        line = source_line(el)
        if line:
            self.lines[id(obj)] = line
        return obj

    def token(self, el: Element) -> str:
        text = itertext(el) if len(el) else el.text
        if not text:
            return ""
        return collapse(text)  # a PDF's base64 of 15 MB in one line: the regular expression took 0.4 s

    def string(self, el: Element) -> str:
        if len(el):
            return itertext(el)
        return el.text or ""

    def lang_token(self, el: Element) -> m.LangText:
        text = el.text
        if not text or len(el) or not is_collapsed(text):
            text = self.token(el)
        key = (text, el.get(XML_LANG))
        obj = self.texts.get(key)
        if obj is None:  # titles repeat (terms, institutions): share the immutable value
            obj = self.texts[key] = lang_text(*key)
        return obj

    def lang_string(self, el: Element) -> m.LangText:
        return lang_text(self.string(el), el.get(XML_LANG))

    def content(self, el: Element) -> m.LangText:
        text = self.token(el)
        if " " in text and text.startswith("data:") and ";base64," in text[:200]:
            text = text.replace(" ", "")  # base64 wrapped over lines: the breaks carry nothing
        return m.LangText(text, el.get(XML_LANG))

    def identifier(self, el: Element) -> m.Identifier:
        type_ = el.get("type")
        if type_ is None:
            self.warn(el, f"<{localname(el)}> lacks the required type attribute", "missing")
            type_ = ""
        if "  " in type_ or type_[:1] == " " or type_[-1:] == " " or "\t" in type_ or "\n" in type_:
            type_ = _WS.sub(" ", type_).strip(" ")
        value = el.text
        if not value or len(el) or not is_collapsed(value):
            value = self.token(el)
        obj = object.__new__(m.Identifier)  # see lang_text
        attrs = obj.__dict__
        attrs["type"] = type_
        attrs["value"] = value
        return obj

    def date(self, el: Element) -> dt.date | None:
        text = el.text or ""
        if len(text) == 10:
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        match = _DATE.match(text)
        if match is None:
            value = self.datetime_value(el, quiet=True)
            if value is not None:
                self.warn(el, f"<{localname(el)}> should be a date, found a date and time {text.strip()!r}")
                return value.date()
            self.warn(el, f"<{localname(el)}> is not a date: {text.strip()!r}")
            return None
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except (ValueError, OverflowError):  # a year beyond a C long overflows
            self.warn(el, f"<{localname(el)}> is not a valid date: {text.strip()!r}")
            return None

    def datetime_value(self, el: Element, *, quiet: bool = False) -> dt.datetime | None:
        text = (el.text or "").strip()
        if "T" not in text:
            if quiet:
                return None
            day = self.date(el) if _DATE.match(text) else None
            if day is None:
                if text:
                    return None  # date() warned already
                self.warn(el, f"<{localname(el)}> is empty")
                return None
            self.warn(el, f"<{localname(el)}> should be a date and time, found a date {text!r}")
            return dt.datetime(day.year, day.month, day.day)
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            if not quiet:
                self.warn(el, f"<{localname(el)}> is not a date and time: {text!r}")
            return None
        if value.tzinfo is None and not quiet:
            self.warn(el, f"<{localname(el)}> has no time zone: {text!r}")
        return value

    def decimal(self, el: Element) -> Decimal | None:
        text = (el.text or "").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None and text.count(",") == 1:
            try:
                value = Decimal(text.replace(",", "."))
                self.warn(el, f"<{localname(el)}> uses a comma as decimal separator: {text!r}")
                return value
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            self.warn(el, f"<{localname(el)}> is not a decimal number: {text!r}")
            return None
        return value

    def enum(self, el: Element, kind: type[Any], what: str) -> Any:
        text = self.token(el)
        member = ENUM_VALUES[kind].get(text)
        if member is not None:
            return member
        folded = text.casefold()
        for member in kind:
            if member.value.casefold() == folded:
                self.warn(el, f"{what} {text!r} is spelled {member.value!r} in ELMO")
                return member
        allowed = ", ".join(repr(x.value) for x in kind)
        self.warn(el, f"unknown {what} {text!r} ignored (known: {allowed})")
        return None

    def los_type(self, el: Element) -> m.LosType | None:
        return self.enum(el, m.LosType, "learning opportunity type")  # type: ignore[no-any-return]

    def loi_status(self, el: Element) -> m.LoiStatus | None:
        return self.enum(el, m.LoiStatus, "status")  # type: ignore[no-any-return]

    def attachment_type(self, el: Element) -> m.AttachmentType | None:
        return self.enum(el, m.AttachmentType, "attachment type")  # type: ignore[no-any-return]

    def credit_level(self, el: Element) -> m.CreditLevel | None:
        return self.enum(el, m.CreditLevel, "credit level")  # type: ignore[no-any-return]

    def gender(self, el: Element) -> m.Gender | None:
        text = self.token(el)
        try:
            return m.Gender(int(text))
        except ValueError:
            self.warn(el, f"unknown gender code {text!r} ignored (ISO/IEC 5218: 0, 1, 2 or 9)")
            return None

    def extension(self, el: Element) -> bytes | None:
        parts = [
            etree.tostring(child, method="c14n", exclusive=True, with_tail=False)
            for child in el
            if isinstance(child.tag, str)
        ]
        return b"".join(parts) if parts else None

    def raw(self, el: Element) -> bytes:
        return etree.tostring(el, method="c14n", exclusive=True, with_tail=False)

    def signature(self, el: Element) -> bool:
        return True


def lang_text(text: str, lang: str | None) -> m.LangText:
    obj = object.__new__(m.LangText)
    attrs = obj.__dict__
    attrs["text"] = text
    attrs["lang"] = lang
    return obj


def make(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of one of the ``MADE`` dataclasses whose __dict__ is ``values`` itself.

    The frozen dataclass __init__ costs one object.__setattr__ per field, a third of the reading time on
    large documents. ``values`` holds the fields the document gave (every field without a default among
    them); the others read as the class attributes that hold their plain, immutable defaults, which
    equality, hashing, repr and ``dataclasses.replace`` all see through attribute access. Smaller
    instance dicts also leave the garbage collector less to walk."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    return obj


MADE = (
    m.LearningOpportunitySpecification,
    m.LearningOpportunityInstance,
    m.AcademicTerm,
    m.Credit,
    m.Grouping,
)


def check_made_classes() -> None:
    """What ``make`` relies on: no __post_init__, and every default a class attribute (no factories)."""
    for cls in MADE:
        if hasattr(cls, "__post_init__"):
            raise TypeError(f"{cls.__name__} has __post_init__, which make would skip")
        for item in dataclasses.fields(cls):
            if item.default_factory is not dataclasses.MISSING or (
                item.default is not dataclasses.MISSING and cls.__dict__.get(item.name) is not item.default
            ):
                raise TypeError(f"{cls.__name__}.{item.name} has no plain class-level default for make")


check_made_classes()


def source_line(el: Element) -> int | None:
    line: Any = el.sourceline  # lxml-stubs type it oddly
    return line if isinstance(line, int) else None


def itertext(el: Element) -> str:
    return "".join(str(t) for t in el.itertext())
