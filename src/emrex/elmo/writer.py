"""Writing the model as an ELMO 1.7 document that the official XSD accepts.

ELMO elements go in the default namespace without a prefix (namespace-unaware peers need that), the
children of ``currentAddress`` in the EWP address namespace, in exactly the XSD's sequence order. A
model that lacks what the schema requires is refused with every missing field's path; ELMO 2.x data
that 1.7 cannot carry (``validation.dropped_in_v17``) is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from lxml import etree

from emrex.elmo import model as m
from emrex.elmo.errors import ElmoValidationError
from emrex.elmo.validation import schema_problems

_E = "{" + m.ELMO_NS + "}"
_A = "{" + m.EWP_ADDRESS_NS + "}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

Element = etree._Element
_Sub = etree.SubElement


def write_elmo(elmo: m.Elmo, *, pretty: bool = True) -> bytes:
    """UTF-8 ELMO 1.7 with an XML declaration; ElmoValidationError when the model is not writable."""
    problems = schema_problems(elmo)
    if problems:
        raise ElmoValidationError([str(p) for p in problems])
    writer = _Writer()
    try:
        root = writer.elmo(elmo)
    except ValueError as exc:  # lxml refuses control characters and other non-XML text
        raise ElmoValidationError([f"{writer.where or 'the document'}: {exc}"]) from None
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def _text(parent: Element, name: str, value: str) -> Element:
    el = _Sub(parent, name)
    el.text = value
    return el


def _opt(parent: Element, name: str, value: str | None) -> None:
    if value is not None:
        _Sub(parent, name).text = value


def _lang_texts(parent: Element, name: str, texts: Sequence[m.LangText]) -> None:
    for t in texts:
        el = _Sub(parent, name)
        el.text = t.text
        if t.lang is not None:
            el.set(_XML_LANG, t.lang)


def _identifiers(parent: Element, identifiers: Sequence[m.Identifier]) -> None:
    for i in identifiers:
        el = _Sub(parent, _E + "identifier", type=i.type)
        el.text = i.value


def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def _date(value: dt.date) -> str:
    return value.isoformat()


def _extension(parent: Element, content: bytes | None, name: str = _E + "extension") -> None:
    if content is None:
        return
    # Content passed validation.schema_problems, so it is well-formed; parse it as our own data.
    wrapper = etree.fromstring(
        b'<e:x xmlns:e="' + m.ELMO_NS.encode() + b'">' + content + b"</e:x>",
        etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False),
    )
    el = _Sub(parent, name)
    for child in list(wrapper):
        el.append(child)


class _Writer:
    def __init__(self) -> None:
        self.where = ""

    def elmo(self, elmo: m.Elmo) -> Element:
        root = etree.Element(_E + "elmo", nsmap={None: m.ELMO_NS})  # type: ignore[dict-item]
        assert elmo.generated_date is not None  # schema_problems checked
        _text(root, _E + "generatedDate", elmo.generated_date.isoformat())
        self.where = "learner"
        self.learner(root, elmo.learner)
        for r, report in enumerate(elmo.reports, 1):
            self.where = f"report[{r}]"
            self.report(root, report)
        self.where = "attachment"
        for attachment in elmo.attachments:
            self.attachment(root, attachment)
        if elmo.groups is not None:
            self.where = "groups"
            self.groups(root, elmo.groups)
        _extension(root, elmo.extension)
        return root

    def learner(self, parent: Element, learner: m.Learner) -> None:
        el = _Sub(parent, _E + "learner")
        _opt(el, _E + "citizenship", learner.citizenship)
        _identifiers(el, learner.identifiers)
        _text(el, _E + "givenNames", learner.given_names)
        _text(el, _E + "familyName", learner.family_name)
        if learner.birth_date is not None:
            _text(el, _E + "bday", _date(learner.birth_date))
        _opt(el, _E + "placeOfBirth", learner.place_of_birth)
        _opt(el, _E + "birthName", learner.birth_name)
        if learner.current_address is not None:
            self.address(el, learner.current_address)
        if learner.gender is not None:
            _text(el, _E + "gender", str(int(learner.gender)))

    def address(self, parent: Element, a: m.Address) -> None:
        el = _Sub(parent, _E + "currentAddress", nsmap={"addr": m.EWP_ADDRESS_NS})
        for name in a.recipient_names:
            _text(el, _A + "recipientName", name)
        for line in a.address_lines:
            _text(el, _A + "addressLine", line)
        _opt(el, _A + "buildingNumber", a.building_number)
        _opt(el, _A + "buildingName", a.building_name)
        _opt(el, _A + "streetName", a.street_name)
        _opt(el, _A + "unit", a.unit)
        _opt(el, _A + "floor", a.floor)
        _opt(el, _A + "postOfficeBox", a.post_office_box)
        for code in a.delivery_point_codes:
            _text(el, _A + "deliveryPointCode", code)
        _opt(el, _A + "postalCode", a.postal_code)
        _opt(el, _A + "locality", a.locality)
        _opt(el, _A + "region", a.region)
        _opt(el, _A + "country", a.country)

    def report(self, parent: Element, report: m.Report) -> None:
        el = _Sub(parent, _E + "report")
        issuer = report.issuer
        iel = _Sub(el, _E + "issuer")
        _opt(iel, _E + "country", issuer.country)
        _identifiers(iel, issuer.identifiers)
        _lang_texts(iel, _E + "title", issuer.titles)
        assert issuer.url is not None and report.issue_date is not None  # schema_problems checked
        _text(iel, _E + "url", issuer.url)
        where = self.where
        for i, los in enumerate(report.learning_opportunity_specifications, 1):
            self.where = f"{where}.los[{i}]"
            self.los(el, los)
        self.where = where
        _text(el, _E + "issueDate", report.issue_date.isoformat())
        for scheme in report.grading_schemes:
            gel = _Sub(el, _E + "gradingScheme", localId=scheme.local_id)
            _lang_texts(gel, _E + "description", scheme.descriptions)
        for attachment in report.attachments:
            self.attachment(el, attachment)

    def los(self, parent: Element, los: m.LearningOpportunitySpecification) -> None:
        el = _Sub(parent, _E + "learningOpportunitySpecification")
        _identifiers(el, los.identifiers)
        _lang_texts(el, _E + "title", los.titles)
        if los.type is not None:
            _text(el, _E + "type", los.type.value)
        _opt(el, _E + "subjectArea", los.subject_area)
        _opt(el, _E + "iscedCode", los.isced_code)
        _opt(el, _E + "url", los.url)
        _lang_texts(el, _E + "description", los.descriptions)
        _lang_texts(el, _E + "descriptionHtml", los.descriptions_html)
        spec = _Sub(el, _E + "specifies")
        assert los.specifies is not None  # schema_problems checked
        self.loi(spec, los.specifies)
        _extension(spec, los.specifies_extension)
        for part in los.has_part:
            self.los(_Sub(el, _E + "hasPart"), part)
        _extension(el, los.extension)

    def loi(self, parent: Element, loi: m.LearningOpportunityInstance) -> None:
        el = _Sub(parent, _E + "learningOpportunityInstance")
        _identifiers(el, loi.identifiers)
        if loi.start is not None:
            _text(el, _E + "start", _date(loi.start))
        if loi.date is not None:
            _text(el, _E + "date", _date(loi.date))
        term = loi.academic_term
        if term is not None:
            tel = _Sub(el, _E + "academicTerm")
            _lang_texts(tel, _E + "title", term.titles)
            assert term.start is not None and term.end is not None  # schema_problems checked
            _text(tel, _E + "start", _date(term.start))
            _text(tel, _E + "end", _date(term.end))
        if loi.status is not None:
            _text(el, _E + "status", loi.status.value)
        _opt(el, _E + "gradingSchemeLocalId", loi.grading_scheme_local_id)
        _opt(el, _E + "resultLabel", loi.result_label)
        g = loi.shortened_grading
        if g is not None:
            gel = _Sub(el, _E + "shortenedGrading")
            _text(gel, _E + "percentageLower", _decimal(g.percentage_lower))
            _text(gel, _E + "percentageEqual", _decimal(g.percentage_equal))
            _text(gel, _E + "percentageHigher", _decimal(g.percentage_higher))
        dist = loi.result_distribution
        if dist is not None:
            del_ = _Sub(el, _E + "resultDistribution")
            for c in dist.categories:
                _Sub(del_, _E + "category", label=c.label, count=str(c.count))
            _lang_texts(del_, _E + "description", dist.descriptions)
        for credit in loi.credits:
            cel = _Sub(el, _E + "credit")
            _text(cel, _E + "scheme", credit.scheme)
            if credit.level is not None:
                _text(cel, _E + "level", credit.level.value)
            if credit.value is not None:
                _text(cel, _E + "value", _decimal(credit.value))
        for level in loi.levels:
            lel = _Sub(el, _E + "level")
            _text(lel, _E + "type", level.type)
            if level.description is not None:
                _lang_texts(lel, _E + "description", (level.description,))
            _opt(lel, _E + "value", level.value)
        _opt(el, _E + "languageOfInstruction", loi.language_of_instruction)
        if loi.engagement_hours is not None:
            _text(el, _E + "engagementHours", _decimal(loi.engagement_hours))
        if loi.attachment_refs:
            ael = _Sub(el, _E + "attachments")
            for ref in loi.attachment_refs:
                _text(ael, _E + "ref", ref)
        if loi.grouping is not None:
            grouping = _Sub(el, _E + "grouping")
            if loi.grouping.typeref is not None:
                grouping.set("typeref", loi.grouping.typeref)
            if loi.grouping.idref is not None:
                grouping.set("idref", loi.grouping.idref)
            if loi.grouping.text:
                grouping.text = loi.grouping.text
        _extension(el, loi.extension)
        if loi.diploma_supplement is not None:
            self.diploma_supplement(el, loi.diploma_supplement)

    def diploma_supplement(self, parent: Element, ds: m.DiplomaSupplement) -> None:
        el = _Sub(parent, _E + "diplomaSupplement")
        if ds.lang is not None:
            el.set(_XML_LANG, ds.lang)
        _text(el, _E + "version", ds.version)
        assert ds.issue_date is not None  # schema_problems checked
        _text(el, _E + "issueDate", _date(ds.issue_date))
        _text(el, _E + "introduction", ds.introduction)
        for section in ds.sections:
            self.section(el, section)

    def section(self, parent: Element, section: m.DiplomaSupplementSection) -> None:
        el = _Sub(parent, _E + "section", number=section.number)
        _text(el, _E + "title", section.title)
        if section.content is not None:
            cel = _text(el, _E + "content", section.content)
            if section.content_type is not None:
                cel.set("type", section.content_type)
        for info in section.additional_information:
            _text(el, _E + "additionalInformation", info)
        for attachment in section.attachments:
            self.attachment(el, attachment)
        for sub in section.sections:
            self.section(el, sub)

    def attachment(self, parent: Element, a: m.Attachment) -> None:
        el = _Sub(parent, _E + "attachment")
        _identifiers(el, a.identifiers)
        _lang_texts(el, _E + "title", a.titles)
        if a.type is not None:
            _text(el, _E + "type", a.type.value)
        _lang_texts(el, _E + "description", a.descriptions)
        _lang_texts(el, _E + "content", a.contents)
        _extension(el, a.extension)

    def groups(self, parent: Element, groups: m.Groups) -> None:
        el = _Sub(parent, _E + "groups")
        for group_type in groups.group_types:
            tel = _Sub(el, _E + "groupType")
            if group_type.id is not None:
                tel.set("id", group_type.id)
            _lang_texts(tel, _E + "title", group_type.titles)
            for group in group_type.groups:
                gel = _Sub(tel, _E + "group")
                if group.id is not None:
                    gel.set("id", group.id)
                if group.sorting_key is not None:
                    gel.set("sortingKey", group.sorting_key)
                _lang_texts(gel, _E + "title", group.titles)
