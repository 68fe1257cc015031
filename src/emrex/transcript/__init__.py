"""The human-readable PDF transcript of an ELMO document, and attaching it to the document."""

from __future__ import annotations

from emrex._exports import lazy_exports

TYPE_CHECKING = False  # not typing's: importing typing would cost more than this whole face
if TYPE_CHECKING:
    from emrex.transcript.attachment import attach, transcript_attachment
    from emrex.transcript.errors import TranscriptError
    from emrex.transcript.fonts import FontConfig
    from emrex.transcript.render import render_transcript
    from emrex.transcript.texts import LANGUAGES

__all__ = [
    "LANGUAGES",
    "FontConfig",
    "TranscriptError",
    "attach",
    "render_transcript",
    "transcript_attachment",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "attachment": ("attach", "transcript_attachment"),
        "errors": ("TranscriptError",),
        "fonts": ("FontConfig",),
        "render": ("render_transcript",),
        "texts": ("LANGUAGES",),
    },
)

