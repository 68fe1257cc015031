"""What verifying a seal found: one named check per question, each with a status and a plain sentence.

The verdict follows ETSI EN 319 102-1: ``passed`` when every decisive check passed, ``failed`` when one
failed, ``indeterminate`` when none failed but one could not be established (no trust anchor, a
certificate that has expired since). Checks that are informative only (timestamps, the EU trusted
lists, revocation) never change the verdict: they say plainly what was not looked at.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from emrex.trust.certs import fingerprint, issuer_text, subject_text
from emrex.trust.orgid import organization_identifier_of


class Status(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INDETERMINATE = "indeterminate"
    NOT_CHECKED = "not checked"


# The names of the checks, in the order they are reported.
SIGNATURE = "signature"
CHAIN = "chain"
TRUSTED_LIST = "trusted list"
BINDING = "issuer binding"
CERTIFICATE_VALIDITY = "certificate validity"
CREDENTIAL_VALIDITY = "credential validity"
REVOCATION = "revocation"
CREDENTIAL_STATUS = "credential status"
TIMESTAMPS = "timestamps"
CONFORMANCE = "conformance"
EMBEDDED_ELMO = "embedded ELMO"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    summary: str  # one line a person can read
    decisive: bool = True  # False: reported, never counted in the verdict


# A check of the sealed credential that another package provides (SHACL shapes, the embedded ELMO of a
# Converted credential): it gets the parsed credential and the exact sealed bytes and returns a Check;
# the verifier files it under its own name. It raises only for its own bugs, never to say "invalid".
CredentialCheck = Callable[[Mapping[str, Any], bytes], Check]


@dataclass(frozen=True)
class SealVerification:
    """A seal whose signature verified: what was sealed, by which certificate, and how far it checked."""

    payload: bytes  # exactly the sealed bytes
    credential: Mapping[str, Any]  # the sealed credential, parsed from ``payload``
    certificate: x509.Certificate  # the seal certificate (x5c[0]), whose key verified the signature
    algorithm: str
    signing_time: dt.datetime | None  # sigT: the sealer's own claim
    chain: tuple[x509.Certificate, ...]  # seal certificate … trust anchor, when a path was found
    checks: tuple[Check, ...]
    unsigned_properties: tuple[str, ...] = ()  # names in etsiU (sigTst, xVals, rVals, arcTst, …)
    level: str = "B-B"  # the JAdES baseline level the seal's properties claim (not verified beyond B-B)
    warnings: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> Status:
        decisive = [check.status for check in self.checks if check.decisive]
        if Status.FAILED in decisive:
            return Status.FAILED
        if Status.INDETERMINATE in decisive:
            return Status.INDETERMINATE
        return Status.PASSED

    @property
    def accepted(self) -> bool:
        return self.verdict is Status.PASSED

    def check(self, name: str) -> Check:
        for found in self.checks:
            if found.name == name:
                return found
        raise KeyError(name)

    @property
    def not_checked(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.status is Status.NOT_CHECKED)

    @property
    def sealer(self) -> str:
        return subject_text(self.certificate)

    @property
    def sealer_issuer(self) -> str:
        return issuer_text(self.certificate)

    @property
    def organization_identifier(self) -> str | None:
        return organization_identifier_of(self.certificate)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)
