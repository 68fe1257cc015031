"""The JSON format of the built-in SIS import (docs/SIS-IMPORT.md), checked into typed data.

``parse_sis_json`` checks the whole document before anything is stored and names every problem by
its JSON path, e.g. ``persons[2].results[5].credits.value: not a number``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from emrex.elmo import model as m
from emrex.emp.sources.base import SourceError
from emrex.sis.checks import MAX_DEPTH, JsonChecker
from emrex.sis.mobility import KEY as MOBILITIES
from emrex.sis.mobility import MobilityData, check_mobilities

FORMAT = "emrex-sis/1"
_LANG_639_1 = re.compile(r"^[a-z]{2}$")
_RANK = {t.value: r for r, t in enumerate(m.LosType)}


class SisImportError(SourceError):
    """The JSON is not a valid SIS import; ``problems`` names each one by its JSON path."""

    def __init__(self, problems: list[str]) -> None:
        head = problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more problems)"
        super().__init__(head)
        self.problems = problems


@dataclass(frozen=True)
class GradingSchemeData:
    id: str
    descriptions: list[dict[str, str]]


@dataclass(frozen=True)
class InstitutionData:
    schac: str
    url: str
    names: list[dict[str, str]]
    erasmus: str | None
    pic: str | None
    country: str | None
    grading_schemes: list[GradingSchemeData]


@dataclass(frozen=True)
class ResultData:
    path: str
    institution: str
    local_id: str
    type: str | None
    titles: list[dict[str, str]]
    descriptions: list[dict[str, str]]
    subject_area: str | None
    isced_code: str | None
    url: str | None
    status: str | None
    grade: str | None
    grading_scheme: str | None
    start: dt.date | None
    date: dt.date | None
    term_titles: list[dict[str, str]] | None
    term_start: dt.date | None
    term_end: dt.date | None
    credit_scheme: str | None
    credit_value: Decimal | None
    eqf_level: int | None
    language: str | None
    engagement_hours: Decimal | None
    distribution: dict[str, Any] | None
    diploma_supplement: dict[str, Any] | None
    parts: list[ResultData] = field(default_factory=list)

    def walk(self) -> Iterator[ResultData]:
        yield self
        for part in self.parts:
            yield from part.walk()


@dataclass(frozen=True)
class PersonData:
    path: str
    identifiers: dict[str, str]
    given_names: str
    family_name: str
    birth_date: dt.date | None
    citizenship: str | None
    gender: int | None
    place_of_birth: str | None
    birth_name: str | None
    results: list[ResultData]


@dataclass(frozen=True)
class SisData:
    institutions: list[InstitutionData]
    persons: list[PersonData]
    mobilities: list[MobilityData] = field(default_factory=list)  # incoming (sis.mobility, EWP)


def parse_sis_json(data: bytes | str) -> SisData:
    """The checked content of an import file; SisImportError lists every problem found."""
    if isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte order mark, as some editors write
    try:
        doc = json.loads(data, parse_float=Decimal, object_pairs_hook=_unique_members)
    except _DuplicateMember as exc:
        raise SisImportError([f"the member {exc.key[:40]!r} appears twice in one object"]) from None
    except RecursionError:
        raise SisImportError(["the JSON is nested too deeply"]) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise SisImportError([f"not valid JSON: {exc}"]) from None
    checker = _Checker()
    parsed = checker.document(doc)
    if checker.problems:
        raise SisImportError(checker.problems)
    assert parsed is not None
    return parsed


class _DuplicateMember(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # With a member given twice, tools disagree on which value counts: refused, not guessed.
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise _DuplicateMember(key)
        members[key] = value
    return members


class _Checker(JsonChecker):
    def document(self, doc: Any) -> SisData | None:
        top = self.obj(doc, "")
        if top is None:
            self.problems[-1] = "the file is not a JSON object"
            return None
        self.xml_safe(top, "")
        if self.problems:
            return None
        self.unknown(top, "", frozenset({"format", "institutions", "persons", MOBILITIES}))
        if top.get("format") != FORMAT:
            self.problem("format", f'must be "{FORMAT}"')
        institutions = [
            inst
            for i, raw in enumerate(self.array(top.get("institutions"), "institutions"))
            if (inst := self.institution(raw, f"institutions[{i}]")) is not None
        ]
        seen: dict[str, str] = {}
        for i, inst in enumerate(institutions):
            if inst.schac in seen:
                self.problem(
                    f"institutions[{i}].schac", f"{inst.schac!r} is already used by {seen[inst.schac]}"
                )
            seen.setdefault(inst.schac, f"institutions[{i}]")
        persons = [
            person
            for i, raw in enumerate(self.array(top.get("persons"), "persons"))
            if (person := self.person(raw, f"persons[{i}]")) is not None
        ]
        owners: dict[tuple[str, str], str] = {}
        for person in persons:
            for type_, value in person.identifiers.items():
                other = owners.setdefault((type_, value), person.path)
                if other != person.path:
                    self.problem(f"{person.path}.identifiers.{type_}", f"the same identifier as {other}")
        return SisData(institutions, persons, check_mobilities(self, top.get(MOBILITIES)))

    def institution(self, raw: Any, path: str) -> InstitutionData | None:
        o = self.obj(raw, path)
        if o is None:
            return None
        self.unknown(
            o, path, frozenset({"schac", "url", "names", "erasmus", "pic", "country", "gradingSchemes"})
        )
        schac = self.string(o, "schac", path, required=True)
        url = self.url(o, "url", path, required=True)
        names = self.texts(o, "names", path, required=True)
        schemes = []
        ids: set[str] = set()
        for g, graw in enumerate(self.array(o.get("gradingSchemes"), f"{path}.gradingSchemes")):
            gpath = f"{path}.gradingSchemes[{g}]"
            go = self.obj(graw, gpath)
            if go is None:
                continue
            self.unknown(go, gpath, frozenset({"id", "descriptions"}))
            gid = self.string(go, "id", gpath, required=True)
            descriptions = self.texts(go, "descriptions", gpath)
            if gid is not None:
                if gid in ids:
                    self.problem(f"{gpath}.id", f"{gid!r} is given twice")
                ids.add(gid)
                schemes.append(GradingSchemeData(gid, descriptions))
        inst = InstitutionData(
            schac=schac or "",
            url=url or "",
            names=names,
            erasmus=self.string(o, "erasmus", path, max_len=64),
            pic=self.string(o, "pic", path, max_len=32),
            country=self.country(o, "country", path),
            grading_schemes=schemes,
        )
        return inst if schac and url and names else None

    def person(self, raw: Any, path: str) -> PersonData | None:
        o = self.obj(raw, path)
        if o is None:
            return None
        known = {"identifiers", "givenNames", "familyName", "birthDate", "citizenship", "gender"}
        self.unknown(o, path, frozenset(known | {"placeOfBirth", "birthName", "results"}))
        identifiers: dict[str, str] = {}
        raw_ids = o.get("identifiers")
        if not isinstance(raw_ids, dict) or not raw_ids:
            self.problem(
                f"{path}.identifiers", 'needs at least one identifier, like {"nationalIdentifier": "..."}'
            )
        else:
            for type_, value in raw_ids.items():
                if not isinstance(value, str) or not value.strip() or len(value.strip()) > 255:
                    self.problem(
                        f"{path}.identifiers.{type_}", "not a non-empty string of at most 255 characters"
                    )
                elif not type_.strip() or len(type_) > 64:
                    self.problem(f"{path}.identifiers", f"{type_[:70]!r} is not a usable identifier type")
                else:
                    identifiers[type_] = normalize_identifier(type_, value)
        given = self.string(o, "givenNames", path)
        family = self.string(o, "familyName", path)
        if given is None and family is None:
            self.problem(path, "needs givenNames or familyName")
        results: list[ResultData] = []
        for r, rraw in enumerate(self.array(o.get("results"), f"{path}.results")):
            result = self.result(rraw, f"{path}.results[{r}]", None, 0)
            if result is not None:
                results.append(result)
        self.tree_rules(results, path)
        return PersonData(
            path=path,
            identifiers=identifiers,
            given_names=given or "",
            family_name=family or "",
            birth_date=self.date(o, "birthDate", path),
            citizenship=self.country(o, "citizenship", path),
            gender=self.integer(o, "gender", path, (0, 1, 2, 9)),
            place_of_birth=self.string(o, "placeOfBirth", path),
            birth_name=self.string(o, "birthName", path),
            results=results,
        )

    _RESULT_FIELDS = frozenset(
        {
            "institution", "id", "type", "titles", "descriptions", "subjectArea", "iscedCode", "url",
            "status", "grade", "gradingScheme", "start", "date", "term", "credits", "eqfLevel",
            "language", "engagementHours", "distribution", "diplomaSupplement", "parts",
        }
    )  # fmt: skip

    def result(self, raw: Any, path: str, parent: ResultData | None, depth: int) -> ResultData | None:
        o = self.obj(raw, path)
        if o is None:
            return None
        if depth >= MAX_DEPTH:
            self.problem(path, f"results are nested more than {MAX_DEPTH} levels deep")
            return None
        self.unknown(o, path, self._RESULT_FIELDS)
        institution = self.string(o, "institution", path, required=parent is None)
        if parent is not None:
            if institution is not None and institution != parent.institution:
                self.problem(f"{path}.institution", "a part must belong to the institution of its parent")
            institution = parent.institution
        local_id = self.string(o, "id", path, required=True)
        term = o.get("term")
        term_titles: list[dict[str, str]] | None = None
        term_start = term_end = None
        if term is not None:
            to = self.obj(term, f"{path}.term")
            if to is not None:
                self.unknown(to, f"{path}.term", frozenset({"titles", "start", "end"}))
                term_titles = self.texts(to, "titles", f"{path}.term", required=True)
                term_start = self.date(to, "start", f"{path}.term", required=True)
                term_end = self.date(to, "end", f"{path}.term", required=True)
                if term_start and term_end and term_end < term_start:
                    self.problem(f"{path}.term.end", "is before its start")
        credit_scheme: str | None = None
        credit_value: Decimal | None = None
        credits = o.get("credits")
        if credits is not None:
            co = self.obj(credits, f"{path}.credits")
            if co is not None:
                self.unknown(co, f"{path}.credits", frozenset({"scheme", "value"}))
                credit_scheme = self.string(co, "scheme", f"{path}.credits", max_len=32) or "ECTS"
                credit_value = self.number(co, "value", f"{path}.credits")
                if "value" not in co:
                    self.problem(f"{path}.credits.value", "is missing")
        language = self.string(o, "language", path)
        if language is not None and not _LANG_639_1.match(language):
            self.problem(f"{path}.language", "not a two-letter ISO 639-1 code in lower case (like en)")
        start, date = self.date(o, "start", path), self.date(o, "date", path)
        if start and date and date < start:
            self.problem(f"{path}.date", "is before the start")
        result = ResultData(
            path=path,
            institution=institution or "",
            local_id=local_id or "",
            type=self.choice(o, "type", path, tuple(_RANK)),
            titles=self.texts(o, "titles", path, required=True),
            descriptions=self.texts(o, "descriptions", path),
            subject_area=self.string(o, "subjectArea", path, max_len=64),
            isced_code=self.string(o, "iscedCode", path, max_len=16),
            url=self.url(o, "url", path),
            status=self.choice(o, "status", path, tuple(s.value for s in m.LoiStatus)),
            grade=self.string(o, "grade", path, max_len=64),
            grading_scheme=self.string(o, "gradingScheme", path),
            start=start,
            date=date,
            term_titles=term_titles,
            term_start=term_start,
            term_end=term_end,
            credit_scheme=credit_scheme,
            credit_value=credit_value,
            eqf_level=self.integer(o, "eqfLevel", path, range(1, 9)),
            language=language,
            engagement_hours=self.number(o, "engagementHours", path),
            distribution=self.distribution(o.get("distribution"), f"{path}.distribution"),
            diploma_supplement=self.supplement(o.get("diplomaSupplement"), f"{path}.diplomaSupplement"),
        )
        for p, praw in enumerate(self.array(o.get("parts"), f"{path}.parts")):
            part = self.result(praw, f"{path}.parts[{p}]", result, depth + 1)
            if part is not None:
                result.parts.append(part)
        return result

    def tree_rules(self, results: list[ResultData], path: str) -> None:
        """Local ids unique per institution, the type order, and no ECTS counted twice."""
        seen: dict[tuple[str, str], str] = {}
        for root in results:
            for node in root.walk():
                key = (node.institution, node.local_id)
                if node.local_id and key in seen:
                    self.problem(f"{node.path}.id", f"{node.local_id!r} is already used by {seen[key]}")
                seen.setdefault(key, node.path)
                rank = _RANK.get(node.type or "")
                for part in node.parts:
                    child = _RANK.get(part.type or "")
                    if rank is not None and child is not None and child < rank:
                        self.problem(
                            f"{part.path}.type",
                            f"a {part.type} cannot be part of a {node.type} "
                            "(the order is Degree Programme > Module > Course > Class)",
                        )
                if _is_ects(node):
                    below = next((d for p in node.parts for d in p.walk() if _is_ects(d)), None)
                    if below is not None:
                        self.problem(
                            f"{node.path}.credits",
                            f"ECTS here and on {below.path} would count twice: give them on one level only",
                        )


def _is_ects(node: ResultData) -> bool:
    return node.credit_value is not None and (node.credit_scheme or "").casefold() == "ects"


def normalize_identifier(type_: str, value: str) -> str:
    """How identifiers are stored and looked up: trimmed; e-mail addresses in lower case."""
    value = value.strip()
    return value.lower() if type_ == "email" else value
