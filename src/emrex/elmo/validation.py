"""Structural validation of the ELMO model, without schema files.

``schema_problems`` finds what the official 1.7 XSD would reject (the writer refuses those);
``validate`` adds the rules the XSD states only in its annotations (no ECTS double counting, references
that point nowhere, attachments that do not decode, ...). Paths use ELMO names with 1-based indexes:
``report[1].los[2].part[1].loi.credit[1].value``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from emrex.elmo import model as m
from emrex.elmo.countries import EUROPASS_COUNTRY_CODES
from emrex.elmo.errors import DataUriError
from emrex.xml import parse_untrusted

ERROR = "error"
WARNING = "warning"

_LANG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_SECTION_NUMBER = re.compile(r"^[0-9.]+$")
_EWP_COUNTRY = re.compile(r"^[A-Z][A-Z]$")
_LOS_RANK = {
    m.LosType.DEGREE_PROGRAMME: 0,
    m.LosType.MODULE: 1,
    m.LosType.COURSE: 2,
    m.LosType.CLASS: 3,
}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    severity: str = ERROR
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path} {self.message}" if self.path else f"{where}{self.message}"


Lines = Mapping[int, int]


def validate(elmo: m.Elmo, *, lines: Lines | None = None) -> list[Problem]:
    """Every problem found, errors and warnings; ``lines`` (from ``ReadResult.lines``) adds line numbers."""
    checker = _Checker(lines or {})
    checker.schema(elmo)
    checker.rules(elmo)
    return checker.problems


def schema_problems(elmo: m.Elmo) -> list[Problem]:
    """What the ELMO 1.7 XSD would reject in a document written from ``elmo``."""
    checker = _Checker({})
    checker.schema(elmo)
    return [p for p in checker.problems if p.severity == ERROR]


def dropped_in_v17(elmo: m.Elmo) -> list[str]:
    """The ELMO 2.x data in ``elmo`` that a 1.7 document cannot carry (the writer leaves it out)."""
    dropped: list[str] = []
    if elmo.learner.alternative_name is not None:
        dropped.append("learner.alternativeName")
    for r, report in enumerate(elmo.reports, 1):
        if report.result_of_recognition:
            dropped.append(f"report[{r}].resultOfRecognition")
        for path, los in _walk(report, f"report[{r}]"):
            if los.specifies is not None and los.specifies.grading_scheme_external_id is not None:
                dropped.append(f"{path}.loi.gradingSchemeExternalId")
    return dropped


def _walk(report: m.Report, prefix: str) -> Iterator[tuple[str, m.LearningOpportunitySpecification]]:
    stack = [
        (f"{prefix}.los[{i}]", los) for i, los in enumerate(report.learning_opportunity_specifications, 1)
    ]
    stack.reverse()
    while stack:
        path, los = stack.pop()
        yield path, los
        stack.extend((f"{path}.part[{i}]", c) for i, c in reversed(list(enumerate(los.has_part, 1))))


class _Checker:
    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, severity: str = ERROR, obj: object = None) -> None:
        line = self.lines.get(id(obj)) if obj is not None else None
        self.problems.append(Problem(path, message, severity, line))

    # --- what the XSD requires ---------------------------------------------------------------------

    def schema(self, elmo: m.Elmo) -> None:
        if elmo.generated_date is None:
            self.add("generatedDate", "is required")
        self.learner(elmo.learner)
        if not elmo.reports:
            self.add("report", "is required: ELMO needs at least one report")
        for r, report in enumerate(elmo.reports, 1):
            self.report(report, f"report[{r}]")
        self.attachments(elmo.attachments, "attachment")
        if elmo.groups is not None:
            for t, group_type in enumerate(elmo.groups.group_types, 1):
                path = f"groups.groupType[{t}]"
                self.titles(group_type.titles, path, group_type)
                for g, group in enumerate(group_type.groups, 1):
                    self.titles(group.titles, f"{path}.group[{g}]", group)
        self.extension(elmo.extension, "extension", elmo)

    def learner(self, learner: m.Learner) -> None:
        self.country(learner.citizenship, "learner.citizenship", learner)
        gender: object = learner.gender
        if gender is not None and gender not in set(m.Gender):
            self.add("learner.gender", f"{gender!r} is not 0, 1, 2 or 9 (ISO/IEC 5218)", obj=learner)
        address = learner.current_address
        if address is not None:
            path = "learner.currentAddress"
            street = (
                address.building_number,
                address.building_name,
                address.street_name,
                address.unit,
                address.floor,
                address.post_office_box,
            )
            if address.address_lines and (any(x is not None for x in street) or address.delivery_point_codes):
                self.add(
                    path, "has both addressLine and street fields; EWP allows one or the other", obj=address
                )
            if len(address.address_lines) > 4:
                self.add(f"{path}.addressLine", "may occur at most 4 times", obj=address)
            if address.country is not None and not _EWP_COUNTRY.match(address.country):
                self.add(
                    f"{path}.country",
                    f"{address.country!r} is not an upper-case two-letter code",
                    obj=address,
                )

    def report(self, report: m.Report, path: str) -> None:
        issuer = report.issuer
        self.country(issuer.country, f"{path}.issuer.country", issuer)
        if not issuer.identifiers:
            self.add(f"{path}.issuer.identifier", "is required (at least one)", obj=issuer)
        self.identifiers(issuer.identifiers, f"{path}.issuer", issuer)
        self.titles(issuer.titles, f"{path}.issuer", issuer)
        if issuer.url is None:
            self.add(f"{path}.issuer.url", "is required", obj=issuer)
        if report.issue_date is None:
            self.add(f"{path}.issueDate", "is required", obj=report)
        for p, los in _walk(report, path):
            self.los(los, p)
        for g, scheme in enumerate(report.grading_schemes, 1):
            self.texts(scheme.descriptions, f"{path}.gradingScheme[{g}].description", scheme)
        self.attachments(report.attachments, f"{path}.attachment")

    def los(self, los: m.LearningOpportunitySpecification, path: str) -> None:
        self.titles(los.titles, path, los)
        self.identifiers(los.identifiers, path, los)
        self.enum(los.type, m.LosType, f"{path}.type", los)
        self.texts(los.descriptions, f"{path}.description", los)
        self.texts(los.descriptions_html, f"{path}.descriptionHtml", los)
        self.extension(los.extension, f"{path}.extension", los)
        self.extension(los.specifies_extension, f"{path}.specifies.extension", los)
        loi = los.specifies
        if loi is None:
            self.add(
                f"{path}.loi", "is required (every LOS specifies one learning opportunity instance)", obj=los
            )
            return
        path = f"{path}.loi"
        self.identifiers(loi.identifiers, path, loi)
        self.enum(loi.status, m.LoiStatus, f"{path}.status", loi)
        term = loi.academic_term
        if term is not None:
            self.titles(term.titles, f"{path}.academicTerm", term)
            for name, value in (("start", term.start), ("end", term.end)):
                if value is None:
                    self.add(f"{path}.academicTerm.{name}", "is required", obj=term)
        if loi.shortened_grading is not None:
            g = loi.shortened_grading
            for name, number in (("Lower", g.percentage_lower), ("Equal", g.percentage_equal)):
                self.decimal(number, f"{path}.shortenedGrading.percentage{name}", loi)
            self.decimal(g.percentage_higher, f"{path}.shortenedGrading.percentageHigher", loi)
        if loi.result_distribution is not None:
            dist = loi.result_distribution
            if not dist.categories:
                self.add(f"{path}.resultDistribution.category", "is required (at least one)", obj=dist)
            for c, category in enumerate(dist.categories, 1):
                if category.count < 0:
                    self.add(
                        f"{path}.resultDistribution.category[{c}].count", "must not be negative", obj=dist
                    )
            self.texts(dist.descriptions, f"{path}.resultDistribution.description", dist)
        for c, credit in enumerate(loi.credits, 1):
            self.enum(credit.level, m.CreditLevel, f"{path}.credit[{c}].level", credit)
            self.decimal(credit.value, f"{path}.credit[{c}].value", credit)
        for v, level in enumerate(loi.levels, 1):
            if level.description is not None:
                self.texts((level.description,), f"{path}.level[{v}].description", level)
        self.decimal(loi.engagement_hours, f"{path}.engagementHours", loi)
        self.extension(loi.extension, f"{path}.extension", loi)
        ds = loi.diploma_supplement
        if ds is not None:
            dpath = f"{path}.diplomaSupplement"
            if ds.issue_date is None:
                self.add(f"{dpath}.issueDate", "is required", obj=ds)
            if not ds.sections:
                self.add(f"{dpath}.section", "is required (at least one)", obj=ds)
            self.lang(ds.lang, dpath, ds)
            self.sections(ds.sections, dpath)

    def sections(self, sections: Sequence[m.DiplomaSupplementSection], path: str) -> None:
        for s, section in enumerate(sections, 1):
            spath = f"{path}.section[{s}]"
            if not _SECTION_NUMBER.match(section.number):
                self.add(
                    f"{spath}.number", f"{section.number!r} is not a section number like 2.3", obj=section
                )
            self.attachments(section.attachments, f"{spath}.attachment")
            self.sections(section.sections, spath)

    def attachments(self, attachments: Sequence[m.Attachment], path: str) -> None:
        for a, attachment in enumerate(attachments, 1):
            apath = f"{path}[{a}]"
            self.identifiers(attachment.identifiers, apath, attachment)
            self.texts(attachment.titles, f"{apath}.title", attachment)
            self.enum(attachment.type, m.AttachmentType, f"{apath}.type", attachment)
            self.texts(attachment.descriptions, f"{apath}.description", attachment)
            self.texts(attachment.contents, f"{apath}.content", attachment)
            self.extension(attachment.extension, f"{apath}.extension", attachment)

    # --- small checks ------------------------------------------------------------------------------

    def country(self, code: str | None, path: str, obj: object) -> None:
        if code is not None and code not in EUROPASS_COUNTRY_CODES:
            self.add(
                path,
                f"{code!r} is not a country code of the Europass list (leave it out if unknown)",
                obj=obj,
            )

    def titles(self, titles: Sequence[m.LangText], path: str, obj: object) -> None:
        if not titles:
            self.add(f"{path}.title", "is required (at least one)", obj=obj)
        self.texts(titles, f"{path}.title", obj)

    def texts(self, texts: Sequence[m.LangText], path: str, obj: object) -> None:
        for text in texts:
            if text.lang is not None:
                self.lang(text.lang, path, obj)

    def lang(self, lang: str | None, path: str, obj: object) -> None:
        if lang and not _LANG.match(lang):
            self.add(
                path, f"has xml:lang {lang!r}, which is not a language tag such as 'en' or 'pt-BR'", obj=obj
            )

    def identifiers(self, identifiers: Sequence[m.Identifier], path: str, obj: object) -> None:
        for i, identifier in enumerate(identifiers, 1):
            if not identifier.type.strip(" \t\n\r"):
                self.add(f"{path}.identifier[{i}]", "needs a type", obj=obj)

    def enum(self, value: object, kind: type[Enum], path: str, obj: object) -> None:
        if value is not None and not isinstance(value, kind):
            self.add(path, f"{value!r} is not one of {', '.join(repr(k.value) for k in kind)}", obj=obj)

    def decimal(self, value: Decimal | None, path: str, obj: object) -> None:
        if value is not None and not value.is_finite():
            self.add(path, f"{value} is not a finite decimal number", obj=obj)

    def extension(self, content: bytes | None, path: str, obj: object) -> None:
        if content is None:
            return
        try:
            wrapper = parse_untrusted(b'<e:x xmlns:e="' + m.ELMO_NS.encode() + b'">' + content + b"</e:x>")
        except Exception:
            self.add(path, "is not well-formed XML", obj=obj)
            return
        for child in wrapper.getroot():
            tag = child.tag
            if isinstance(tag, str) and (not tag.startswith("{") or tag.startswith("{" + m.ELMO_NS + "}")):
                self.add(path, "may only hold elements of another namespace than ELMO's", obj=obj)
                return

    # --- rules from the annotations ----------------------------------------------------------------

    def rules(self, elmo: m.Elmo) -> None:
        learner = elmo.learner
        if not learner.given_names.strip() and not learner.family_name.strip():
            self.add("learner", "has neither given names nor a family name", WARNING, learner)
        if learner.birth_date is None:
            self.add("learner.bday", "is missing; EMREX needs it to match the learner", WARNING, learner)
        if elmo.generated_date is not None and elmo.generated_date.tzinfo is None:
            self.add("generatedDate", "has no time zone", WARNING)
        internal_ids = {i for a in self._all_attachments(elmo) for i in a.internal_ids}
        if not any(True for _ in self._all_attachments(elmo)):
            self.add("attachment", "none: ELMO asks for a human-readable (PDF) copy of the records", WARNING)
        for path, attachment in self._attachment_paths(elmo):
            for c, content in enumerate(attachment.contents, 1):
                try:
                    m.decode_data_uri(content.text)
                except DataUriError as exc:
                    self.add(f"{path}.content[{c}]", f"does not decode: {exc}", WARNING, attachment)
        for r, report in enumerate(elmo.reports, 1):
            rpath = f"report[{r}]"
            if report.issue_date is not None and report.issue_date.tzinfo is None:
                self.add(f"{rpath}.issueDate", "has no time zone", WARNING, report)
            schemes = {g.local_id for g in report.grading_schemes}
            if len(schemes) != len(report.grading_schemes):
                self.add(f"{rpath}.gradingScheme", "has the same localId more than once", WARNING, report)
            for lpath, los in _walk(report, rpath):
                self.los_rules(los, lpath, schemes, internal_ids)
            for lpath, los in _walk(report, rpath):
                self.ects_rule(los, lpath)

    def los_rules(
        self, los: m.LearningOpportunitySpecification, path: str, schemes: set[str], internal_ids: set[str]
    ) -> None:
        rank = _LOS_RANK.get(los.type) if isinstance(los.type, m.LosType) else None
        for p, part in enumerate(los.has_part, 1):
            child_rank = _LOS_RANK.get(part.type) if isinstance(part.type, m.LosType) else None
            if rank is not None and child_rank is not None and child_rank < rank:
                self.add(
                    f"{path}.part[{p}]",
                    f"is a {part.type} inside a {los.type} "
                    "(the order is Degree Programme > Module > Course > Class)",
                    WARNING,
                    part,
                )
        loi = los.specifies
        if loi is None:
            return
        ref = loi.grading_scheme_local_id
        if ref is not None and ref not in schemes:
            self.add(
                f"{path}.loi.gradingSchemeLocalId",
                f"{ref!r} names no gradingScheme of the report",
                WARNING,
                loi,
            )
        for a, target in enumerate(loi.attachment_refs, 1):
            if target not in internal_ids:
                self.add(f"{path}.loi.attachments.ref[{a}]", f"{target!r} names no attachment", WARNING, loi)
        for c, credit in enumerate(loi.credits, 1):
            if credit.is_ects and credit.value is None:
                self.add(f"{path}.loi.credit[{c}]", "is ECTS but has no value", ERROR, credit)
        g = loi.shortened_grading
        if g is not None and g.percentage_lower + g.percentage_equal + g.percentage_higher != 100:
            self.add(f"{path}.loi.shortenedGrading", "percentages should add up to 100", WARNING, loi)

    def ects_rule(self, los: m.LearningOpportunitySpecification, path: str) -> None:
        """A node with ECTS must have no descendant with ECTS (reported once per offending pair)."""
        if los.specifies is None or los.specifies.ects is None:
            return
        for part in los.has_part:
            for _, node in part.walk():
                if node.specifies is not None and node.specifies.ects is not None:
                    title = node.title("en") or "untitled"
                    self.add(
                        path,
                        f"carries ECTS and so does its descendant {title!r}: credits would be counted twice",
                        ERROR,
                        los,
                    )
                    return

    def _all_attachments(self, elmo: m.Elmo) -> Iterator[m.Attachment]:
        for _, attachment in self._attachment_paths(elmo):
            yield attachment

    def _attachment_paths(self, elmo: m.Elmo) -> Iterator[tuple[str, m.Attachment]]:
        for a, attachment in enumerate(elmo.attachments, 1):
            yield f"attachment[{a}]", attachment
        for r, report in enumerate(elmo.reports, 1):
            for a, attachment in enumerate(report.attachments, 1):
                yield f"report[{r}].attachment[{a}]", attachment
