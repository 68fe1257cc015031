"""Checking JSON values of the SIS import, each problem named by its JSON path."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from emrex.elmo.countries import EUROPASS_COUNTRY_CODES

MAX_DEPTH = 8
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class JsonChecker:
    """Helpers that return the checked value, or None after recording a problem."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}" if path else message)

    # --- scalar helpers: each returns None (after recording a problem) when the value is unusable

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, "not an object")
            return None
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, "not a list")
            return []
        return value

    def string(
        self, o: dict[str, Any], key: str, path: str, *, required: bool = False, max_len: int = 255
    ) -> str | None:
        value = o.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.problem(where, "is missing")
            return None
        if not isinstance(value, str):
            self.problem(where, "not a string")
            return None
        value = " ".join(value.split())
        if not value:
            if required:
                self.problem(where, "is empty")
            return None
        if len(value) > max_len:
            self.problem(where, f"longer than {max_len} characters")
            return None
        return value

    def number(
        self, o: dict[str, Any], key: str, path: str, *, minimum: Decimal = Decimal(0)
    ) -> Decimal | None:
        value = o.get(key)
        where = f"{path}.{key}"
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.problem(where, "not a number")
            return None
        number = Decimal(value)
        if not number.is_finite() or number < minimum or number >= Decimal("1e8"):
            self.problem(where, f"out of range (from {minimum} up to 99999999)")
            return None
        if number != number.quantize(Decimal("0.01")):
            self.problem(where, "has more than two decimals")
            return None
        return number

    def integer(self, o: dict[str, Any], key: str, path: str, allowed: range | tuple[int, ...]) -> int | None:
        value = o.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            shown = f"{allowed.start} to {allowed.stop - 1}" if isinstance(allowed, range) else allowed
            self.problem(f"{path}.{key}", f"not one of {shown}")
            return None
        return value

    def date(self, o: dict[str, Any], key: str, path: str, *, required: bool = False) -> dt.date | None:
        value = o.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.problem(where, "is missing")
            return None
        if not isinstance(value, str):
            self.problem(where, "not a date (YYYY-MM-DD)")
            return None
        try:
            if len(value) != 10:  # fromisoformat would also take 20240112
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            self.problem(where, f"not a date (YYYY-MM-DD): {value[:40]!r}")
            return None

    def texts(
        self, o: dict[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[dict[str, str]]:
        value = o.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.problem(where, 'is missing (an object like {"en": "..."})')
            return []
        if not isinstance(value, dict):
            self.problem(where, 'not an object of language -> text (like {"en": "..."})')
            return []
        out = []
        for lang, text in value.items():
            if not _LANG.match(lang):
                self.problem(f"{where}.{lang}", "not a language code (like en, sv, pt-BR)")
            elif not isinstance(text, str) or not text.strip():
                self.problem(f"{where}.{lang}", "not a non-empty string")
            else:
                out.append({"lang": lang, "text": text.strip()})
        if required and not value:
            self.problem(where, "needs at least one language")
        return out

    def choice(self, o: dict[str, Any], key: str, path: str, allowed: tuple[str, ...]) -> str | None:
        value = self.string(o, key, path)
        if value is not None and value not in allowed:
            self.problem(f"{path}.{key}", f"{value[:40]!r} is not one of {', '.join(allowed)}")
            return None
        return value

    def country(self, o: dict[str, Any], key: str, path: str) -> str | None:
        value = self.string(o, key, path)
        if value is not None and value not in EUROPASS_COUNTRY_CODES:
            self.problem(
                f"{path}.{key}", f"{value[:10]!r} is not an upper-case ISO 3166 country code ELMO knows"
            )
            return None
        return value

    def url(self, o: dict[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
        value = self.string(o, key, path, required=required, max_len=2048)
        if value is not None and not value.startswith(("https://", "http://")):
            self.problem(f"{path}.{key}", "not an http(s) URL")
            return None
        return value

    def unknown(self, o: dict[str, Any], path: str, known: frozenset[str]) -> None:
        for key in o:
            if key not in known:
                self.problem(f"{path}.{key}", "unknown field (check the spelling)")

    def xml_safe(self, value: Any, path: str) -> None:
        """Every string must be one an XML document can carry (the EMP writes them into ELMO)."""
        stack = [(value, path)]
        while stack:
            item, where = stack.pop()
            if isinstance(item, str):
                if _NOT_XML.search(item):
                    self.problem(where or "the file", "contains control characters XML cannot carry")
            elif isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, where))
                    stack.append((child, f"{where}.{key}" if where else key))
            elif isinstance(item, list):
                stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))

    def distribution(self, raw: Any, path: str) -> dict[str, Any] | None:
        if raw is None:
            return None
        o = self.obj(raw, path)
        if o is None:
            return None
        self.unknown(o, path, frozenset({"categories", "descriptions"}))
        categories = []
        for c, craw in enumerate(self.array(o.get("categories"), f"{path}.categories")):
            cpath = f"{path}.categories[{c}]"
            co = self.obj(craw, cpath)
            if co is None:
                continue
            label = self.string(co, "label", cpath, required=True, max_len=64)
            count = co.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                self.problem(f"{cpath}.count", "not a whole number of at least 0")
            elif label is not None:
                categories.append({"label": label, "count": count})
        if not categories:
            self.problem(f"{path}.categories", "needs at least one category")
        return {"categories": categories, "descriptions": self.texts(o, "descriptions", path)}

    def supplement(self, raw: Any, path: str) -> dict[str, Any] | None:
        if raw is None:
            return None
        o = self.obj(raw, path)
        if o is None:
            return None
        self.unknown(o, path, frozenset({"version", "issueDate", "introduction", "lang", "sections"}))
        issue = self.date(o, "issueDate", path, required=True)
        introduction = o.get("introduction")
        if not isinstance(introduction, str) or not introduction.strip():
            self.problem(f"{path}.introduction", "is missing (the standard introduction text)")
        sections = self.sections(o.get("sections"), f"{path}.sections", 0)
        if not sections:
            self.problem(f"{path}.sections", "needs at least one section")
        lang = self.string(o, "lang", path, max_len=8)
        return {
            "version": self.string(o, "version", path, max_len=16) or "2018",
            "issueDate": issue.isoformat() if issue else None,
            "introduction": introduction if isinstance(introduction, str) else "",
            "lang": lang,
            "sections": sections,
        }

    def sections(self, raw: Any, path: str, depth: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if depth >= MAX_DEPTH:
            self.problem(path, f"sections are nested more than {MAX_DEPTH} levels deep")
            return out
        for s, sraw in enumerate(self.array(raw, path)):
            spath = f"{path}[{s}]"
            so = self.obj(sraw, spath)
            if so is None:
                continue
            self.unknown(
                so,
                spath,
                frozenset({"number", "title", "content", "contentType", "additionalInformation", "sections"}),
            )
            number = self.string(so, "number", spath, required=True, max_len=16)
            if number is not None and not re.fullmatch(r"[0-9.]+", number):
                self.problem(f"{spath}.number", "only digits and dots (like 2.3)")
            title = self.string(so, "title", spath, required=True, max_len=1000)
            content = so.get("content")
            if content is not None and not isinstance(content, str):
                self.problem(f"{spath}.content", "not a string")
                content = None
            info = self.array(so.get("additionalInformation"), f"{spath}.additionalInformation")
            if not all(isinstance(i, str) for i in info):
                self.problem(f"{spath}.additionalInformation", "not a list of strings")
                info = []
            out.append(
                {
                    "number": number or "",
                    "title": title or "",
                    "content": content,
                    "contentType": self.string(so, "contentType", spath, max_len=100),
                    "additionalInformation": info,
                    "sections": self.sections(so.get("sections"), f"{spath}.sections", depth + 1),
                }
            )
        return out
