"""Seals of European Digital Credentials (JAdES) and of PDF transcripts (PAdES): making and checking them.

``Sealer(key, certificate).seal(credential)`` makes a JAdES baseline B-B seal as the EU's EDC tools
do; ``verify_seal(data, SealPolicy(trust=anchors))`` checks one and says how far it got, check by
check. The EU trusted lists cannot be reached offline: trust comes from the configured anchors.
PDF transcripts: ``emrex.seal.pdf`` (``PdfSealer``, ``verify_pdf_seal``), kept apart because pyhanko is
slow to import.
"""

from __future__ import annotations

from emrex._exports import lazy_exports

TYPE_CHECKING = False  # not typing's: importing typing would cost more than this whole face
if TYPE_CHECKING:
    from emrex.seal.errors import (
        PdfNotSealed,
        PdfSealError,
        SealBroken,
        SealError,
        SealingError,
        SealRefused,
        SealUnreadable,
    )
    from emrex.seal.result import Check, CredentialCheck, SealVerification, Status
    from emrex.seal.sealer import Sealer, seal_credential
    from emrex.seal.verifier import DEFAULT_SEAL_POLICY, SealPolicy, verify_seal

__all__ = [
    "DEFAULT_SEAL_POLICY",
    "Check",
    "CredentialCheck",
    "PdfNotSealed",
    "PdfSealError",
    "SealBroken",
    "SealError",
    "SealPolicy",
    "SealRefused",
    "SealUnreadable",
    "SealVerification",
    "Sealer",
    "SealingError",
    "Status",
    "seal_credential",
    "verify_seal",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "errors": (
            "PdfNotSealed", "PdfSealError", "SealBroken", "SealError", "SealingError", "SealRefused",
            "SealUnreadable",
        ),
        "result": ("Check", "CredentialCheck", "SealVerification", "Status"),
        "sealer": ("Sealer", "seal_credential"),
        "verifier": ("DEFAULT_SEAL_POLICY", "SealPolicy", "verify_seal"),
    },
)

