"""ELMO <-> ELM (European Learning Model 3.2) and offline validation of European Digital Credentials.

The core: no web framework, no database. ``docs/ELM.md`` has the mapping and what is checked.
"""

from __future__ import annotations

from emrex._exports import lazy_exports

TYPE_CHECKING = False  # not typing's: importing typing would cost more than this whole face
if TYPE_CHECKING:
    from emrex.elm.converted import extract_original
    from emrex.elm.document import Conversion, Document, Kind, convert, read_document
    from emrex.elm.errors import (
        ConversionRefused,
        ElmError,
        ElmParseError,
        RemoteContextRefused,
        ShapesUnavailable,
        ShapesUnsupported,
    )
    from emrex.elm.from_elm import ElmoResult, elm_to_elmo
    from emrex.elm.jsondoc import load_json
    from emrex.elm.shapes import SHAPES_DIR_ENV, ShapesLibrary, default_shapes_dir, load_library
    from emrex.elm.to_elm import ElmResult, Sealer, elmo_to_elm
    from emrex.elm.validate import Problem, ValidationReport, reference_validate, validate_credential

__all__ = [
    "SHAPES_DIR_ENV",
    "Conversion",
    "ConversionRefused",
    "Document",
    "ElmError",
    "ElmParseError",
    "ElmResult",
    "ElmoResult",
    "Kind",
    "Problem",
    "RemoteContextRefused",
    "Sealer",
    "ShapesLibrary",
    "ShapesUnavailable",
    "ShapesUnsupported",
    "ValidationReport",
    "convert",
    "default_shapes_dir",
    "elm_to_elmo",
    "elmo_to_elm",
    "extract_original",
    "load_json",
    "load_library",
    "read_document",
    "reference_validate",
    "validate_credential",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "converted": ("extract_original",),
        "document": ("Conversion", "Document", "Kind", "convert", "read_document"),
        "errors": (
            "ConversionRefused", "ElmError", "ElmParseError", "RemoteContextRefused", "ShapesUnavailable",
            "ShapesUnsupported",
        ),
        "from_elm": ("ElmoResult", "elm_to_elmo"),
        "jsondoc": ("load_json",),
        "shapes": ("SHAPES_DIR_ENV", "ShapesLibrary", "default_shapes_dir", "load_library"),
        "to_elm": ("ElmResult", "Sealer", "elmo_to_elm"),
        "validate": ("Problem", "ValidationReport", "reference_validate", "validate_credential"),
    },
)

