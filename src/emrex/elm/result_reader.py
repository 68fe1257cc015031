"""Results from ELM: identifiers and markers, statuses, grading, terms, credits, levels, attachments.

The part of the ELM -> ELMO reader that turns the nodes around one claim's outcome into ELMO model
values; the claim tree itself is read in ``emrex.elm.from_elm``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from emrex.elm import vocab as v
from emrex.elm.node_builder import (
    LOS_TYPE_SCHEME,
    MARK_ATTACHMENT,
    MARK_CREDIT_LEVEL,
    MARK_CREDIT_SCHEME,
    MARK_GROUPING,
    MARK_REPORT,
)
from emrex.elm.node_reader import NodeReader
from emrex.elmo import model as m

MARKERS = {
    LOS_TYPE_SCHEME,
    MARK_ATTACHMENT,
    MARK_GROUPING,
    MARK_REPORT,
    MARK_CREDIT_LEVEL,
    MARK_CREDIT_SCHEME,
    "elmo:isced",
}
# Members read elsewhere or that only describe the credential itself (not its ELMO content).
STATUS = {"passed": m.LoiStatus.PASSED, "failed": m.LoiStatus.FAILED, "in-progress": m.LoiStatus.IN_PROGRESS}
STATUS_LABELS = {
    "pass": m.LoiStatus.PASSED,
    "fail": m.LoiStatus.FAILED,
    "in progress": m.LoiStatus.IN_PROGRESS,
}



@dataclass
class ReportParts:
    """One report as it is gathered: its issuer, its claims, the first issue date and grading schemes."""

    issuer: m.Issuer
    los: list[m.LearningOpportunitySpecification] = field(default_factory=list)
    issue_date: dt.datetime | None = None
    schemes: dict[str, m.GradingScheme] = field(default_factory=dict)



class ResultReader(NodeReader):
    def identifiers(
        self, node: dict[str, Any] | None, path: str
    ) -> tuple[list[m.Identifier], list[tuple[str, str]]]:
        found, markers = [], []
        for ident in self.nodes(node, "identifier", path):
            scheme, notation = self.string(ident, "schemeName") or "local", self.string(ident, "notation")
            if notation is None:
                continue
            if scheme in MARKERS:
                markers.append((scheme, notation))
            else:
                found.append(m.Identifier(scheme, notation))
        return found, markers

    def concept_code(self, concept: dict[str, Any] | None) -> str | None:
        if concept is None:
            return None
        notation = self.string(concept, "notation")
        if notation:
            return notation
        iri = concept.get("id")
        return iri.rsplit("/", 1)[-1].rsplit(":", 1)[-1] if isinstance(iri, str) else None

    def status(self, concept: dict[str, Any] | None) -> m.LoiStatus | None:
        if concept is None:
            return None
        notation = self.string(concept, "notation")
        if notation in STATUS:
            return STATUS[notation]
        if concept.get("id") == v.GRADE_PASS:
            return m.LoiStatus.PASSED
        label = (self.text(concept, "prefLabel") or "").strip().lower()
        return STATUS_LABELS.get(label)

    def grading_scheme(self, spec: dict[str, Any] | None, path: str, report: ReportParts) -> str | None:
        self.get(spec, "title")
        scheme = self.first(spec, "gradingScheme", f"{path}.specifiedBy")
        if scheme is None:
            return None
        ids, _ = self.identifiers(scheme, f"{path}.specifiedBy.gradingScheme")
        local = next((i.value for i in ids if i.type == "local"), None) or self.text(scheme, "title")
        self.get(scheme, "title")
        if local is None:
            return None
        descriptions = self.texts(scheme, "description")
        if local not in report.schemes:
            report.schemes[local] = m.GradingScheme(local, descriptions)
        return local

    def term(self, period: dict[str, Any] | None) -> m.AcademicTerm | None:
        if period is None:
            return None
        start, end = self.string(period, "startDate"), self.string(period, "endDate")
        return m.AcademicTerm(
            titles=self.texts(period, "prefLabel"),
            start=parse_date(start) if start else None,
            end=parse_date(end) if end else None,
        )

    def shortened(self, node: dict[str, Any] | None) -> m.ShortenedGrading | None:
        if node is None:
            return None
        keys = ("percentageLower", "percentageEqual", "percentageHigher")
        values = [parse_decimal(self.string(node, k)) for k in keys]
        if any(x is None for x in values):
            return None
        lower, equal, higher = (x for x in values if x is not None)
        return m.ShortenedGrading(lower, equal, higher)

    def distribution(self, node: dict[str, Any] | None) -> m.ResultDistribution | None:
        if node is None:
            return None
        categories = []
        for category in self.nodes(node, "resultCategory", "resultDistribution"):
            label, count = self.string(category, "label"), self.string(category, "count")
            if label is not None and count is not None and count.isdigit():
                categories.append(m.DistributionCategory(label, int(count)))
        return m.ResultDistribution(tuple(categories), self.texts(node, "description"))

    def credits(self, claim: dict[str, Any], spec: dict[str, Any] | None, path: str) -> tuple[m.Credit, ...]:
        points = list(self.nodes(claim, "creditReceived", path)) or list(
            self.nodes(spec, "creditPoint", path)
        )
        out = []
        for point in points:
            framework = self.first(point, "framework", path)
            value = parse_decimal(self.string(point, "point"))
            scheme = None
            if framework is not None:
                label = (self.text(framework, "prefLabel") or "").strip()
                if framework.get("id") == v.ECTS or label.upper() == "ECTS":
                    spelled = [x for k, x in self.identifiers(point, path)[1] if k == MARK_CREDIT_SCHEME]
                    scheme = spelled[0] if spelled else "ECTS"
                else:
                    scheme = self.string(framework, "notation") or label or None
            level_ids = [x for k, x in self.identifiers(point, path)[1] if k == MARK_CREDIT_LEVEL]
            level = next((lv for lv in m.CreditLevel if lv.value in level_ids), None)
            if scheme is not None:
                out.append(m.Credit(scheme, value, level))
        return tuple(out)

    def levels(self, spec: dict[str, Any] | None, path: str) -> tuple[m.Level, ...]:
        out: list[m.Level] = []
        eqf = {self.concept_code(c) for c in self.nodes(spec, "eqfLevel", path)}
        for concept in self.nodes(spec, "educationLevel", path):
            ident = concept.get("id")
            iri = ident if isinstance(ident, str) else ""
            scheme = self.first(concept, "inScheme", path)
            scheme_iri = scheme.get("id", "") if scheme is not None else ""
            label = self.texts(concept, "prefLabel")
            description = label[0] if label else None
            if scheme_iri == v.EQF_SCHEME and not iri.startswith(f"{v.SNB}/eqf/"):
                out.append(m.Level("EQF", description, self.string(concept, "notation")))
            elif iri.startswith(f"{v.SNB}/eqf/"):
                value = iri.rsplit("/", 1)[-1]
                eqf.discard(value)
                out.append(m.Level("EQF", description, value))
            elif isinstance(scheme_iri, str) and scheme_iri.startswith(f"{v.EMREX}:level-type:"):
                notation = self.string(concept, "notation")
                out.append(m.Level(scheme_iri.split(":", 3)[3], description, notation or None))
            else:
                out.append(
                    m.Level(
                        self.text(scheme, "prefLabel") or "other", description, self.concept_code(concept)
                    )
                )
        out.extend(m.Level("EQF", None, value) for value in sorted(x for x in eqf if x))
        for concept in self.nodes(spec, "nqfLevel", path):
            label = self.texts(concept, "prefLabel")
            out.append(m.Level("NQF", label[0] if label else None, self.concept_code(concept)))
        return tuple(out)

    # --- attachments ---------------------------------------------------------------------------------

    def attachments(self) -> tuple[list[m.Attachment], dict[int, list[m.Attachment]]]:
        top: list[m.Attachment] = []
        by_report: dict[int, list[m.Attachment]] = {}
        for i, media in enumerate(self.nodes(self.credential, "attachment", "")):
            path = f"attachment[{i + 1}]"
            ids, markers = self.identifiers(media, path)
            content = self.string(media, "content")
            kind = v.media_type(self.first(media, "contentType", path)) or "application/octet-stream"
            self.get(media, "contentEncoding")
            if content is None:
                continue
            lang = v.language_code(self.first(media, "language", path))
            type_concept = self.first(media, "attachmentType", path)
            type_name = self.string(type_concept, "notation")
            att_type = next((t for t in m.AttachmentType if t.value == type_name), None)
            attachment = m.Attachment(
                identifiers=tuple(ids),
                titles=self.texts(media, "title"),
                type=att_type,
                descriptions=self.texts(media, "description"),
                contents=(m.LangText(f"data:{kind};base64,{content}", lang),),
            )
            report = next((int(x) for k, x in markers if k == MARK_REPORT and x.isdigit()), None)
            (by_report.setdefault(report, []) if report else top).append(attachment)
        return merge_languages(top), {k: merge_languages(a) for k, a in by_report.items()}


def merge_languages(attachments: list[m.Attachment]) -> list[m.Attachment]:
    """One ELMO attachment per ELM media object, except language variants of the same attachment."""
    out: list[m.Attachment] = []
    for attachment in attachments:
        previous = out[-1] if out else None
        if (
            previous is not None
            and attachment.identifiers
            and previous.identifiers == attachment.identifiers
            and previous.titles == attachment.titles
            and previous.type == attachment.type
        ):
            out[-1] = m.Attachment(
                previous.identifiers,
                previous.titles,
                previous.type,
                previous.descriptions,
                previous.contents + attachment.contents,
            )
        else:
            out.append(attachment)
    return out


def los_type_of(value: str) -> m.LosType | None:
    return next((t for t in m.LosType if t.value.casefold() == value.casefold()), None)


def grouping_of(value: str) -> m.Grouping | None:
    try:
        typeref, idref, text = json.loads(value)
    except (ValueError, TypeError):
        return None
    return m.Grouping(typeref, idref, text or "")


def iso_day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_datetime(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def parse_decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
