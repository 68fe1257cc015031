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
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from emrex.elm import vocab as v
from emrex.elm.contexts import check_context_names
from emrex.elm.converted import extract_original
from emrex.elm.errors import ConversionRefused, ElmParseError
from emrex.elm.to_elm import (
    LOS_TYPE_SCHEME,
    MARK_ATTACHMENT,
    MARK_CREDIT_LEVEL,
    MARK_CREDIT_SCHEME,
    MARK_GROUPING,
    MARK_REPORT,
    UNDETERMINED,
)
from emrex.elmo import model as m
from emrex.elmo.errors import ElmoParseError, ElmoValidationError
from emrex.elmo.reader import read_elmo
from emrex.elmo.writer import write_elmo

MAX_TREE_DEPTH = 32
_MARKERS = {
    LOS_TYPE_SCHEME,
    MARK_ATTACHMENT,
    MARK_GROUPING,
    MARK_REPORT,
    MARK_CREDIT_LEVEL,
    MARK_CREDIT_SCHEME,
    "elmo:isced",
}
# Members read elsewhere or that only describe the credential itself (not its ELMO content).
_IGNORED = {"id", "type", "@context", "@id", "@type"}
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
_STATUS = {"passed": m.LoiStatus.PASSED, "failed": m.LoiStatus.FAILED, "in-progress": m.LoiStatus.IN_PROGRESS}
_STATUS_LABELS = {
    "pass": m.LoiStatus.PASSED,
    "fail": m.LoiStatus.FAILED,
    "in progress": m.LoiStatus.IN_PROGRESS,
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


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Reader:
    def __init__(self, credential: dict[str, Any]) -> None:
        self.credential = credential
        self.index: dict[str, dict[str, Any]] = {}
        self.read: dict[int, set[str]] = {}
        self.paths: dict[int, str] = {}
        self.objects: dict[int, dict[str, Any]] = {}
        self.warnings: list[str] = []
        self.problems: list[str] = []
        self._index(credential)

    def _index(self, root: Any) -> None:
        stack = [root]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                ident = item.get("id")
                if isinstance(ident, str) and len(item) > 1 and (ident not in self.index or len(item) > 2):
                    self.index.setdefault(ident, item)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    # --- access that remembers what was read ---------------------------------------------------------

    def node(self, value: Any, path: str) -> dict[str, Any] | None:
        if isinstance(value, str):
            value = {"id": value}
        if not isinstance(value, dict):
            return None
        node: dict[str, Any] = value
        if set(node) <= {"id", "type"} and isinstance(node.get("id"), str):
            node = self.index.get(node["id"], node)
        self.paths.setdefault(id(node), path)
        self.objects[id(node)] = node
        self.read.setdefault(id(node), set())
        return node

    def get(self, node: dict[str, Any] | None, key: str) -> Any:
        if node is None:
            return None
        self.read.setdefault(id(node), set()).add(key)
        return node.get(key)

    def nodes(self, node: dict[str, Any] | None, key: str, path: str) -> Iterator[dict[str, Any]]:
        value = self.get(node, key)
        where = f"{path}.{key}" if path else key
        for i, item in enumerate(_list(value)):
            child = self.node(item, f"{where}[{i + 1}]" if isinstance(value, list) else where)
            if child is not None:
                yield child

    def first(self, node: dict[str, Any] | None, key: str, path: str) -> dict[str, Any] | None:
        return next(self.nodes(node, key, path), None)

    def texts(self, node: dict[str, Any] | None, key: str) -> tuple[m.LangText, ...]:
        value = self.get(node, key)
        out: list[m.LangText] = []
        if isinstance(value, dict):
            for lang, texts in value.items():
                for text in _list(texts):
                    if isinstance(text, str):
                        out.append(m.LangText(text, None if lang in (UNDETERMINED, "@none") else lang))
        elif isinstance(value, str):
            out.append(m.LangText(value))
        return tuple(out)

    def text(self, node: dict[str, Any] | None, key: str) -> str | None:
        texts = self.texts(node, key)
        return texts[0].text if texts else None

    def string(self, node: dict[str, Any] | None, key: str) -> str | None:
        value = self.get(node, key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value if isinstance(value, str) else None

    def unread(self) -> None:
        consumed = {
            node["id"]
            for key_id, node in self.objects.items()
            if self.read.get(key_id) and isinstance(node.get("id"), str)
        }
        for key_id, path in self.paths.items():
            node = self.objects[key_id]
            if not self.read.get(key_id) and node.get("id") in consumed:
                continue  # another copy of a node already read (JSON repeats shared nodes)
            kind = node.get("type")
            kind = kind[0] if isinstance(kind, list) and kind else kind
            if kind in ("Concept", "ConceptScheme"):
                continue  # a vocabulary entry: its labels and scheme are not data of the credential
            read = self.read.get(key_id, set())
            for key in node:
                if key not in read and key not in _IGNORED:
                    self.warnings.append(f"{path}.{key} ({kind}): no ELMO home; left out")

    # --- the document --------------------------------------------------------------------------------

    def elmo(self, now: dt.datetime) -> m.Elmo:
        cred = self.credential
        subject = self.first(cred, "credentialSubject", "")
        if subject is None:
            raise ElmParseError("the credential has no credentialSubject")
        learner = self.learner(subject)
        reports: dict[str, _Report] = {}
        for i, claim in enumerate(self.nodes(subject, "hasClaim", "credentialSubject")):
            path = self.paths.get(id(claim), f"credentialSubject.hasClaim[{i + 1}]")
            org, process = self.awarding(claim, path)
            ident = org.get("id")
            key = ident if isinstance(ident, str) else json.dumps(org, sort_keys=True)
            report = reports.get(key)
            if report is None:
                report = reports[key] = _Report(self.issuer(org, self.paths.get(id(org), path)))
            issued = self.string(process, "dateIssued")
            if issued and report.issue_date is None:
                report.issue_date = _datetime(issued)
            report.los.append(self.los(claim, path, report, 0))
        issued_at = (
            self.string(cred, "issued") or self.string(cred, "issuanceDate") or self.string(cred, "validFrom")
        )
        attachments, by_report = self.attachments()
        built = []
        for r, report in enumerate(reports.values(), 1):
            issue_date = report.issue_date or (_datetime(issued_at) if issued_at else None)
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
                and key not in _IGNORED
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
            birth_date=_date(birth) if birth else None,
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
        self, claim: dict[str, Any], path: str, report: _Report, depth: int
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
        los_type = next((_los_type(x) for k, x in markers if k == LOS_TYPE_SCHEME), None)
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

    def identifiers(
        self, node: dict[str, Any] | None, path: str
    ) -> tuple[list[m.Identifier], list[tuple[str, str]]]:
        found, markers = [], []
        for ident in self.nodes(node, "identifier", path):
            scheme, notation = self.string(ident, "schemeName") or "local", self.string(ident, "notation")
            if notation is None:
                continue
            if scheme in _MARKERS:
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

    def loi(
        self, claim: dict[str, Any], spec: dict[str, Any] | None, path: str, report: _Report
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
        status = _STATUS.get(status_text or "")
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
            start, end = start or _iso(term.start), end or _iso(term.end)  # a period, not an academic term
            term = None
        activity_spec = self.first(activity, "specifiedBy", f"{path}.influencedBy")
        self.get(activity, "title")
        self.get(activity, "awardedBy")
        self.get(activity_spec, "title")
        language = v.language_code(self.first(activity_spec, "language", f"{path}.influencedBy.specifiedBy"))
        if language is None:  # DC4EU gives the language of instruction on the specification
            language = v.language_code(self.first(spec, "language", f"{path}.specifiedBy"))
        hours = _decimal(self.string(activity_spec, "contactHour"))
        grouping = next((_grouping(x) for k, x in markers if k == MARK_GROUPING), None)
        return m.LearningOpportunityInstance(
            identifiers=tuple(identifiers),
            start=_date(start) if start else None,
            date=_date(end) if end else (_date(awarded) if awarded else None),
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

    def status(self, concept: dict[str, Any] | None) -> m.LoiStatus | None:
        if concept is None:
            return None
        notation = self.string(concept, "notation")
        if notation in _STATUS:
            return _STATUS[notation]
        if concept.get("id") == v.GRADE_PASS:
            return m.LoiStatus.PASSED
        label = (self.text(concept, "prefLabel") or "").strip().lower()
        return _STATUS_LABELS.get(label)

    def grading_scheme(self, spec: dict[str, Any] | None, path: str, report: _Report) -> str | None:
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
            start=_date(start) if start else None,
            end=_date(end) if end else None,
        )

    def shortened(self, node: dict[str, Any] | None) -> m.ShortenedGrading | None:
        if node is None:
            return None
        values = [
            _decimal(self.string(node, k)) for k in ("percentageLower", "percentageEqual", "percentageHigher")
        ]
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
            value = _decimal(self.string(point, "point"))
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
        return _merge_languages(top), {k: _merge_languages(a) for k, a in by_report.items()}


@dataclass
class _Report:
    issuer: m.Issuer
    los: list[m.LearningOpportunitySpecification] = field(default_factory=list)
    issue_date: dt.datetime | None = None
    schemes: dict[str, m.GradingScheme] = field(default_factory=dict)


def _merge_languages(attachments: list[m.Attachment]) -> list[m.Attachment]:
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


def _los_type(value: str) -> m.LosType | None:
    return next((t for t in m.LosType if t.value.casefold() == value.casefold()), None)


def _grouping(value: str) -> m.Grouping | None:
    try:
        typeref, idref, text = json.loads(value)
    except (ValueError, TypeError):
        return None
    return m.Grouping(typeref, idref, text or "")


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
