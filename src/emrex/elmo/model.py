"""The ELMO document as typed, immutable data (ELMO 1.7, plus what 2.x adds).

Fields that ELMO requires may still be None or empty here: the reader is lenient and keeps what a real
document carries; the writer and ``validation.validate`` say what is missing. Collections are tuples,
so models compare and hash by value. Extension content is kept as XML bytes (each child element in
exclusive canonical form, concatenated).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

from emrex.elmo.errors import DataUriError

ELMO_NS = "https://github.com/emrex-eu/elmo-schemas/tree/v1"
EWP_ADDRESS_NS = "https://github.com/erasmus-without-paper/ewp-specs-types-address/tree/stable-v1"
LEGACY_ELMO_NS = "http://purl.org/net/elmo"


class LosType(StrEnum):
    DEGREE_PROGRAMME = "Degree Programme"
    MODULE = "Module"
    COURSE = "Course"
    CLASS = "Class"


class LoiStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    IN_PROGRESS = "in-progress"


class AttachmentType(StrEnum):
    DIPLOMA = "Diploma"
    DIPLOMA_SUPPLEMENT = "Diploma Supplement"
    TRANSCRIPT_OF_RECORDS = "Transcript of Records"
    EMREX_TRANSCRIPT = "EMREX transcript"
    MICRO_CREDENTIAL = "Micro Credential"
    LETTER_OF_NOMINATION = "Letter of Nomination"
    CERTIFICATE_OF_TRAINING = "Certificate of Training"
    LEARNING_AGREEMENT = "Learning Agreement"
    OTHER = "Other"


class CreditLevel(StrEnum):
    """Deprecated in 1.x, removed in 2.0; still read and written for 1.7."""

    BACHELOR = "Bachelor"
    MASTER = "Master"
    PHD = "PhD"


class Gender(IntEnum):
    """ISO/IEC 5218."""

    UNKNOWN = 0
    MALE = 1
    FEMALE = 2
    NOT_APPLICABLE = 9


@dataclass(frozen=True)
class LangText:
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str


@dataclass(frozen=True)
class Address:
    """EWP FlexibleAddress: either address_lines or the street fields, then postal fields."""

    recipient_names: tuple[str, ...] = ()
    address_lines: tuple[str, ...] = ()
    building_number: str | None = None
    building_name: str | None = None
    street_name: str | None = None
    unit: str | None = None
    floor: str | None = None
    post_office_box: str | None = None
    delivery_point_codes: tuple[str, ...] = ()
    postal_code: str | None = None
    locality: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Learner:
    given_names: str = ""
    family_name: str = ""
    citizenship: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    birth_date: dt.date | None = None
    place_of_birth: str | None = None
    birth_name: str | None = None
    current_address: Address | None = None
    gender: Gender | None = None
    alternative_name: LangText | None = None  # 2.x only; not written to 1.7

    def identifier(self, type_: str) -> str | None:
        return first_identifier(self.identifiers, type_)


@dataclass(frozen=True)
class Issuer:
    identifiers: tuple[Identifier, ...] = ()
    titles: tuple[LangText, ...] = ()
    url: str | None = None
    country: str | None = None

    def identifier(self, type_: str) -> str | None:
        return first_identifier(self.identifiers, type_)

    def title(self, *langs: str) -> str | None:
        return best_text(self.titles, *langs)


@dataclass(frozen=True)
class AcademicTerm:
    titles: tuple[LangText, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class ShortenedGrading:
    percentage_lower: Decimal
    percentage_equal: Decimal
    percentage_higher: Decimal


@dataclass(frozen=True)
class DistributionCategory:
    label: str
    count: int


@dataclass(frozen=True)
class ResultDistribution:
    categories: tuple[DistributionCategory, ...] = ()
    descriptions: tuple[LangText, ...] = ()


@dataclass(frozen=True)
class Credit:
    scheme: str
    value: Decimal | None = None
    level: CreditLevel | None = None

    @property
    def is_ects(self) -> bool:
        return self.scheme.strip().casefold() == "ects"


@dataclass(frozen=True)
class Level:
    type: str
    description: LangText | None = None
    value: str | None = None


@dataclass(frozen=True)
class Grouping:
    typeref: str | None = None
    idref: str | None = None
    text: str = ""


@dataclass(frozen=True)
class Attachment:
    identifiers: tuple[Identifier, ...] = ()
    titles: tuple[LangText, ...] = ()
    type: AttachmentType | None = None
    descriptions: tuple[LangText, ...] = ()
    contents: tuple[LangText, ...] = ()  # data URIs, one per language variant
    extension: bytes | None = None

    @property
    def internal_ids(self) -> tuple[str, ...]:
        return tuple(i.value for i in self.identifiers if i.type == "internal")

    def payload(self, index: int = 0) -> tuple[str, bytes]:
        """(media type, bytes) of the ``index``-th content; DataUriError if it does not decode."""
        if not 0 <= index < len(self.contents):
            raise DataUriError(f"the attachment has no content number {index + 1}")
        return decode_data_uri(self.contents[index].text)


@dataclass(frozen=True)
class DiplomaSupplementSection:
    number: str
    title: str
    content: str | None = None
    content_type: str | None = None  # absent means the XSD default, text/plain
    additional_information: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    sections: tuple[DiplomaSupplementSection, ...] = ()


@dataclass(frozen=True)
class DiplomaSupplement:
    version: str = "2018"
    issue_date: dt.date | None = None
    introduction: str = ""
    sections: tuple[DiplomaSupplementSection, ...] = ()
    lang: str | None = None
    signed: bool = False  # a ds:Signature was present (never written back)


@dataclass(frozen=True)
class LearningOpportunityInstance:
    identifiers: tuple[Identifier, ...] = ()
    start: dt.date | None = None
    date: dt.date | None = None
    academic_term: AcademicTerm | None = None
    status: LoiStatus | None = None
    grading_scheme_local_id: str | None = None
    grading_scheme_external_id: str | None = None  # 2.x only; not written to 1.7
    result_label: str | None = None
    shortened_grading: ShortenedGrading | None = None
    result_distribution: ResultDistribution | None = None
    credits: tuple[Credit, ...] = ()
    levels: tuple[Level, ...] = ()
    language_of_instruction: str | None = None
    engagement_hours: Decimal | None = None
    attachment_refs: tuple[str, ...] = ()
    grouping: Grouping | None = None
    extension: bytes | None = None
    diploma_supplement: DiplomaSupplement | None = None

    @property
    def ects(self) -> Decimal | None:
        """The sum of this instance's ECTS credit values, None when it carries none."""
        values = [c.value for c in self.credits if c.is_ects and c.value is not None]
        return sum(values, Decimal(0)) if values else None

    @property
    def effective_status(self) -> LoiStatus:
        """The status, or "passed" when absent (what the XSD tells clients to assume)."""
        return self.status or LoiStatus.PASSED


@dataclass(frozen=True)
class LearningOpportunitySpecification:
    titles: tuple[LangText, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    type: LosType | None = None
    subject_area: str | None = None
    isced_code: str | None = None
    url: str | None = None
    descriptions: tuple[LangText, ...] = ()
    descriptions_html: tuple[LangText, ...] = ()
    specifies: LearningOpportunityInstance | None = None
    specifies_extension: bytes | None = None
    has_part: tuple[LearningOpportunitySpecification, ...] = ()
    extension: bytes | None = None

    def title(self, *langs: str) -> str | None:
        return best_text(self.titles, *langs)

    def identifier(self, type_: str) -> str | None:
        return first_identifier(self.identifiers, type_)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, LearningOpportunitySpecification]]:
        """This node and its descendants, depth-first, with their depth (this node at ``depth``)."""
        stack: list[tuple[int, LearningOpportunitySpecification]] = [(depth, self)]
        while stack:
            level, node = stack.pop()
            yield level, node
            stack.extend((level + 1, child) for child in reversed(node.has_part))


@dataclass(frozen=True)
class GradingScheme:
    local_id: str
    descriptions: tuple[LangText, ...] = ()


@dataclass(frozen=True)
class Report:
    issuer: Issuer = Issuer()
    learning_opportunity_specifications: tuple[LearningOpportunitySpecification, ...] = ()
    issue_date: dt.datetime | None = None
    grading_schemes: tuple[GradingScheme, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    result_of_recognition: tuple[bytes, ...] = ()  # 2.x only, raw XML; not written to 1.7

    def iter_los(self) -> Iterator[tuple[int, LearningOpportunitySpecification]]:
        """Every LOS of the report, depth-first, with its depth (top level is 0)."""
        for los in self.learning_opportunity_specifications:
            yield from los.walk()

    def grading_scheme(self, local_id: str) -> GradingScheme | None:
        return next((g for g in self.grading_schemes if g.local_id == local_id), None)

    def total_ects(self, *, passed_only: bool = True) -> Decimal:
        return total_ects(self.learning_opportunity_specifications, passed_only=passed_only)


@dataclass(frozen=True)
class Group:
    titles: tuple[LangText, ...] = ()
    id: str | None = None
    sorting_key: str | None = None


@dataclass(frozen=True)
class GroupType:
    titles: tuple[LangText, ...] = ()
    id: str | None = None
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True)
class Groups:
    group_types: tuple[GroupType, ...] = ()


@dataclass(frozen=True)
class Elmo:
    learner: Learner = Learner()
    reports: tuple[Report, ...] = ()
    generated_date: dt.datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    groups: Groups | None = None
    extension: bytes | None = None
    signed: bool = False  # a ds:Signature was present when read (the writer never writes one)

    @property
    def learner_birth_date(self) -> dt.date | None:
        return self.learner.birth_date

    def iter_los(self) -> Iterator[tuple[Report, int, LearningOpportunitySpecification]]:
        for report in self.reports:
            for depth, los in report.iter_los():
                yield report, depth, los

    def all_attachments(self) -> Iterator[Attachment]:
        """Document-level attachments first, then each report's."""
        yield from self.attachments
        for report in self.reports:
            yield from report.attachments

    def total_ects(self, *, passed_only: bool = True) -> Decimal:
        return sum((r.total_ects(passed_only=passed_only) for r in self.reports), Decimal(0))


def total_ects(roots: Iterable[LearningOpportunitySpecification], *, passed_only: bool = True) -> Decimal:
    """ECTS of a LOS forest, counting each branch once.

    ELMO forbids ECTS on both a node and an ancestor; when a document does it anyway the highest node
    that carries ECTS counts and its descendants are not added again. With ``passed_only`` (the
    default) only instances that are passed (or have no status) count.
    """
    total = Decimal(0)
    stack = list(roots)
    while stack:
        los = stack.pop()
        loi = los.specifies
        ects = loi.ects if loi is not None else None
        if ects is None:
            stack.extend(los.has_part)
            continue
        if not passed_only or loi is None or loi.effective_status is LoiStatus.PASSED:
            total += ects
    return total


def best_text(texts: Sequence[LangText], *langs: str) -> str | None:
    """The text in the first of ``langs`` present (matching the primary subtag), else the first text."""
    if not texts:
        return None
    for wanted in langs:
        w = wanted.lower()
        for t in texts:
            if t.lang and (t.lang.lower() == w or t.lang.lower().split("-")[0] == w):
                return t.text
    return texts[0].text


def first_identifier(identifiers: Sequence[Identifier], type_: str) -> str | None:
    wanted = type_.casefold()
    return next((i.value for i in identifiers if i.type.casefold() == wanted), None)


_DATA_URI = re.compile(r"^data:(?P<meta>[^,]*),(?P<data>.*)$", re.DOTALL)


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    """(media type, bytes) of a ``data:`` URI (RFC 2397); whitespace in base64 data is ignored."""
    match = _DATA_URI.match(uri.strip())
    if match is None:
        raise DataUriError("attachment content is not a data: URI")
    params = [p.strip() for p in match.group("meta").split(";")]
    is_base64 = len(params) > 1 and params[-1].lower() == "base64"
    if is_base64:
        params = params[:-1]
    media_type = params[0].lower() if params and params[0] else "text/plain"
    if "/" not in media_type:
        raise DataUriError(f"attachment content has an invalid media type {media_type!r}")
    data = match.group("data")
    if not is_base64:
        return media_type, urllib.parse.unquote_to_bytes(data)
    try:
        # str.split() takes the whitespace \s does, several times faster on MBs of base64
        return media_type, base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise DataUriError("attachment content is not valid base64") from None


def encode_data_uri(media_type: str, data: bytes) -> str:
    """A ``data:`` URI with base64 content and no line breaks."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
