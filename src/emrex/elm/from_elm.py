"""ELM (an EDC JSON-LD credential) -> ELMO 1.7.

A Converted credential gives back its embedded original, byte for byte. Any other credential is
mapped field by field (``docs/ELM.md``): the learner from the credential subject, one report per
awarding body, one learning opportunity per claim with ``hasPart`` as its children. Every member of a
node we read that has no ELMO home becomes a warning with its path; when what ELMO requires is missing
(an issuer's URL or identifier, the learner's names, a title) the conversion is refused, naming each.

The credential is read as JSON, resolving ``{"id": …}`` references to the node given in full elsewhere
in the document; JSON-LD processing is not needed for that and never fetches anything.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from emrex.elm import vocab as v
from emrex.elm.contexts import check_context_names
from emrex.elm.converted import extract_original
from emrex.elm.errors import ConversionRefused, ElmParseError
from emrex.elm.node_builder import LOS_TYPE_SCHEME, MARK_ATTACHMENT, MARK_GROUPING
from emrex.elm.node_reader import IGNORED
from emrex.elm.result_reader import (
    STATUS,
    ReportParts,
    ResultReader,
    grouping_of,
    iso_day,
    los_type_of,
    parse_date,
    parse_datetime,
    parse_decimal,
)
from emrex.elmo import model as m
from emrex.elmo.errors import ElmoParseError, ElmoValidationError
from emrex.elmo.reader import read_elmo
from emrex.elmo.writer import write_elmo

MAX_TREE_DEPTH = 32
_CREDENTIAL_MEMBERS = {
    "credentialProfiles",
    "credentialSchema",
    "displayParameter",
    "issuer",
    "issuanceDate",
    "issued",
    "validFrom",
    "validUntil",
    "expirationDate",
    "evidence",
    "credentialStatus",
    "proof",
    "identifier",
    "termsOfUse",
}


@dataclass
class ElmoResult:
    xml: bytes
    elmo: m.Elmo
    warnings: list[str] = field(default_factory=list)
    lossless: bool = False  # the embedded original, unchanged


def elm_to_elmo(credential: dict[str, Any], *, now: dt.datetime | None = None) -> ElmoResult:
    """ELMO for ``credential`` (the payload of a sealed one: ``document.read_credential`` finds it)."""
    if not isinstance(credential, dict) or not _is_credential(credential):
        raise ElmParseError("not an ELM credential: no 'credentialSubject' in a VerifiableCredential")
    check_context_names(credential)
    original = extract_original(credential)
    if original is not None:
        try:
            elmo = read_elmo(original).elmo
        except ElmoParseError as exc:
            raise ElmParseError(f"the embedded original ELMO document is unreadable: {exc}") from None
        return ElmoResult(original, elmo, [], lossless=True)
    reader = _Reader(credential)
    elmo = reader.elmo(now or dt.datetime.now(dt.UTC))
    if reader.problems:
        raise ConversionRefused(reader.problems)
    try:
        xml = write_elmo(elmo)
    except ElmoValidationError as exc:
        raise ConversionRefused([f"ELMO requires {p}" for p in exc.problems]) from None
    return ElmoResult(xml, elmo, reader.warnings)


def credential_model(credential: dict[str, Any], *, now: dt.datetime | None = None) -> m.Elmo:
    """The ELMO model of the credential's own fields (never its embedded original), even where ELMO
    would require more than the credential gives: for comparing, not for writing."""
    if not isinstance(credential, dict) or not _is_credential(credential):
        raise ElmParseError("not an ELM credential: no 'credentialSubject' in a VerifiableCredential")
    check_context_names(credential)
    return _Reader(credential).elmo(now or dt.datetime.now(dt.UTC))


def _is_credential(value: dict[str, Any]) -> bool:
    types = value.get("type")
    types = types if isinstance(types, list) else [types]
    return "credentialSubject" in value and any(
        t in ("VerifiableCredential", "EuropeanDigitalCredential") for t in types
    )


class _Reader(ResultReader):
    # --- the document --------------------------------------------------------------------------------

    def elmo(self, now: dt.datetime) -> m.Elmo:
        cred = self.credential
        subject = self.first(cred, "credentialSubject", "")
        if subject is None:
            raise ElmParseError("the credential has no credentialSubject")
        learner = self.learner(subject)
        reports: dict[str, ReportParts] = {}
        for i, claim in enumerate(self.nodes(subject, "hasClaim", "credentialSubject")):
            path = self.paths.get(id(claim), f"credentialSubject.hasClaim[{i + 1}]")
            org, process = self.awarding(claim, path)
            ident = org.get("id")
            key = ident if isinstance(ident, str) else json.dumps(org, sort_keys=True)
            report = reports.get(key)
            if report is None:
                report = reports[key] = ReportParts(self.issuer(org, self.paths.get(id(org), path)))
            issued = self.string(process, "dateIssued")
            if issued and report.issue_date is None:
                report.issue_date = parse_datetime(issued)
            report.los.append(self.los(claim, path, report, 0))
        issued_at = (
            self.string(cred, "issued") or self.string(cred, "issuanceDate") or self.string(cred, "validFrom")
        )
        attachments, by_report = self.attachments()
        built = []
        for r, report in enumerate(reports.values(), 1):
            issue_date = report.issue_date or (parse_datetime(issued_at) if issued_at else None)
            if issue_date is None:
                self.problems.append(f"report[{r}]: no issue date (neither the claim's nor the credential's)")
            built.append(
                m.Report(
                    issuer=report.issuer,
                    learning_opportunity_specifications=tuple(report.los),
                    issue_date=issue_date,
                    grading_schemes=tuple(report.schemes.values()),
                    attachments=tuple(by_report.get(r, ())),
                )
            )
        if not built:
            self.problems.append("the credential subject has no claim, and ELMO needs at least one report")
        for key in cred:
            if (
                key not in _CREDENTIAL_MEMBERS
                and key not in IGNORED
                and key not in ("credentialSubject", "attachment")
            ):
                self.warnings.append(f"{key}: no ELMO home; left out")
        self.unread()
        return m.Elmo(
            learner=learner,
            reports=tuple(built),
            generated_date=now.replace(microsecond=0),
            attachments=tuple(attachments),
        )

    def learner(self, subject: dict[str, Any]) -> m.Learner:
        given, family = self.text(subject, "givenName"), self.text(subject, "familyName")
        if not given or not family:
            full = self.text(subject, "fullName")
            named = f" (the credential has only the full name {full!r})" if full else ""
            self.problems.append(f"the learner's given names and family name are required by ELMO{named}")
        identifiers = [
            m.Identifier(self.string(i, "schemeName") or "local", self.string(i, "notation") or "")
            for i in self.nodes(subject, "identifier", "credentialSubject")
            if self.string(i, "notation")
        ]
        national = self.first(subject, "nationalID", "credentialSubject")
        number = self.string(national, "notation")
        if (
            number
            and number != "nationalIdentifier"
            and all(i.type != "nationalIdentifier" for i in identifiers)
        ):
            identifiers.append(m.Identifier("nationalIdentifier", number))
        self.get(national, "spatial")
        birth = self.string(subject, "dateOfBirth")
        gender = self.gender(self.first(subject, "gender", "credentialSubject"))
        address = None
        location = self.first(subject, "location", "credentialSubject")
        if location is not None:
            line, country = self.address(location, "credentialSubject.location")
            address = m.Address(address_lines=(line,) if line else (), country=country)
        place = self.first(subject, "placeOfBirth", "credentialSubject")
        place_text = self.address(place, "credentialSubject.placeOfBirth")[0] if place is not None else None
        return m.Learner(
            given_names=given or "",
            family_name=family or "",
            citizenship=v.country_code(self.first(subject, "citizenshipCountry", "credentialSubject")),
            identifiers=tuple(identifiers),
            birth_date=parse_date(birth) if birth else None,
            place_of_birth=place_text,
            birth_name=self.text(subject, "birthName"),
            current_address=address,
            gender=gender,
        )

    def gender(self, concept: dict[str, Any] | None) -> m.Gender | None:
        if concept is None:
            return None
        notation = self.string(concept, "notation")
        if notation in ("0", "1", "2", "9"):
            return m.Gender(int(notation))
        iri = concept.get("id")
        code = iri.rsplit("/", 1)[-1] if isinstance(iri, str) else ""
        return next((m.Gender(k) for k, c in v.GENDERS.items() if c == code), None)

    def address(self, location: dict[str, Any], path: str) -> tuple[str | None, str | None]:
        address = self.first(location, "address", path)
        note = self.first(address, "fullAddress", f"{path}.address")
        self.get(note, "noteFormat")
        country = v.country_code(self.first(address, "countryCode", f"{path}.address"))
        return self.text(note, "noteLiteral"), country

    # --- reports and issuers -------------------------------------------------------------------------

    def awarding(self, claim: dict[str, Any], path: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        process = self.first(claim, "awardedBy", path)
        org = self.first(process, "awardingBody", f"{path}.awardedBy")
        if org is None:
            self.problems.append(f"{path}: no awarding body, which ELMO needs as the report's issuer")
            return {}, process
        return org, process

    def issuer(self, org: dict[str, Any], path: str) -> m.Issuer:
        identifiers = [
            m.Identifier(self.string(i, "schemeName") or "local", self.string(i, "notation") or "")
            for i in self.nodes(org, "identifier", path)
            if self.string(i, "notation")
        ]
        for key in ("eIDASIdentifier", "registration", "vatIdentifier", "taxIdentifier"):
            for legal in self.nodes(org, key, path):
                notation = self.string(legal, "notation")
                self.get(legal, "spatial")
                if notation:
                    identifiers.append(m.Identifier(key, notation))
        titles = self.texts(org, "legalName")
        homepage = self.first(org, "homepage", path)
        url = self.string(homepage, "contentURL")
        location = self.first(org, "location", path)
        country = self.address(location, f"{path}.location")[1] if location is not None else None
        name = titles[0].text if titles else path
        if not identifiers:
            self.problems.append(f"the issuer {name!r} has no identifier, which ELMO requires")
        if not titles:
            self.problems.append(f"{path}: the issuer has no legal name, which ELMO requires as its title")
        if not url:
            self.problems.append(f"the issuer {name!r} has no homepage, which ELMO requires as its url")
        return m.Issuer(identifiers=tuple(identifiers), titles=titles, url=url, country=country)

    # --- learning opportunities ----------------------------------------------------------------------

    def los(
        self, claim: dict[str, Any], path: str, report: ReportParts, depth: int
    ) -> m.LearningOpportunitySpecification:
        spec = self.first(claim, "specifiedBy", path)
        spec_path = f"{path}.specifiedBy"
        titles = self.texts(claim, "title") or self.texts(spec, "title")
        self.get(spec, "title")
        if not titles:
            self.problems.append(f"{path}: no title, which ELMO requires")
        identifiers, markers = self.identifiers(claim, path)
        spec_ids, spec_markers = self.identifiers(spec, spec_path)
        identifiers = identifiers or spec_ids
        markers = markers or spec_markers
        los_type = next((los_type_of(x) for k, x in markers if k == LOS_TYPE_SCHEME), None)
        isced = self.concept_code(self.first(spec, "thematicArea", spec_path))
        area = self.concept_code(self.first(spec, "educationSubject", spec_path))
        html: list[m.LangText] = []
        for note in self.nodes(spec, "additionalNote", spec_path):
            fmt = self.string(self.first(note, "noteFormat", spec_path), "notation")
            if fmt == "text/html":
                html.extend(self.texts(note, "noteLiteral"))
        descriptions = self.texts(spec, "description") or self.texts(claim, "description")
        self.get(claim, "description")
        children: list[m.LearningOpportunitySpecification] = []
        if depth < MAX_TREE_DEPTH:
            children = [
                self.los(child, self.paths.get(id(child), f"{path}.hasPart"), report, depth + 1)
                for child in self.nodes(claim, "hasPart", path)
            ]
        else:
            self.problems.append(f"{path}: the hasPart tree is deeper than {MAX_TREE_DEPTH} levels")
        self.get(spec, "creditPoint")
        self.get(spec, "hasPart")
        return m.LearningOpportunitySpecification(
            titles=titles,
            identifiers=tuple(identifiers),
            type=los_type,
            subject_area=area,
            isced_code=isced,
            url=self.string(self.first(spec, "homepage", spec_path), "contentURL"),
            descriptions=descriptions,
            descriptions_html=tuple(html),
            specifies=self.loi(claim, spec, path, report),
            has_part=tuple(children),
        )

    def loi(
        self, claim: dict[str, Any], spec: dict[str, Any] | None, path: str, report: ReportParts
    ) -> m.LearningOpportunityInstance:
        opportunity = self.first(claim, "learningOpportunity", path)
        op_path = f"{path}.learningOpportunity"
        self.get(opportunity, "title")
        self.get(opportunity, "providedBy")
        identifiers, markers = self.identifiers(opportunity, op_path)
        period = self.first(opportunity, "temporal", op_path) or self.first(claim, "temporal", path)
        start, end = self.string(period, "startDate"), self.string(period, "endDate")
        process = self.first(claim, "awardedBy", path)
        awarded = self.string(process, "awardingDate")
        self.get(process, "awardingBody")  # a child's awarding body: ELMO has one issuer per report
        status_text = self.string(opportunity, "status")
        assessment = self.first(claim, "provenBy", path) or self.first(process, "used", f"{path}.awardedBy")
        self.get(process, "used")
        self.get(process, "dateIssued")
        self.get(claim, "provenBy")
        a_path = self.paths.get(id(assessment), path) if assessment is not None else path
        grade_node = self.first(assessment, "grade", a_path)
        grade = (
            self.text(grade_node, "noteLiteral")
            if grade_node is not None
            else self.string(assessment, "grade")
        )
        self.get(grade_node, "noteFormat")
        status = STATUS.get(status_text or "")
        graded = (
            self.status(self.first(assessment, "gradeStatus", a_path)) if assessment is not None else None
        )
        status = status or graded
        self.get(assessment, "title")
        self.get(assessment, "awardedBy")
        self.get(assessment, "dateIssued")
        scheme_id = self.grading_scheme(self.first(assessment, "specifiedBy", a_path), a_path, report)
        spec_scheme = self.grading_scheme(self.first(spec, "provenBy", f"{path}.specifiedBy"), path, report)
        scheme_id = scheme_id or spec_scheme
        activity = self.first(claim, "influencedBy", path)
        term = self.term(self.first(activity, "temporal", f"{path}.influencedBy"))
        if term is not None and not (term.titles and term.start and term.end):
            # a period, not an academic term
            start, end = start or iso_day(term.start), end or iso_day(term.end)
            term = None
        activity_spec = self.first(activity, "specifiedBy", f"{path}.influencedBy")
        self.get(activity, "title")
        self.get(activity, "awardedBy")
        self.get(activity_spec, "title")
        language = v.language_code(self.first(activity_spec, "language", f"{path}.influencedBy.specifiedBy"))
        if language is None:  # DC4EU gives the language of instruction on the specification
            language = v.language_code(self.first(spec, "language", f"{path}.specifiedBy"))
        hours = parse_decimal(self.string(activity_spec, "contactHour"))
        grouping = next((grouping_of(x) for k, x in markers if k == MARK_GROUPING), None)
        return m.LearningOpportunityInstance(
            identifiers=tuple(identifiers),
            start=parse_date(start) if start else None,
            date=parse_date(end) if end else (parse_date(awarded) if awarded else None),
            academic_term=term,
            status=status,
            grading_scheme_local_id=scheme_id,
            result_label=grade,
            shortened_grading=self.shortened(self.first(assessment, "shortenedGrading", a_path)),
            result_distribution=self.distribution(self.first(assessment, "resultDistribution", a_path)),
            credits=self.credits(claim, spec, path),
            levels=self.levels(spec, f"{path}.specifiedBy"),
            language_of_instruction=language,
            engagement_hours=hours,
            attachment_refs=tuple(x for k, x in markers if k == MARK_ATTACHMENT),
            grouping=grouping,
        )
