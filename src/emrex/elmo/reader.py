"""Reading ELMO documents (1.0 to 2.x, any namespace prefix) into the model, leniently.

What a real document gets wrong (order, unknown enumeration values, missing required elements,
unparseable values, unknown ELMO elements) becomes a warning with its line number; ``strict=True``
turns any warning into an error. Each container is read by one loop over its children driven by a
table (tag -> order index, model field, converter), which keeps the reader fast on large documents.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from emrex.elmo import model as m
from emrex.elmo.errors import ElmoParseError, ElmoValidationError
from emrex.elmo.values import (
    ENUM_VALUES,
    Element,
    ReadWarning,
    ValueReader,
    collapse,
    make,
    source_line,
)
from emrex.errors import NotWellFormed, XmlError
from emrex.xml import (
    DEFAULT_MAX_XML_BYTES,
    DEFAULT_MAX_XML_ELEMENTS,
    DSIG_NS,
    XML_LANG,
    localname,
    namespace,
    parse_untrusted,
)

__all__ = ["ReadResult", "ReadWarning", "read_elmo"]

_E = "{" + m.ELMO_NS + "}"
_A = "{" + m.EWP_ADDRESS_NS + "}"
_DS_SIGNATURE = "{" + DSIG_NS + "}Signature"
_LOS_TAG = _E + "learningOpportunitySpecification"
_LOI_TAG = _E + "learningOpportunityInstance"


@dataclass
class ReadResult:
    elmo: m.Elmo
    warnings: list[ReadWarning] = field(default_factory=list)
    version_hint: str = "1.x"
    # id(model object) -> source line of the element it was read from (for validation messages)
    lines: dict[int, int] = field(default_factory=dict)

    def line_of(self, obj: object) -> int | None:
        return self.lines.get(id(obj))


def read_elmo(
    data: bytes,
    *,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_XML_BYTES,
    max_elements: int = DEFAULT_MAX_XML_ELEMENTS,
    track_lines: bool = False,
) -> ReadResult:
    """The model of an ELMO document; see the module note for what is lenient.

    With ``track_lines`` the result maps model objects to source lines (``ReadResult.line_of``), which
    ``validation.validate(..., lines=result.lines)`` uses to say where a problem is.
    """
    try:
        tree = parse_untrusted(data, max_bytes=max_bytes, max_elements=max_elements)
    except XmlError as exc:
        message = str(exc).removeprefix(f"line {exc.line}: ")
        raise ElmoParseError(message, exc.line, unreadable=isinstance(exc, NotWellFormed)) from None
    root = tree.getroot()
    ns, name = namespace(root), localname(root)
    if ns == m.LEGACY_ELMO_NS:
        raise ElmoParseError(
            f"this is pre-1.0 ELMO (namespace {m.LEGACY_ELMO_NS}), an incompatible format EMREX no "
            f"longer uses; it must be converted to ELMO 1.x (namespace {m.ELMO_NS})",
            source_line(root),
        )
    if ns != m.ELMO_NS or name != "elmo":
        where = f"namespace {ns}" if ns else "no namespace"
        raise ElmoParseError(
            f"not an ELMO document: the root element is <{name}> in {where} "
            f"(expected <elmo> in namespace {m.ELMO_NS})",
            source_line(root),
        )
    reader = _Reader(track_lines)
    # A large document makes tens of thousands of small objects, none in a reference cycle: the
    # cyclic collector would run many times over them for nothing (10-20% of the reading time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        elmo = reader.elmo(root)
    finally:
        if collecting:
            gc.enable()
    result = ReadResult(elmo, reader.warnings, "2.x" if reader.v2 else "1.x", reader.lines)
    if strict and reader.warnings:
        raise ElmoValidationError([str(w) for w in reader.warnings])
    return result


# A converter reads one element; it returns None (after warning) when the value is unusable.
Conv = Callable[["_Reader", Element], Any]
# tag -> (order index, model field, converter, repeatable)
Spec = dict[str, tuple[int, str, Conv, bool]]


class _Reader(ValueReader):
    def __init__(self, track_lines: bool) -> None:
        super().__init__(track_lines)
        self.shared: dict[str, Any] = {}  # see _shared
        self.groupings: dict[tuple[str | None, str | None, str], m.Grouping] = {}

    def fields(self, el: Element, spec: Spec, required: tuple[str, ...] = ()) -> dict[str, Any]:
        """Read the children of ``el`` into a dict of model fields (lists for repeatable ones)."""
        out: dict[str, Any] = {}
        lists: list[str] = []
        last = -1
        children: list[Element] = el[:]  # type: ignore[index,assignment]  # a slice: built in C, fast
        for child in children:
            tag = child.tag  # comments and processing instructions have a function as tag: no entry
            entry = spec.get(tag)
            if entry is None:
                if type(tag) is str and tag.startswith(_E):
                    self.warn(
                        child, f"<{tag[len(_E) :]}> is not known inside <{localname(el)}>; ignored", "unknown"
                    )
                continue
            index, name, conv, many = entry
            if index < last:
                self.warn(child, f"<{localname(child)}> is out of order inside <{localname(el)}>", "order")
            else:
                last = index
            value: Any
            if conv is _TOKEN:  # the most common cases, inlined
                value = child.text
                if (
                    not value
                    or len(child)
                    or "\n" in value
                    or "\t" in value
                    or "\r" in value
                    or "  " in value
                    or value[0] == " "
                    or value[-1] == " "
                ):  # values.is_collapsed, inlined: the most frequent check of all
                    value = self.token(child)
            elif conv is _DATE_CONV:
                text = child.text
                if text and len(text) == 10 and text[4] == "-" and text[7] == "-":
                    try:
                        value = _fromisoformat(text)
                    except ValueError:
                        value = self.date(child)
                else:
                    value = self.date(child)
                if value is None:
                    continue
            elif conv is _LANG_TOKEN:
                value = self.lang_token(child)
            else:
                mapping = _ENUM_BY_CONV.get(conv)
                value = mapping.get(child.text or "") if mapping is not None and not len(child) else None
                if value is None:
                    value = conv(self, child)
                    if value is None:
                        continue
            if many:
                if name in out:
                    out[name].append(value)
                else:
                    out[name] = [value]
                    lists.append(name)
            elif name in out:
                self.warn(
                    child,
                    f"<{localname(child)}> appears more than once in <{localname(el)}>; the first counts",
                    "duplicate",
                )
            else:
                out[name] = value
        for tag in required:
            if spec[tag][1] not in out:
                self.warn(
                    el, f"<{localname(el)}> lacks the required <{tag[tag.index('}') + 1 :]}>", "missing"
                )
        for name in lists:
            out[name] = tuple(out[name])
        return out

    # --- simple values -------------------------------------------------------------------------

    def elmo(self, el: Element) -> m.Elmo:
        f = self.fields(el, _ELMO, _ELMO_REQUIRED)
        learner = f.pop("learner", None) or m.Learner()
        return m.Elmo(learner=learner, **f)

    def learner(self, el: Element) -> m.Learner:
        f = self.fields(el, _LEARNER, _LEARNER_REQUIRED)
        bday, dob = f.pop("bday", None), f.pop("date_of_birth", None)
        if bday is not None and dob is not None and bday != dob:
            self.warn(el, f"<bday> {bday} and <dateOfBirth> {dob} differ; <dateOfBirth> counts")
        birth = dob if dob is not None else bday
        obj = m.Learner(birth_date=birth, **f)
        return self.track(obj, el) if self.track_lines else obj

    def address(self, el: Element) -> m.Address:
        obj = m.Address(**self.fields(el, _ADDRESS))
        return self.track(obj, el) if self.track_lines else obj

    def report(self, el: Element) -> m.Report:
        f = self.fields(el, _REPORT, _REPORT_REQUIRED)
        obj = m.Report(**f)
        return self.track(obj, el) if self.track_lines else obj

    def issuer(self, el: Element) -> m.Issuer:
        f = self.fields(el, _ISSUER, _ISSUER_REQUIRED)
        obj = m.Issuer(**f)
        return self.track(obj, el) if self.track_lines else obj

    def grading_scheme(self, el: Element) -> m.GradingScheme:
        local_id = el.get("localId")
        if local_id is None:
            self.warn(el, "<gradingScheme> lacks the required localId attribute", "missing")
        f = self.fields(el, _GRADING_SCHEME)
        obj = m.GradingScheme(collapse(local_id or ""), **f)
        return self.track(obj, el) if self.track_lines else obj

    def los(self, el: Element) -> m.LearningOpportunitySpecification:
        f = self.fields(el, _LOS, _LOS_REQUIRED)
        spec = f.pop("specifies", None)
        if spec is not None:
            f["specifies"], f["specifies_extension"] = spec
        obj = make(m.LearningOpportunitySpecification, f)
        return self.track(obj, el) if self.track_lines else obj

    def specifies(self, el: Element) -> tuple[m.LearningOpportunityInstance | None, bytes | None]:
        if len(el) == 1 and el[0].tag == _LOI_TAG:  # the usual shape, without the generic loop
            return self.loi(el[0]), None
        f = self.fields(el, _SPECIFIES, (_LOI_TAG,))
        return f.get("loi"), f.get("extension")

    def has_part(self, el: Element) -> m.LearningOpportunitySpecification | None:
        if len(el) == 1 and el[0].tag == _LOS_TAG:
            return self.los(el[0])
        f = self.fields(el, _HAS_PART, (_LOS_TAG,))
        los: m.LearningOpportunitySpecification | None = f.get("los")
        return los

    def loi(self, el: Element) -> m.LearningOpportunityInstance:
        obj = make(m.LearningOpportunityInstance, self.fields(el, _LOI))
        return self.track(obj, el) if self.track_lines else obj

    def academic_term(self, el: Element) -> m.AcademicTerm:
        f = self.fields(el, _TERM, _TERM_REQUIRED)
        obj = make(m.AcademicTerm, f)
        return self.track(obj, el) if self.track_lines else obj

    def shortened_grading(self, el: Element) -> m.ShortenedGrading | None:
        f = self.fields(el, _SHORTENED, _SHORTENED_REQUIRED)
        if len(f) != 3:
            return None
        obj = m.ShortenedGrading(**f)
        return self.track(obj, el) if self.track_lines else obj

    def result_distribution(self, el: Element) -> m.ResultDistribution:
        f = self.fields(el, _DISTRIBUTION, _DISTRIBUTION_REQUIRED)
        obj = m.ResultDistribution(**f)
        return self.track(obj, el) if self.track_lines else obj

    def category(self, el: Element) -> m.DistributionCategory | None:
        label, count = el.get("label"), el.get("count")
        if label is None or count is None:
            self.warn(el, "<category> needs both a label and a count attribute", "missing")
            return None
        try:
            number = int(count.strip())
        except ValueError:
            number = -1
        if number < 0:
            self.warn(el, f"<category> count is not a non-negative integer: {count!r}")
            return None
        return m.DistributionCategory(collapse(label), number)

    def credit(self, el: Element) -> m.Credit:
        f = self.fields(el, _CREDIT, _CREDIT_REQUIRED)
        f.setdefault("scheme", "")
        obj = make(m.Credit, f)
        return self.track(obj, el) if self.track_lines else obj

    def level(self, el: Element) -> m.Level:
        f = self.fields(el, _LEVEL, _LEVEL_REQUIRED)
        obj = m.Level(f.pop("type", ""), **f)
        return self.track(obj, el) if self.track_lines else obj

    def attachment_refs(self, el: Element) -> tuple[str, ...]:
        refs: tuple[str, ...] = self.fields(el, _ATTACHMENT_REFS).get("refs", ())
        return refs

    def grouping(self, el: Element) -> m.Grouping:
        key = (el.get("typeref"), el.get("idref"), self.string(el))
        obj: m.Grouping | None = self.groupings.get(key)
        if obj is None:  # a handful of categories repeat over every course: one shared immutable value
            obj = make(m.Grouping, {"typeref": key[0], "idref": key[1], "text": key[2]})
            self.groupings[key] = obj
        return obj

    def attachment(self, el: Element) -> m.Attachment:
        obj = m.Attachment(**self.fields(el, _ATTACHMENT))
        return self.track(obj, el) if self.track_lines else obj

    def diploma_supplement(self, el: Element) -> m.DiplomaSupplement:
        f = self.fields(el, _DS, _DS_REQUIRED)
        obj = m.DiplomaSupplement(lang=el.get(XML_LANG), **f)
        return self.track(obj, el) if self.track_lines else obj

    def ds_section(self, el: Element) -> m.DiplomaSupplementSection:
        number = el.get("number")
        if number is None:
            self.warn(el, "<section> lacks the required number attribute", "missing")
        f = self.fields(el, _DS_SECTION, _TITLE_REQUIRED)
        content = f.pop("content", None)
        if content is not None:
            f["content"], f["content_type"] = content
        obj = m.DiplomaSupplementSection((number or "").strip(), f.pop("title", ""), **f)
        return self.track(obj, el) if self.track_lines else obj

    def ds_content(self, el: Element) -> tuple[str, str | None]:
        return self.string(el), el.get("type")

    def groups(self, el: Element) -> m.Groups:
        return m.Groups(**self.fields(el, _GROUPS))

    def group_type(self, el: Element) -> m.GroupType:
        f = self.fields(el, _GROUP_TYPE, _TITLE_REQUIRED)
        return m.GroupType(id=el.get("id"), **f)

    def group(self, el: Element) -> m.Group:
        f = self.fields(el, _GROUP, _TITLE_REQUIRED)
        return m.Group(id=el.get("id"), sorting_key=el.get("sortingKey"), **f)


def _v2(conv: Conv) -> Conv:
    def read(reader: _Reader, el: Element) -> Any:
        reader.v2 = True
        return conv(reader, el)

    return read


def _shared(conv: Conv) -> Conv:
    """Academic terms and credits repeat from course to course: the same markup gives one shared immutable
    object (a third of the time to read them). Not when tracking lines (one object per element there),
    and only for markup read without warnings, so that each copy still warns at its own line."""

    def read(reader: _Reader, el: Element) -> Any:
        if reader.track_lines:
            return conv(reader, el)
        key = etree.tostring(el, encoding=str, with_tail=False)  # identical markup: an equal value
        obj = reader.shared.get(key)
        if obj is None:
            warned = len(reader.warnings)
            obj = conv(reader, el)
            if len(reader.warnings) == warned:
                reader.shared[key] = obj
        return obj

    return read


def _spec(prefix: str, *entries: tuple[str, str, Conv, bool]) -> Spec:
    """Order index = position in ``entries``; names sharing a slot use the same name after '|'."""
    spec: Spec = {}
    for index, (names, attr, conv, many) in enumerate(entries):
        for name in names.split("|"):
            spec[name if name.startswith("{") else prefix + name] = (index, attr, conv, many)
    return spec


def _required(*names: str) -> tuple[str, ...]:
    """The qualified tags of the children a container must have (computed once, not per element)."""
    return tuple(_E + name for name in names)


_ELMO_REQUIRED = _required("generatedDate", "learner", "report")
_LEARNER_REQUIRED = _required("givenNames", "familyName")
_REPORT_REQUIRED = _required("issuer", "issueDate")
_ISSUER_REQUIRED = _required("identifier", "title", "url")
_LOS_REQUIRED = _required("title", "specifies")
_TERM_REQUIRED = _required("title", "start", "end")
_SHORTENED_REQUIRED = _required("percentageLower", "percentageEqual", "percentageHigher")
_DISTRIBUTION_REQUIRED = _required("category")
_CREDIT_REQUIRED = _required("scheme")
_LEVEL_REQUIRED = _required("type")
_DS_REQUIRED = _required("version", "issueDate", "introduction", "section")
_TITLE_REQUIRED = _required("title")

R = _Reader
_TOKEN = R.token
_DATE_CONV = R.date
_LANG_TOKEN = R.lang_token
_fromisoformat = dt.date.fromisoformat
_ENUM_BY_CONV: dict[Conv, dict[str, Any]] = {
    R.los_type: ENUM_VALUES[m.LosType],
    R.loi_status: ENUM_VALUES[m.LoiStatus],
    R.attachment_type: ENUM_VALUES[m.AttachmentType],
    R.credit_level: ENUM_VALUES[m.CreditLevel],
}
_ELMO = _spec(
    _E,
    ("generatedDate", "generated_date", R.datetime_value, False),
    ("learner", "learner", R.learner, False),
    ("report", "reports", R.report, True),
    ("attachment", "attachments", R.attachment, True),
    ("groups", "groups", R.groups, False),
    ("extension", "extension", R.extension, False),
    (_DS_SIGNATURE, "signed", R.signature, False),
)
_LEARNER: Spec = {
    **_spec(
        _E,
        ("citizenship", "citizenship", R.token, False),
        ("identifier", "identifiers", R.identifier, True),
        ("givenNames", "given_names", R.token, False),
        ("familyName", "family_name", R.token, False),
    ),
    # 1.x bday; 2.0 dateOfBirth and alternativeName (2.1 gives both bday and dateOfBirth)
    _E + "bday": (4, "bday", R.date, False),
    _E + "dateOfBirth": (4, "date_of_birth", _v2(R.date), False),
    _E + "alternativeName": (4, "alternative_name", _v2(R.lang_string), False),
    **{
        k: (v[0] + 5, v[1], v[2], v[3])
        for k, v in _spec(
            _E,
            ("placeOfBirth", "place_of_birth", R.token, False),
            ("birthName", "birth_name", R.token, False),
            ("currentAddress", "current_address", R.address, False),
            ("gender", "gender", R.gender, False),
        ).items()
    },
}
_ADDRESS = _spec(
    _A,
    ("recipientName", "recipient_names", R.string, True),
    ("addressLine", "address_lines", R.string, True),
    ("buildingNumber", "building_number", R.string, False),
    ("buildingName", "building_name", R.string, False),
    ("streetName", "street_name", R.string, False),
    ("unit", "unit", R.string, False),
    ("floor", "floor", R.string, False),
    ("postOfficeBox", "post_office_box", R.string, False),
    ("deliveryPointCode", "delivery_point_codes", R.string, True),
    ("postalCode", "postal_code", R.string, False),
    ("locality", "locality", R.string, False),
    ("region", "region", R.string, False),
    ("country", "country", R.token, False),
)
_REPORT = _spec(
    _E,
    ("issuer", "issuer", R.issuer, False),
    ("learningOpportunitySpecification", "learning_opportunity_specifications", R.los, True),
    ("resultOfRecognition", "result_of_recognition", _v2(R.raw), True),
    ("issueDate", "issue_date", R.datetime_value, False),
    ("gradingScheme", "grading_schemes", R.grading_scheme, True),
    ("attachment", "attachments", R.attachment, True),
)
_ISSUER = _spec(
    _E,
    ("country", "country", R.token, False),
    ("identifier", "identifiers", R.identifier, True),
    ("title", "titles", R.lang_token, True),
    ("url", "url", R.token, False),
)
_GRADING_SCHEME = _spec(_E, ("description", "descriptions", R.lang_string, True))
_LOS = _spec(
    _E,
    ("identifier", "identifiers", R.identifier, True),
    ("title", "titles", R.lang_token, True),
    ("type", "type", R.los_type, False),
    ("subjectArea", "subject_area", R.token, False),
    ("iscedCode", "isced_code", R.token, False),
    ("url", "url", R.token, False),
    ("description", "descriptions", R.lang_string, True),
    ("descriptionHtml", "descriptions_html", R.lang_string, True),
    ("specifies", "specifies", R.specifies, False),
    ("hasPart", "has_part", R.has_part, True),
    ("extension", "extension", R.extension, False),
)
_SPECIFIES = _spec(
    _E,
    ("learningOpportunityInstance", "loi", R.loi, False),
    ("extension", "extension", R.extension, False),
)
_HAS_PART = _spec(_E, ("learningOpportunitySpecification", "los", R.los, False))
_LOI = _spec(
    _E,
    ("identifier", "identifiers", R.identifier, True),
    ("start", "start", R.date, False),
    ("date", "date", R.date, False),
    ("academicTerm", "academic_term", _shared(R.academic_term), False),
    ("status", "status", R.loi_status, False),
    ("gradingSchemeLocalId", "grading_scheme_local_id", R.token, False),
    ("gradingSchemeExternalId", "grading_scheme_external_id", _v2(R.token), False),
    ("resultLabel", "result_label", R.token, False),
    ("shortenedGrading", "shortened_grading", R.shortened_grading, False),
    ("resultDistribution", "result_distribution", R.result_distribution, False),
    ("credit", "credits", _shared(R.credit), True),
    ("level", "levels", R.level, True),
    ("languageOfInstruction", "language_of_instruction", R.token, False),
    ("engagementHours", "engagement_hours", R.decimal, False),
    ("attachments", "attachment_refs", R.attachment_refs, False),
    ("grouping", "grouping", R.grouping, False),
    ("extension", "extension", R.extension, False),
    ("diplomaSupplement", "diploma_supplement", R.diploma_supplement, False),
)
_TERM = _spec(
    _E,
    ("title", "titles", R.lang_token, True),
    ("start", "start", R.date, False),
    ("end", "end", R.date, False),
)
_SHORTENED = _spec(
    _E,
    ("percentageLower", "percentage_lower", R.decimal, False),
    ("percentageEqual", "percentage_equal", R.decimal, False),
    ("percentageHigher", "percentage_higher", R.decimal, False),
)
_DISTRIBUTION = _spec(
    _E,
    ("category", "categories", R.category, True),
    ("description", "descriptions", R.lang_string, True),
)
_CREDIT = _spec(
    _E,
    ("scheme", "scheme", R.token, False),
    ("level", "level", R.credit_level, False),
    ("value", "value", R.decimal, False),
)
_LEVEL = _spec(
    _E,
    ("type", "type", R.token, False),
    ("description", "description", R.lang_string, False),
    ("value", "value", R.token, False),
)
_ATTACHMENT_REFS = _spec(_E, ("ref", "refs", R.string, True))
_ATTACHMENT = _spec(
    _E,
    ("identifier", "identifiers", R.identifier, True),
    ("title", "titles", R.lang_token, True),
    ("type", "type", R.attachment_type, False),
    ("description", "descriptions", R.lang_string, True),
    ("content", "contents", R.content, True),
    ("extension", "extension", R.extension, False),
)
_DS = _spec(
    _E,
    ("version", "version", R.token, False),
    ("issueDate", "issue_date", R.date, False),
    ("introduction", "introduction", R.string, False),
    ("section", "sections", R.ds_section, True),
    (_DS_SIGNATURE, "signed", R.signature, False),
)
_DS_SECTION = _spec(
    _E,
    ("title", "title", R.token, False),
    ("content", "content", R.ds_content, False),
    ("additionalInformation", "additional_information", R.string, True),
    ("attachment", "attachments", R.attachment, True),
    ("section", "sections", R.ds_section, True),
)
_GROUPS = _spec(_E, ("groupType", "group_types", R.group_type, True))
_GROUP_TYPE = _spec(
    _E,
    ("title", "titles", R.lang_token, True),
    ("group", "groups", R.group, True),
)
_GROUP = _spec(_E, ("title", "titles", R.lang_token, True))
