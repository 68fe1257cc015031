"""Failures of the transcript layer."""

from __future__ import annotations

from emrex.errors import EmrexError


class TranscriptError(EmrexError):
    """The transcript cannot be made or attached (bad font, bad input, impossible layout)."""
