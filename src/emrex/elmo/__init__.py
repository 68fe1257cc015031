"""The ELMO format: model, reader, writer, validation and the transport codec.

``read_elmo(data)`` reads any ELMO 1.x/2.x document leniently into the model (``Elmo``);
``validate(elmo)`` lists what breaks the ELMO rules; ``write_elmo(elmo)`` writes canonical ELMO 1.7;
``encode`` and ``decode`` are the EMREX transport form (base64 of gzip) with size limits;
``validate_xsd`` checks against the official schemas once ``emrex elmo schemas fetch`` put them in place.
Every failure is an ``ElmoError``. Names load on first use: ``import emrex.elmo`` is cheap.
docs/LIBRARY.md shows them at work.
"""

from __future__ import annotations

from emrex._exports import lazy_exports

TYPE_CHECKING = False  # not typing's: importing typing would cost more than this whole face
if TYPE_CHECKING:
    from emrex.elmo.codec import DEFAULT_LIMITS, CodecLimits, decode, encode
    from emrex.elmo.edit import set_value
    from emrex.elmo.errors import (
        BadFetchRequest,
        DataUriError,
        ElmoEditError,
        ElmoError,
        ElmoParseError,
        ElmoValidationError,
        FetchError,
        SchemaUnavailable,
    )
    from emrex.elmo.model import (
        ELMO_NS,
        AcademicTerm,
        Address,
        Attachment,
        AttachmentType,
        Credit,
        CreditLevel,
        DiplomaSupplement,
        DiplomaSupplementSection,
        DistributionCategory,
        Elmo,
        Gender,
        GradingScheme,
        Group,
        Grouping,
        Groups,
        GroupType,
        Identifier,
        Issuer,
        LangText,
        Learner,
        LearningOpportunityInstance,
        LearningOpportunitySpecification,
        Level,
        LoiStatus,
        LosType,
        Report,
        ResultDistribution,
        ShortenedGrading,
        best_text,
        decode_data_uri,
        encode_data_uri,
        first_identifier,
        total_ects,
    )
    from emrex.elmo.reader import ReadResult, ReadWarning, read_elmo
    from emrex.elmo.sample import sample_elmo
    from emrex.elmo.schema import XsdProblem, XsdReport, available_versions, validate_xsd
    from emrex.elmo.schema_fetch import fetch_schemas
    from emrex.elmo.validation import Problem, validate
    from emrex.elmo.writer import write_elmo

__all__ = [
    "DEFAULT_LIMITS",
    "ELMO_NS",
    "AcademicTerm",
    "Address",
    "Attachment",
    "AttachmentType",
    "BadFetchRequest",
    "CodecLimits",
    "Credit",
    "CreditLevel",
    "DataUriError",
    "DiplomaSupplement",
    "DiplomaSupplementSection",
    "DistributionCategory",
    "Elmo",
    "ElmoEditError",
    "ElmoError",
    "ElmoParseError",
    "ElmoValidationError",
    "FetchError",
    "Gender",
    "GradingScheme",
    "Group",
    "GroupType",
    "Grouping",
    "Groups",
    "Identifier",
    "Issuer",
    "LangText",
    "Learner",
    "LearningOpportunityInstance",
    "LearningOpportunitySpecification",
    "Level",
    "LoiStatus",
    "LosType",
    "Problem",
    "ReadResult",
    "ReadWarning",
    "Report",
    "ResultDistribution",
    "SchemaUnavailable",
    "ShortenedGrading",
    "XsdProblem",
    "XsdReport",
    "available_versions",
    "best_text",
    "decode",
    "decode_data_uri",
    "encode",
    "encode_data_uri",
    "fetch_schemas",
    "first_identifier",
    "read_elmo",
    "sample_elmo",
    "set_value",
    "total_ects",
    "validate",
    "validate_xsd",
    "write_elmo",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "model": (
            "ELMO_NS", "Elmo", "Learner", "Report", "Issuer", "LearningOpportunitySpecification",
            "LearningOpportunityInstance", "Attachment", "AttachmentType", "LangText", "Identifier",
            "Address", "AcademicTerm", "Credit", "Level", "Grouping", "GradingScheme", "ResultDistribution",
            "DistributionCategory", "ShortenedGrading", "DiplomaSupplement", "DiplomaSupplementSection",
            "Group", "GroupType", "Groups", "LosType", "LoiStatus", "CreditLevel", "Gender", "total_ects",
            "best_text", "first_identifier", "decode_data_uri", "encode_data_uri",
        ),
        "reader": ("read_elmo", "ReadResult", "ReadWarning"),
        "writer": ("write_elmo",),
        "validation": ("validate", "Problem"),
        "codec": ("encode", "decode", "CodecLimits", "DEFAULT_LIMITS"),
        "edit": ("set_value",),
        "schema": ("validate_xsd", "XsdReport", "XsdProblem", "available_versions"),
        "schema_fetch": ("fetch_schemas",),
        "sample": ("sample_elmo",),
        "errors": (
            "ElmoError", "ElmoParseError", "ElmoValidationError", "DataUriError", "ElmoEditError",
            "SchemaUnavailable", "BadFetchRequest", "FetchError",
        ),
    },
)

