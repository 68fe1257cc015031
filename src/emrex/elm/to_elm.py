"""ELMO model -> an EDC JSON-LD credential (ELM 3.2, W3C VCDM 1.1 as the EDC profile uses it).

One credential for the whole ELMO document: its subject is the learner; every top-level learning
opportunity of every report is one claim, a ``LearningAchievement`` whose ``hasPart`` holds its
children, so the ELMO tree stays a tree. Each claim is awarded by its report's issuer; the credential's
issuer is the sealing organisation (``Sealer``). ``docs/ELM.md`` has the field-by-field table; data
that has no home the EDC shapes accept is listed in ``ElmResult.warnings`` (and, in the Converted
profile, still travels in the embedded original).

Node identifiers are the credential's UUID with a counter (``urn:epass:<kind>:<uuid>-<n>``): unique
within and across credentials, and cheap to make for documents with a thousand courses.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from emrex.elm import vocab as v
from emrex.elm.converted import evidence_node
from emrex.elm.errors import ConversionRefused
from emrex.elm.node_builder import (
    LOS_TYPE_SCHEME,
    MARK_ATTACHMENT,
    MARK_CREDIT_LEVEL,
    MARK_CREDIT_SCHEME,
    MARK_GROUPING,
    MARK_REPORT,
    UNDETERMINED,
    day,
    timestamp,
)
from emrex.elm.result_builder import ReportContext, ResultBuilder
from emrex.elmo import model as m

__all__ = [
    "LOS_TYPE_SCHEME",
    "MARK_ATTACHMENT",
    "MARK_CREDIT_LEVEL",
    "MARK_CREDIT_SCHEME",
    "MARK_GROUPING",
    "MARK_REPORT",
    "UNDETERMINED",
    "ElmResult",
    "Sealer",
    "elmo_to_elm",
]

EVIDENCE_STATEMENT = (
    "Every claim inside this credential is to be construed as having been made by the indicated "
    "awarding body, who maintains sole responsibility for said claim. By applying its electronic seal, "
    "the signing organisation certifies the correctness of origin of each claim, as having been made by "
    "the indicated awarding body."
)
# A 1x1 white PNG: the EDC shapes require a display image; viewers render the structured data.
_BLANK_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"


@dataclass(frozen=True)
class Sealer:
    """The organisation that seals the credential: its issuer in ELM terms.

    ``eidas_identifier`` must be what the seal certificate's organizationIdentifier carries (for
    example ``NTRSE-2021002114``): the verifier binds issuer and seal by it.
    """

    legal_name: Mapping[str, str]
    country: str
    eidas_identifier: str
    homepage: str | None = None
    id: str | None = None

    def problems(self) -> list[str]:
        found = []
        if not self.legal_name or not all(str(x).strip() for x in self.legal_name.values()):
            found.append("the sealing organisation needs a legal name")
        if v.ALPHA3.get(self.country.upper()) is None:
            found.append(f"the sealing organisation's country {self.country!r} is not an ISO 3166 code")
        if not self.eidas_identifier.strip():
            found.append("the sealing organisation needs its eIDAS identifier (organizationIdentifier)")
        return found


@dataclass
class ElmResult:
    credential: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_json(self, *, indent: bool = False) -> bytes:
        return orjson.dumps(self.credential, option=orjson.OPT_INDENT_2 if indent else 0)


def elmo_to_elm(
    elmo: m.Elmo,
    sealer: Sealer,
    *,
    original: bytes | None = None,
    issued: dt.datetime | None = None,
    credential_id: str | None = None,
    display_language: str = "en",
) -> ElmResult:
    """The credential for ``elmo``; with ``original`` (the signed ELMO XML) it is a Converted credential.

    ConversionRefused when the sealer's data or the ELMO learner and reports are missing.
    """
    problems = sealer.problems()
    if not elmo.reports:
        problems.append("the ELMO document has no report")
    if not (elmo.learner.given_names or elmo.learner.family_name):
        problems.append("the ELMO learner has no name")
    if problems:
        raise ConversionRefused(problems)
    base = credential_id.rsplit(":", 1)[-1] if credential_id else str(uuid.uuid4())
    builder = _Builder(base, display_language)
    return builder.credential(elmo, sealer, original, issued, credential_id or f"urn:credential:{base}")


class _Builder(ResultBuilder):
    # --- the credential ------------------------------------------------------------------------------

    def credential(
        self,
        elmo: m.Elmo,
        sealer: Sealer,
        original: bytes | None,
        issued: dt.datetime | None,
        credential_id: str,
    ) -> ElmResult:
        now = timestamp(issued or dt.datetime.now(dt.UTC))
        schemas = [{"id": v.GENERIC_FULL, "type": "ShaclValidator2017"}]
        cred: dict[str, Any] = {
            "@context": [v.VC_CONTEXT, v.EDC_CONTEXT],
            "id": credential_id,
            "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
            "credentialProfiles": v.concept(v.GENERIC_PROFILE, v.CREDENTIAL_TYPE_SCHEME, "Generic"),
            "credentialSchema": schemas,
            "displayParameter": self.display(elmo),
            "credentialSubject": self.person(elmo),
            "issuer": self.sealer(sealer),
            "issuanceDate": now,
            "issued": now,
            "validFrom": now,
        }
        attachments = self.attachments(elmo)
        if attachments:
            cred["attachment"] = attachments
        if original is not None:
            schemas.append({"id": v.CONVERTED, "type": "ShaclValidator2017"})
            cred["evidence"] = evidence_node(self.id("evidence"), self.id("mediaObject"), original)
        if elmo.groups is not None and elmo.groups.group_types:
            self.warn("groups", "the group catalogue has no ELM home; each LOI keeps its own grouping")
        if elmo.extension is not None:
            self.warn("extension", "has no ELM home")
        return ElmResult(cred, self.warnings)

    def display(self, elmo: m.Elmo) -> dict[str, Any]:
        lang = v.language(self.display_language)
        title = "Transcript of records"
        name = f"{elmo.learner.given_names} {elmo.learner.family_name}".strip()
        return {
            "id": self.id("displayParameter"),
            "type": "DisplayParameter",
            "title": {self.display_language: f"{title}: {name}" if name else title},
            "language": [lang],
            "primaryLanguage": lang,
            "individualDisplay": {
                "id": self.id("individualDisplay"),
                "type": "IndividualDisplay",
                "language": lang,
                "displayDetail": {
                    "id": self.id("displayDetail"),
                    "type": "DisplayDetail",
                    "page": 1,
                    "image": {
                        "id": self.id("mediaObject"),
                        "type": "MediaObject",
                        "content": _BLANK_PNG,
                        "contentEncoding": v.concept(v.BASE64, v.ENCODING_SCHEME, "base64"),
                        "contentType": v.concept(f"{v.FILE_TYPE_NAL}/PNG", v.FILE_TYPE_NAL, "PNG"),
                    },
                },
            },
        }

    def sealer(self, sealer: Sealer) -> dict[str, Any]:
        spatial = v.country(sealer.country)
        org: dict[str, Any] = {
            "id": sealer.id or self.id("org"),
            "type": "Organisation",
            "legalName": dict(sealer.legal_name),
            "eIDASIdentifier": {
                "id": self.id("legalIdentifier"),
                "type": "LegalIdentifier",
                "notation": sealer.eidas_identifier,
                "spatial": spatial,
            },
            "location": {
                "id": self.id("location"),
                "type": "Location",
                "address": {"id": self.id("address"), "type": "Address", "countryCode": spatial},
            },
        }
        if sealer.homepage:
            org["homepage"] = self.web(sealer.homepage)
        return org

    # --- the learner ---------------------------------------------------------------------------------

    def person(self, elmo: m.Elmo) -> dict[str, Any]:
        learner = elmo.learner
        person: dict[str, Any] = {"id": self.id("person"), "type": "Person"}
        if learner.given_names:
            person["givenName"] = {UNDETERMINED: learner.given_names}
        if learner.family_name:
            person["familyName"] = {UNDETERMINED: learner.family_name}
        if learner.birth_date is not None:
            person["dateOfBirth"] = day(learner.birth_date)
        citizenship = v.country(learner.citizenship) if learner.citizenship else None
        if citizenship is not None:
            person["citizenshipCountry"] = citizenship
        elif learner.citizenship:
            self.warn("learner.citizenship", f"{learner.citizenship!r} is not a known country; left out")
        if learner.identifiers:
            person["identifier"] = self.identifiers(learner.identifiers)
            national = learner.identifier("nationalIdentifier")
            if national is not None and citizenship is not None:
                person["nationalID"] = {
                    "id": self.id("legalIdentifier"),
                    "type": "LegalIdentifier",
                    "notation": national,
                    "spatial": citizenship,
                }
        if learner.birth_name:
            person["birthName"] = {UNDETERMINED: learner.birth_name}
        if learner.gender is not None:
            code = v.GENDERS[int(learner.gender)]
            person["gender"] = v.concept(
                f"{v.HUMAN_SEX_NAL}/{code}", v.HUMAN_SEX_NAL, notation=str(int(learner.gender))
            )
        if learner.place_of_birth:
            self.warn(
                "learner.placeOfBirth",
                "an ELM place of birth needs a country, which ELMO does not give; left out",
            )
        if learner.current_address is not None:
            address = learner.current_address
            lines = [*address.address_lines]
            street = " ".join(x for x in (address.street_name, address.building_number) if x)
            lines += [x for x in (street, address.postal_code, address.locality, address.region) if x]
            location = self.location(address.country, ", ".join(lines), "learner.currentAddress")
            if location is not None:
                person["location"] = location
                self.warn("learner.currentAddress", "carried as one line of text (ELM has no address parts)")
        if learner.alternative_name is not None:
            self.warn("learner.alternativeName", "ELMO 2.x data, not carried")
        claims: list[dict[str, Any]] = []
        for r, report in enumerate(elmo.reports, 1):
            claims.extend(self.report(report, r))
        person["hasClaim"] = claims
        return person

    # --- reports -------------------------------------------------------------------------------------

    def report(self, report: m.Report, number: int) -> list[dict[str, Any]]:
        where = f"report[{number}]"
        org = self.organisation(report.issuer, where)
        context = ReportContext(number, org, report, {})
        if report.result_of_recognition:
            self.warn(f"{where}.resultOfRecognition", "ELMO 2.x data, not carried")
        used = {
            los.specifies.grading_scheme_local_id
            for _, los in report.iter_los()
            if los.specifies is not None and los.specifies.grading_scheme_local_id
        }
        for scheme in report.grading_schemes:
            if scheme.local_id not in used:
                self.warn(
                    f"{where}.gradingScheme[{scheme.local_id}]", "is used by no result, so has no ELM home"
                )
        return [
            self.achievement(los, context, f"{where}.los[{i}]")
            for i, los in enumerate(report.learning_opportunity_specifications, 1)
        ]

    def organisation(self, issuer: m.Issuer, where: str) -> dict[str, Any]:
        org: dict[str, Any] = {"id": self.id("org"), "type": "Organisation"}
        if issuer.identifiers:
            org["identifier"] = self.identifiers(issuer.identifiers)
        if issuer.titles:
            org["legalName"] = self.texts(issuer.titles, f"{where}.issuer.title")
        location = self.location(issuer.country, None, f"{where}.issuer.country")
        if location is not None:
            org["location"] = location
        if issuer.url:
            org["homepage"] = self.web(issuer.url)
        return org

    def achievement(
        self, los: m.LearningOpportunitySpecification, ctx: ReportContext, where: str
    ) -> dict[str, Any]:
        titles = self.texts(los.titles, f"{where}.title")
        node: dict[str, Any] = {
            "id": self.id("learningAchievement"),
            "type": "LearningAchievement",
            "title": titles,
        }
        identifiers = self.identifiers(los.identifiers)
        if los.type is not None:
            identifiers.append(self.identifier(LOS_TYPE_SCHEME, los.type.value))
        spec = self.specification(los, titles, identifiers, where)
        loi = los.specifies
        process: dict[str, Any] = {
            "id": self.id("awardingProcess"),
            "type": "AwardingProcess",
            "awardingBody": ctx.org,
        }
        if ctx.report.issue_date is not None:
            process["dateIssued"] = timestamp(ctx.report.issue_date)
        node["awardedBy"] = process
        if loi is not None:
            self.instance(loi, los, node, spec, process, titles, ctx, where)
        if identifiers:
            node["identifier"] = identifiers
        node["specifiedBy"] = spec
        if los.has_part:
            node["hasPart"] = [
                self.achievement(child, ctx, f"{where}.part[{i}]") for i, child in enumerate(los.has_part, 1)
            ]
        if los.extension is not None or los.specifies_extension is not None:
            self.warn(f"{where}.extension", "has no ELM home")
        return node

    def specification(
        self,
        los: m.LearningOpportunitySpecification,
        titles: dict[str, str],
        identifiers: list[dict[str, Any]],
        where: str,
    ) -> dict[str, Any]:
        qualification = los.type is m.LosType.DEGREE_PROGRAMME
        spec: dict[str, Any] = {
            "id": self.id("qualification" if qualification else "learningAchievementSpec"),
            "type": "Qualification" if qualification else "LearningAchievementSpecification",
            "title": titles,
        }
        if identifiers:
            spec["identifier"] = identifiers
        if los.descriptions:
            spec["description"] = self.texts(los.descriptions, f"{where}.description")
        if los.descriptions_html:
            spec["additionalNote"] = [
                self.note(t.text, "text/html", t.lang or UNDETERMINED) for t in los.descriptions_html
            ]
        if los.url:
            spec["homepage"] = self.web(los.url)
        if los.isced_code:
            code = los.isced_code
            spec["thematicArea"] = v.concept(f"{v.SNB}/isced-f/{code}", v.ISCED_SCHEME, notation=code)
        if los.subject_area:
            area = los.subject_area
            spec["educationSubject"] = v.concept(
                f"{v.SUBJECT_AREA_SCHEME}:{area}", v.SUBJECT_AREA_SCHEME, notation=area
            )
        return spec

    def instance(
        self,
        loi: m.LearningOpportunityInstance,
        los: m.LearningOpportunitySpecification,
        node: dict[str, Any],
        spec: dict[str, Any],
        process: dict[str, Any],
        titles: dict[str, str],
        ctx: ReportContext,
        where: str,
    ) -> None:
        where = f"{where}.loi"
        opportunity: dict[str, Any] = {
            "id": self.id("learningOpportunity"),
            "type": "LearningOpportunity",
            "title": titles,
            "providedBy": {"id": ctx.org["id"]},
        }
        if loi.identifiers:
            opportunity["identifier"] = self.identifiers(loi.identifiers)
        if loi.start is not None or loi.date is not None:
            period: dict[str, Any] = {"id": self.id("period"), "type": "PeriodOfTime"}
            if loi.start is not None:
                period["startDate"] = day(loi.start)
            if loi.date is not None:
                period["endDate"] = day(loi.date)
            opportunity["temporal"] = period
        if loi.status is not None:
            opportunity["status"] = loi.status.value
        node["learningOpportunity"] = opportunity
        if loi.date is not None:
            process["awardingDate"] = day(loi.date)
        markers = [self.identifier(MARK_ATTACHMENT, ref) for ref in loi.attachment_refs]
        if loi.grouping is not None:
            g = loi.grouping
            markers.append(self.identifier(MARK_GROUPING, json.dumps([g.typeref, g.idref, g.text])))
        if markers:
            opportunity.setdefault("identifier", []).extend(markers)
        credits = self.credits(loi.credits, where)
        if credits:
            node["creditReceived"] = credits
            spec["creditPoint"] = credits
        self.levels(loi.levels, spec, los.type is m.LosType.DEGREE_PROGRAMME)
        activity = self.activity(loi, titles, process)
        if activity is not None:
            node["influencedBy"] = activity
        if loi.grading_scheme_local_id is not None:
            spec["provenBy"] = {
                "id": self.id("learningAssessmentSpec"),
                "type": "LearningAssessmentSpecification",
                "title": titles,
                "gradingScheme": self.grading_scheme(loi.grading_scheme_local_id, ctx),
            }
        if loi.result_label is not None:
            assessment = self.assessment(loi, titles, process, spec, where)
            process["used"] = assessment
            node["provenBy"] = {"id": assessment["id"]}
        elif loi.shortened_grading is not None or loi.result_distribution is not None:
            self.warn(
                where,
                "a grade distribution without a grade has no ELM home (an ELM assessment needs a grade)",
            )
        if loi.diploma_supplement is not None:
            self.warn(f"{where}.diplomaSupplement", "has no ELM home in a generic EDC")
        if loi.extension is not None:
            self.warn(f"{where}.extension", "has no ELM home")
        if loi.grading_scheme_external_id is not None:
            self.warn(f"{where}.gradingSchemeExternalId", "ELMO 2.x data, not carried")
