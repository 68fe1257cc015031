"""The home course catalogue: its JSON import format (docs/RECOGNITION.md), checked whole, written at once.

``parse_catalogue`` checks the whole file before anything is stored and names each problem by its
JSON path (``courses[3].credits: not a number``). ``import_catalogue`` writes it in one transaction:
courses are matched by code and updated in place; stored courses the file no longer lists are marked
withdrawn (cases keep referring to them); importing the same file again changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from emrex.db import Database, utcnow
from emrex.emc.recognition.errors import CatalogueError
from emrex.emc.recognition.models import Course

FORMAT = "emrex-catalogue/1"
MAX_COURSES = 50_000
MAX_TITLE = 255
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MAX_CREDITS = Decimal(1000)


@dataclass(frozen=True)
class CourseData:
    code: str
    titles: dict[str, str]
    credits: Decimal
    level: str | None
    url: str | None

    def titles_json(self) -> str:
        return json.dumps(self.titles, ensure_ascii=False, sort_keys=True)

    def search(self) -> str:
        return " ".join([self.code, *self.titles.values()]).casefold()


@dataclass(frozen=True)
class ImportSummary:
    courses: int
    created: int
    changed: int
    withdrawn: int


def parse_catalogue(data: bytes | str) -> list[CourseData]:
    """The checked courses of a catalogue file; CatalogueError lists every problem found."""
    if isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        doc = json.loads(data, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_unique)
    except _Duplicate as exc:
        raise CatalogueError([f"the member {exc.key[:40]!r} appears twice in one object"]) from None
    except RecursionError:
        raise CatalogueError(["the JSON is nested too deeply"]) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError([f"not valid JSON: {str(exc)[:200]}"]) from None
    problems: list[str] = []
    courses = _document(doc, problems)
    if problems:
        raise CatalogueError(problems)
    return courses


def import_catalogue(database: Database, courses: list[CourseData]) -> ImportSummary:
    now = utcnow()
    created = changed = withdrawn = 0
    with database.session() as s:
        stored = {c.code: c for c in s.scalars(select(Course))}
        listed = set()
        for data in courses:
            listed.add(data.code)
            row = stored.get(data.code)
            if row is None:
                row = Course(code=data.code)
                s.add(row)
                created += 1
            values = (data.titles_json(), data.search(), str(data.credits), data.level, data.url, True)
            if (row.titles, row.search, row.credits, row.level, row.url, row.active) != values:
                row.titles, row.search, row.credits, row.level, row.url, row.active = values
                row.updated_at = now
                changed += row.id is not None
        for code, row in stored.items():
            if code not in listed and row.active:
                row.active = False
                row.updated_at = now
                withdrawn += 1
    return ImportSummary(len(courses), created, changed, withdrawn)


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise _Duplicate(key)
        members[key] = value
    return members


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _document(doc: Any, problems: list[str]) -> list[CourseData]:
    if not isinstance(doc, dict):
        problems.append("the file is not a JSON object")
        return []
    _unknown(doc, "", {"format", "institution", "courses"}, problems)
    if doc.get("format") != FORMAT:
        problems.append(f'format: must be "{FORMAT}"')
    if "institution" in doc and not isinstance(doc["institution"], str):
        problems.append("institution: not a string")
    raw = doc.get("courses")
    if not isinstance(raw, list):
        problems.append("courses: missing or not a list")
        return []
    if len(raw) > MAX_COURSES:
        problems.append(f"courses: more than {MAX_COURSES} courses")
        return []
    courses: list[CourseData] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        code = item.get("code") if isinstance(item, dict) else None
        if isinstance(code, str) and code in seen:
            problems.append(f"courses[{index}].code: {code[:40]!r} is already used by courses[{seen[code]}]")
        elif isinstance(code, str):
            seen[code] = index
        course = _course(item, f"courses[{index}]", problems)
        if course is not None:
            courses.append(course)
    return courses


def _course(raw: Any, path: str, problems: list[str]) -> CourseData | None:
    if not isinstance(raw, dict):
        problems.append(f"{path}: not an object")
        return None
    before = len(problems)
    _unknown(raw, path, {"code", "titles", "credits", "level", "url"}, problems)
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        problems.append(f"{path}.code: a code of 1 to 40 letters, digits and . _ / - is required")
    titles = _titles(raw.get("titles"), f"{path}.titles", problems)
    credits = _credits(raw.get("credits"), f"{path}.credits", problems)
    level = _text(raw.get("level"), f"{path}.level", 40, problems)
    url = _text(raw.get("url"), f"{path}.url", 2048, problems)
    if url is not None and not url.startswith("https://"):
        problems.append(f"{path}.url: must start with https://")
    if len(problems) > before:
        return None
    assert isinstance(code, str) and titles is not None and credits is not None
    return CourseData(code, titles, credits, level, url)


def _titles(raw: Any, path: str, problems: list[str]) -> dict[str, str] | None:
    if not isinstance(raw, dict) or not raw:
        problems.append(f'{path}: an object of titles by language is required, e.g. {{"en": "…"}}')
        return None
    titles: dict[str, str] = {}
    for language, value in raw.items():
        if not _LANG.match(language):
            problems.append(f'{path}: {language[:20]!r} is not a language code (ISO 639-1, e.g. "sv")')
            continue
        text = _text(value, f"{path}.{language}", MAX_TITLE, problems)
        if text is None:
            if value is None or value == "":
                problems.append(f"{path}.{language}: is empty")
            continue
        titles[language] = text
    return titles if len(titles) == len(raw) else None


def _credits(raw: Any, path: str, problems: list[str]) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
        problems.append(f"{path}: not a number" if raw is not None else f"{path}: is missing")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(f"{path}: not a number")
        return None
    if not value.is_finite() or value <= 0 or value >= _MAX_CREDITS:
        problems.append(f"{path}: out of range (more than 0, less than {_MAX_CREDITS})")
        return None
    if value != value.quantize(Decimal("0.1")):
        problems.append(f"{path}: has more than one decimal")
        return None
    return value.quantize(Decimal("0.1")).normalize() if value % 1 else Decimal(int(value))


def _text(raw: Any, path: str, limit: int, problems: list[str]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        problems.append(f"{path}: not a string")
        return None
    if _CONTROL.search(raw):
        problems.append(f"{path}: contains control characters")
        return None
    text = " ".join(raw.split())
    if len(text) > limit:
        problems.append(f"{path}: longer than {limit} characters")
        return None
    return text or None


def _unknown(obj: dict[str, Any], path: str, known: set[str], problems: list[str]) -> None:
    for key in obj:
        if key not in known:
            where = f"{path}.{key[:40]}" if path else key[:40]
            problems.append(f"{where}: unknown member (known: {', '.join(sorted(known))})")
