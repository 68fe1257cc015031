"""Writing the model as an ELMO 1.7 document that the official XSD accepts.

ELMO elements go in the default namespace without a prefix (namespace-unaware peers need that), the
children of ``currentAddress`` in the EWP address namespace, in exactly the XSD's sequence order. A
model that lacks what the schema requires is refused with every missing field's path; ELMO 2.x data
that 1.7 cannot carry (``validation.dropped_in_v17``) is left out.

The document is built as text with explicit escaping rather than as an lxml tree: building a tree
element by element costs several times more on large documents. Text that XML cannot carry (control
characters, lone surrogates) is looked for once in the result; only then is the model walked again,
checking every value, to name the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from lxml import etree

from emrex.elmo import model as m
from emrex.elmo.errors import ElmoValidationError
from emrex.elmo.validation import schema_problems

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL_BYTES = bytes(c for c in range(32) if chr(c) not in "\t\n\r")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_ADDR = "addr:"


class Written(NamedTuple):
    xml: bytes  # as write_elmo writes it
    # Whether ``xml`` after its declaration line, but for the final newline, is the document's inclusive
    # C14N 1.0 form: no extension content (written as C14N of its own elements, not in context) and no
    # character escaped by number or '>' in an attribute.
    canonical: bool


def write_elmo(elmo: m.Elmo, *, pretty: bool = False) -> bytes:
    """UTF-8 ELMO 1.7 with an XML declaration; ElmoValidationError when the model is not writable."""
    data = written_elmo(elmo).xml
    if pretty:
        # Our own text: libxml2's limits (10 000 000 characters per text node) must not apply to it.
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True, huge_tree=True
        )
        data = etree.tostring(
            etree.fromstring(data, parser), xml_declaration=True, encoding="UTF-8", pretty_print=True
        )
    return data


def written_elmo(elmo: m.Elmo) -> Written:
    """``write_elmo``'s bytes, and whether they are in canonical form already (a signer need not parse
    them again to canonicalize them)."""
    problems = schema_problems(elmo)
    if problems:
        raise ElmoValidationError([str(p) for p in problems])
    writer = _Writer(checking=False)
    data = _utf8(writer.document(elmo))
    if data is None:
        _Writer(checking=True).document(elmo)  # raises, naming the field
        raise ElmoValidationError(["the document holds characters XML cannot carry"])  # pragma: no cover
    return Written(data, writer.canonical and b"&#" not in data)


def _utf8(text: str) -> bytes | None:
    """``text`` in UTF-8, or None when it holds a character XML cannot carry (what ``_ILLEGAL`` finds;
    looked for in the bytes, which takes a fraction of the regular expression's time)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return None  # control characters
    if b"\xef\xbf" in data and (b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data):
        return None  # U+FFFE or U+FFFF
    return data


def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    return "0" if text == "-0" else text


class _Writer:
    def __init__(self, *, checking: bool) -> None:
        self.out: list[str] = []
        self.checking = checking
        self.where = "elmo"
        self.canonical = True  # but for characters escaped by number, which written_elmo looks for

    # --- output primitives -------------------------------------------------------------------------

    def esc(self, value: str) -> str:
        if self.checking and _ILLEGAL.search(value) is not None:
            raise ElmoValidationError([f"{self.where}: {value[:40]!r} holds characters XML cannot carry"])
        return value.translate(_TEXT_ESCAPES)

    def attr(self, value: str) -> str:
        if self.checking and _ILLEGAL.search(value) is not None:
            raise ElmoValidationError([f"{self.where}: {value[:40]!r} holds characters XML cannot carry"])
        if ">" in value:  # C14N leaves it in attributes
            self.canonical = False
        return value.translate(_ATTR_ESCAPES)

    def leaf(self, name: str, value: str) -> None:
        self.out.append(f"<{name}>{self.esc(value)}</{name}>")

    def opt(self, name: str, value: str | None) -> None:
        if value is not None:
            self.out.append(f"<{name}>{self.esc(value)}</{name}>")

    def lang_texts(self, name: str, texts: Sequence[m.LangText]) -> None:
        out = self.out
        for t in texts:
            if t.lang is None:
                out.append(f"<{name}>{self.esc(t.text)}</{name}>")
            else:
                out.append(f'<{name} xml:lang="{self.attr(t.lang)}">{self.esc(t.text)}</{name}>')

    def identifiers(self, identifiers: Sequence[m.Identifier]) -> None:
        for i in identifiers:
            self.out.append(f'<identifier type="{self.attr(i.type)}">{self.esc(i.value)}</identifier>')

    def extension(self, content: bytes | None) -> None:
        if content is None:
            return
        self.canonical = False
        # schema_problems parsed this content already; it is well-formed and of other namespaces.
        wrapper = etree.fromstring(
            b'<e:x xmlns:e="' + m.ELMO_NS.encode() + b'">' + content + b"</e:x>",
            etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True),
        )
        parts = [
            etree.tostring(child, method="c14n", exclusive=True, with_tail=False).decode("utf-8")
            for child in wrapper
            if isinstance(child.tag, str)
        ]
        self.out.append("<extension>" + "".join(parts) + "</extension>")

    # --- the document --------------------------------------------------------------------------------

    def document(self, elmo: m.Elmo) -> str:
        out = self.out
        out.append(f'<?xml version="1.0" encoding="UTF-8"?>\n<elmo xmlns="{m.ELMO_NS}">')
        assert elmo.generated_date is not None  # schema_problems checked
        self.leaf("generatedDate", elmo.generated_date.isoformat())
        self.where = "learner"
        self.learner(elmo.learner)
        for r, report in enumerate(elmo.reports, 1):
            self.where = f"report[{r}]"
            self.report(report)
        for a, attachment in enumerate(elmo.attachments, 1):
            self.where = f"attachment[{a}]"
            self.attachment(attachment)
        if elmo.groups is not None:
            self.where = "groups"
            self.groups(elmo.groups)
        self.where = "extension"
        self.extension(elmo.extension)
        out.append("</elmo>\n")
        return "".join(out)

    def learner(self, learner: m.Learner) -> None:
        self.out.append("<learner>")
        self.opt("citizenship", learner.citizenship)
        self.identifiers(learner.identifiers)
        self.leaf("givenNames", learner.given_names)
        self.leaf("familyName", learner.family_name)
        if learner.birth_date is not None:
            self.leaf("bday", learner.birth_date.isoformat())
        self.opt("placeOfBirth", learner.place_of_birth)
        self.opt("birthName", learner.birth_name)
        if learner.current_address is not None:
            self.address(learner.current_address)
        if learner.gender is not None:
            self.leaf("gender", str(int(learner.gender)))
        self.out.append("</learner>")

    def address(self, a: m.Address) -> None:
        self.out.append(f'<currentAddress xmlns:addr="{m.EWP_ADDRESS_NS}">')
        for name in a.recipient_names:
            self.leaf(_ADDR + "recipientName", name)
        for line in a.address_lines:
            self.leaf(_ADDR + "addressLine", line)
        self.opt(_ADDR + "buildingNumber", a.building_number)
        self.opt(_ADDR + "buildingName", a.building_name)
        self.opt(_ADDR + "streetName", a.street_name)
        self.opt(_ADDR + "unit", a.unit)
        self.opt(_ADDR + "floor", a.floor)
        self.opt(_ADDR + "postOfficeBox", a.post_office_box)
        for code in a.delivery_point_codes:
            self.leaf(_ADDR + "deliveryPointCode", code)
        self.opt(_ADDR + "postalCode", a.postal_code)
        self.opt(_ADDR + "locality", a.locality)
        self.opt(_ADDR + "region", a.region)
        self.opt(_ADDR + "country", a.country)
        self.out.append("</currentAddress>")

    def report(self, report: m.Report) -> None:
        out = self.out
        out.append("<report><issuer>")
        issuer = report.issuer
        self.opt("country", issuer.country)
        self.identifiers(issuer.identifiers)
        self.lang_texts("title", issuer.titles)
        assert issuer.url is not None and report.issue_date is not None  # schema_problems checked
        self.leaf("url", issuer.url)
        out.append("</issuer>")
        where = self.where
        for i, los in enumerate(report.learning_opportunity_specifications, 1):
            self.where = f"{where}.los[{i}]"
            self.los(los)
        self.where = where
        self.leaf("issueDate", report.issue_date.isoformat())
        for scheme in report.grading_schemes:
            out.append(f'<gradingScheme localId="{self.attr(scheme.local_id)}">')
            self.lang_texts("description", scheme.descriptions)
            out.append("</gradingScheme>")
        for a, attachment in enumerate(report.attachments, 1):
            self.where = f"{where}.attachment[{a}]"
            self.attachment(attachment)
        out.append("</report>")

    def los(self, los: m.LearningOpportunitySpecification) -> None:
        out = self.out
        out.append("<learningOpportunitySpecification>")
        self.identifiers(los.identifiers)
        self.lang_texts("title", los.titles)
        if los.type is not None:
            out.append(f"<type>{los.type.value}</type>")
        self.opt("subjectArea", los.subject_area)
        self.opt("iscedCode", los.isced_code)
        self.opt("url", los.url)
        self.lang_texts("description", los.descriptions)
        self.lang_texts("descriptionHtml", los.descriptions_html)
        out.append("<specifies>")
        assert los.specifies is not None  # schema_problems checked
        self.loi(los.specifies)
        self.extension(los.specifies_extension)
        out.append("</specifies>")
        if los.has_part:
            where = self.where
            for p, part in enumerate(los.has_part, 1):
                self.where = f"{where}.part[{p}]"
                out.append("<hasPart>")
                self.los(part)
                out.append("</hasPart>")
            self.where = where
        self.extension(los.extension)
        out.append("</learningOpportunitySpecification>")

    def loi(self, loi: m.LearningOpportunityInstance) -> None:
        out = self.out
        out.append("<learningOpportunityInstance>")
        self.identifiers(loi.identifiers)
        if loi.start is not None:
            out.append(f"<start>{loi.start.isoformat()}</start>")
        if loi.date is not None:
            out.append(f"<date>{loi.date.isoformat()}</date>")
        term = loi.academic_term
        if term is not None:
            out.append("<academicTerm>")
            self.lang_texts("title", term.titles)
            assert term.start is not None and term.end is not None  # schema_problems checked
            out.append(
                f"<start>{term.start.isoformat()}</start><end>{term.end.isoformat()}</end></academicTerm>"
            )
        if loi.status is not None:
            out.append(f"<status>{loi.status.value}</status>")
        self.opt("gradingSchemeLocalId", loi.grading_scheme_local_id)
        self.opt("resultLabel", loi.result_label)
        g = loi.shortened_grading
        if g is not None:
            out.append(
                f"<shortenedGrading><percentageLower>{_decimal(g.percentage_lower)}</percentageLower>"
                f"<percentageEqual>{_decimal(g.percentage_equal)}</percentageEqual>"
                f"<percentageHigher>{_decimal(g.percentage_higher)}</percentageHigher></shortenedGrading>"
            )
        dist = loi.result_distribution
        if dist is not None:
            out.append("<resultDistribution>")
            for c in dist.categories:  # attributes in C14N's order, as in all our elements
                out.append(f'<category count="{c.count}" label="{self.attr(c.label)}"></category>')
            self.lang_texts("description", dist.descriptions)
            out.append("</resultDistribution>")
        for credit in loi.credits:
            out.append(f"<credit><scheme>{self.esc(credit.scheme)}</scheme>")
            if credit.level is not None:
                out.append(f"<level>{credit.level.value}</level>")
            if credit.value is not None:
                out.append(f"<value>{_decimal(credit.value)}</value>")
            out.append("</credit>")
        for level in loi.levels:
            out.append(f"<level><type>{self.esc(level.type)}</type>")
            if level.description is not None:
                self.lang_texts("description", (level.description,))
            self.opt("value", level.value)
            out.append("</level>")
        self.opt("languageOfInstruction", loi.language_of_instruction)
        if loi.engagement_hours is not None:
            out.append(f"<engagementHours>{_decimal(loi.engagement_hours)}</engagementHours>")
        if loi.attachment_refs:
            out.append("<attachments>")
            for ref in loi.attachment_refs:
                self.leaf("ref", ref)
            out.append("</attachments>")
        if loi.grouping is not None:
            grouping = loi.grouping
            attrs = ""
            if grouping.idref is not None:
                attrs += f' idref="{self.attr(grouping.idref)}"'
            if grouping.typeref is not None:
                attrs += f' typeref="{self.attr(grouping.typeref)}"'
            out.append(f"<grouping{attrs}>{self.esc(grouping.text)}</grouping>")
        self.extension(loi.extension)
        if loi.diploma_supplement is not None:
            self.diploma_supplement(loi.diploma_supplement)
        out.append("</learningOpportunityInstance>")

    def diploma_supplement(self, ds: m.DiplomaSupplement) -> None:
        out = self.out
        lang = "" if ds.lang is None else f' xml:lang="{self.attr(ds.lang)}"'
        out.append(f"<diplomaSupplement{lang}>")
        self.leaf("version", ds.version)
        assert ds.issue_date is not None  # schema_problems checked
        self.leaf("issueDate", ds.issue_date.isoformat())
        self.leaf("introduction", ds.introduction)
        for section in ds.sections:
            self.section(section)
        out.append("</diplomaSupplement>")

    def section(self, section: m.DiplomaSupplementSection) -> None:
        out = self.out
        out.append(f'<section number="{self.attr(section.number)}">')
        self.leaf("title", section.title)
        if section.content is not None:
            kind = "" if section.content_type is None else f' type="{self.attr(section.content_type)}"'
            out.append(f"<content{kind}>{self.esc(section.content)}</content>")
        for info in section.additional_information:
            self.leaf("additionalInformation", info)
        for attachment in section.attachments:
            self.attachment(attachment)
        for sub in section.sections:
            self.section(sub)
        out.append("</section>")

    def attachment(self, a: m.Attachment) -> None:
        self.out.append("<attachment>")
        self.identifiers(a.identifiers)
        self.lang_texts("title", a.titles)
        if a.type is not None:
            self.out.append(f"<type>{a.type.value}</type>")
        self.lang_texts("description", a.descriptions)
        self.lang_texts("content", a.contents)
        self.extension(a.extension)
        self.out.append("</attachment>")

    def groups(self, groups: m.Groups) -> None:
        out = self.out
        out.append("<groups>")
        for group_type in groups.group_types:
            tid = "" if group_type.id is None else f' id="{self.attr(group_type.id)}"'
            out.append(f"<groupType{tid}>")
            self.lang_texts("title", group_type.titles)
            for group in group_type.groups:
                attrs = "" if group.id is None else f' id="{self.attr(group.id)}"'
                if group.sorting_key is not None:
                    attrs += f' sortingKey="{self.attr(group.sorting_key)}"'
                out.append(f"<group{attrs}>")
                self.lang_texts("title", group.titles)
                out.append("</group>")
            out.append("</groupType>")
        out.append("</groups>")
