"""Results in ELM: credit points, levels, activities, assessments, grading, attachments.

The part of the ELMO -> ELM writer that turns one learning opportunity instance's outcome (and the
document's attachments) into nodes; the claim tree itself is built in ``emrex.elm.to_elm``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from emrex.elm import vocab as v
from emrex.elm.node_builder import (
    MARK_CREDIT_LEVEL,
    MARK_CREDIT_SCHEME,
    MARK_REPORT,
    UNDETERMINED,
    NodeBuilder,
    day,
    decimal_text,
)
from emrex.elmo import model as m
from emrex.elmo.errors import DataUriError


@dataclass
class ReportContext:
    """What every claim of one report shares: its number, awarding body and grading scheme nodes."""

    number: int
    org: dict[str, Any]
    report: m.Report
    schemes: dict[str, dict[str, Any]]


class ResultBuilder(NodeBuilder):
    def credits(self, credits: Sequence[m.Credit], where: str) -> list[dict[str, Any]]:
        out = []
        for credit in credits:
            if credit.value is None:
                self.warn(
                    f"{where}.credit[{credit.scheme}]", "has no value, which an ELM credit point requires"
                )
                continue
            framework = self.credit_frameworks.get(credit.scheme)
            if framework is None:
                if credit.is_ects:
                    framework = v.concept(v.ECTS, v.CREDIT_SCHEME, "ECTS", "ECTS")
                else:
                    framework = v.concept(
                        f"{v.EMREX}:credit-scheme:{credit.scheme}",
                        f"{v.EMREX}:credit-scheme",
                        notation=credit.scheme,
                    )
                self.credit_frameworks[credit.scheme] = framework
            point: dict[str, Any] = {
                "id": self.id("creditPoint"),
                "type": "CreditPoint",
                "framework": framework,
                "point": decimal_text(credit.value),
            }
            marks = []
            if credit.level is not None:
                marks.append(self.identifier(MARK_CREDIT_LEVEL, credit.level.value))
            if credit.is_ects and credit.scheme != "ECTS":  # the concept has one notation: keep the spelling
                marks.append(self.identifier(MARK_CREDIT_SCHEME, credit.scheme))
            if marks:
                point["identifier"] = marks
            out.append(point)
        return out

    def levels(self, levels: Sequence[m.Level], spec: dict[str, Any], qualification: bool) -> None:
        concepts = []
        for level in levels:
            eqf = level.type == "EQF" and level.value in {str(n) for n in range(1, 9)}
            value = level.value or ""
            if eqf and level.description is None:
                concept = v.concept(f"{v.SNB}/eqf/{value}", v.EQF_SCHEME, notation=value)
                if qualification:
                    spec["eqfLevel"] = concept
            else:
                # a concept of our own, named by its description too: one concept, one label per language
                described = level.description.text if level.description is not None else ""
                digest = hashlib.sha256(described.encode()).hexdigest()[:12]
                scheme = v.EQF_SCHEME if eqf else f"{v.EMREX}:level-type:{level.type}"
                concept = v.concept(f"{v.EMREX}:level:{level.type}:{value}:{digest}", scheme, notation=value)
                if level.description is not None:
                    concept["prefLabel"] = {level.description.lang or UNDETERMINED: level.description.text}
            concepts.append(concept)
        if concepts:
            spec["educationLevel"] = concepts

    def activity(
        self, loi: m.LearningOpportunityInstance, titles: dict[str, str], process: dict[str, Any]
    ) -> dict[str, Any] | None:
        term = loi.academic_term
        if term is None and loi.language_of_instruction is None and loi.engagement_hours is None:
            return None
        activity: dict[str, Any] = {
            "id": self.id("learningActivity"),
            "type": "LearningActivity",
            "title": titles,
            "awardedBy": {"id": process["id"]},
        }
        if term is not None:
            period: dict[str, Any] = {"id": self.id("period"), "type": "PeriodOfTime"}
            if term.titles:
                period["prefLabel"] = self.texts(term.titles, "academicTerm.title")
            if term.start is not None:
                period["startDate"] = day(term.start)
            if term.end is not None:
                period["endDate"] = day(term.end)
            activity["temporal"] = period
        if loi.language_of_instruction is not None or loi.engagement_hours is not None:
            spec: dict[str, Any] = {
                "id": self.id("learningActivitySpec"),
                "type": "LearningActivitySpecification",
                "title": titles,
            }
            if loi.language_of_instruction is not None:
                spec["language"] = v.language(loi.language_of_instruction)
            if loi.engagement_hours is not None:
                spec["contactHour"] = decimal_text(loi.engagement_hours)
            activity["specifiedBy"] = spec
        return activity

    def assessment(
        self,
        loi: m.LearningOpportunityInstance,
        titles: dict[str, str],
        process: dict[str, Any],
        spec: dict[str, Any],
        where: str,
    ) -> dict[str, Any]:
        assert loi.result_label is not None
        node: dict[str, Any] = {
            "id": self.id("learningAssessment"),
            "type": "LearningAssessment",
            "title": titles,
            "awardedBy": {"id": process["id"]},
            "grade": self.note(loi.result_label),
        }
        if loi.date is not None:
            node["dateIssued"] = day(loi.date)
        if loi.status is not None:
            node["gradeStatus"] = self.grade_status(loi.status)
        if "provenBy" in spec:
            node["specifiedBy"] = spec["provenBy"]
        if loi.shortened_grading is not None:
            node["shortenedGrading"] = self.shortened(loi.shortened_grading, where)
        if loi.result_distribution is not None:
            node["resultDistribution"] = self.distribution(loi.result_distribution, where)
        return node

    def grade_status(self, status: m.LoiStatus) -> dict[str, Any]:
        concept = self.status_concepts.get(status.value)
        if concept is None:
            iri = v.GRADE_PASS if status is m.LoiStatus.PASSED else f"{v.EMREX}:grade-status:{status.value}"
            concept = v.concept(iri, v.GRADE_STATUS_SCHEME, v.LOI_STATUS_LABELS[status.value], status.value)
            self.status_concepts[status.value] = concept
        return concept

    def grading_scheme(self, local_id: str, ctx: ReportContext) -> dict[str, Any]:
        node = ctx.schemes.get(local_id)
        if node is None:
            node = {
                "id": self.id("gradingScheme"),
                "type": "GradingScheme",
                "title": {UNDETERMINED: local_id},
                "identifier": [self.identifier("local", local_id)],
            }
            scheme = ctx.report.grading_scheme(local_id)
            if scheme is not None and scheme.descriptions:
                node["description"] = self.texts(
                    scheme.descriptions, f"gradingScheme[{local_id}].description"
                )
            ctx.schemes[local_id] = node
        return node

    def shortened(self, grading: m.ShortenedGrading, where: str) -> dict[str, Any]:
        values = (grading.percentage_lower, grading.percentage_equal, grading.percentage_higher)
        if any(x != x.to_integral_value() for x in values):
            self.warn(f"{where}.shortenedGrading", "ELM takes whole percentages; rounded")
        lower, equal, higher = (int(x.to_integral_value()) for x in values)
        return {
            "id": self.id("shortenedGrading"),
            "type": "ShortenedGrading",
            "percentageLower": lower,
            "percentageEqual": equal,
            "percentageHigher": higher,
        }

    def distribution(self, dist: m.ResultDistribution, where: str) -> dict[str, Any]:
        node: dict[str, Any] = {"id": self.id("resultDistribution"), "type": "ResultDistribution"}
        categories = []
        for category in dist.categories:
            if category.count < 1:
                self.warn(
                    f"{where}.resultDistribution",
                    f"category {category.label!r} with no students left out (ELM counts from 1)",
                )
                continue
            categories.append(
                {
                    "id": self.id("resultCategory"),
                    "type": "ResultCategory",
                    "label": category.label,
                    "count": category.count,
                }
            )
        if categories:
            node["resultCategory"] = categories
        if dist.descriptions:
            node["description"] = self.texts(dist.descriptions, f"{where}.resultDistribution.description")
        return node

    # --- attachments ---------------------------------------------------------------------------------

    def attachments(self, elmo: m.Elmo) -> list[dict[str, Any]]:
        out = [self.attachment(a, None, f"attachment[{i}]") for i, a in enumerate(elmo.attachments, 1)]
        for r, report in enumerate(elmo.reports, 1):
            out += [
                self.attachment(a, r, f"report[{r}].attachment[{i}]")
                for i, a in enumerate(report.attachments, 1)
            ]
        return [a for node in out for a in node]

    def attachment(self, attachment: m.Attachment, report: int | None, where: str) -> list[dict[str, Any]]:
        nodes = []
        for c, content in enumerate(attachment.contents):
            try:
                media_type, raw = attachment.payload(c)
            except DataUriError as exc:
                self.warn(where, f"content {c + 1} left out: {exc}")
                continue
            identifiers = [self.identifier(i.type, i.value) for i in attachment.identifiers]
            if report is not None:
                identifiers.append(self.identifier(MARK_REPORT, str(report)))
            node: dict[str, Any] = {
                "id": self.id("mediaObject"),
                "type": "MediaObject",
                "content": base64.b64encode(raw).decode("ascii"),
                "contentEncoding": v.concept(v.BASE64, v.ENCODING_SCHEME, "base64"),
                "contentType": v.file_type(media_type),
            }
            if identifiers:
                node["identifier"] = identifiers
            if attachment.titles:
                node["title"] = self.texts(attachment.titles, f"{where}.title")
            if attachment.descriptions:
                node["description"] = self.texts(attachment.descriptions, f"{where}.description")
            if attachment.type is not None:
                node["attachmentType"] = v.concept(
                    f"{v.EMREX}:attachment-type:{attachment.type.value.replace(' ', '-')}",
                    f"{v.EMREX}:attachment-type",
                    notation=attachment.type.value,
                )
            if content.lang:
                node["language"] = v.language(content.lang)
            nodes.append(node)
        if attachment.extension is not None:
            self.warn(f"{where}.extension", "has no ELM home")
        return nodes
