"""What a verifier accepts: algorithms, SHA-1, key sizes, and the time at which certificates must be valid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from emrex.trust import algorithms
from emrex.xml import DEFAULT_MAX_XML_BYTES, DEFAULT_MAX_XML_ELEMENTS

Sha1Rule = Literal["allow", "reject"]


@dataclass(frozen=True)
class VerifyPolicy:
    """Each algorithm family is accepted independently (peers mix rsa-sha1 with a sha256 digest).

    ``sha1="allow"`` accepts SHA-1 with a warning on the result; ``"reject"`` refuses it. ``at`` is the
    moment the certificate must be valid at (None: now); it must carry a time zone.
    """

    sha1: Sha1Rule = "allow"
    at: dt.datetime | None = None
    c14n_methods: frozenset[str] = algorithms.C14N_METHODS
    signature_methods: frozenset[str] = algorithms.SIGNATURE_METHODS
    digest_methods: frozenset[str] = algorithms.DIGEST_METHODS
    min_rsa_bits: int = 1024
    max_bytes: int = DEFAULT_MAX_XML_BYTES
    max_elements: int = DEFAULT_MAX_XML_ELEMENTS

    def __post_init__(self) -> None:
        if self.sha1 not in ("allow", "reject"):
            raise ValueError(f"sha1 must be 'allow' or 'reject', not {self.sha1!r}")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("VerifyPolicy.at needs a time zone (use datetime.timezone.utc)")
        unknown = (self.signature_methods - algorithms.SIGNATURE_METHODS) | (
            self.digest_methods - algorithms.DIGEST_METHODS
        )
        unknown |= self.c14n_methods - algorithms.C14N_METHODS
        if unknown:
            raise ValueError(f"unsupported algorithms in the policy: {', '.join(sorted(unknown))}")

    def moment(self) -> dt.datetime:
        return self.at if self.at is not None else dt.datetime.now(dt.UTC)


DEFAULT_POLICY = VerifyPolicy()
