"""The path from a seal certificate to a configured trust anchor (RFC 5280 via cryptography's verifier).

The EU trusted lists, where qualified seal certificates are published, cannot be reached offline:
anchors are what the caller configures (a CA certificate, or an intermediate it chooses to trust).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from cryptography import x509
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from emrex.seal.result import CHAIN, Check, Status
from emrex.trust.certs import subject_text

_PROCESSING = re.compile(r"\s*\(encountered processing <Certificate.*$", re.DOTALL)


def check_chain(
    leaf: x509.Certificate,
    candidates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime,
    signing_time: dt.datetime | None,
) -> tuple[Check, tuple[x509.Certificate, ...]]:
    """The chain check and, when it passed, the path (seal certificate first, anchor last)."""
    usage = _usage_problem(leaf)
    if usage:
        return Check(CHAIN, Status.FAILED, usage), ()
    if not anchors:
        return (
            Check(
                CHAIN,
                Status.INDETERMINATE,
                "no trust anchor is configured, so who stands behind the seal certificate is not established",
            ),
            (),
        )
    moment, note = _moment(leaf, at, signing_time)
    if moment is None:
        return Check(CHAIN, Status.INDETERMINATE, note), ()
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(moment)
        .max_chain_depth(8)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
        .build_client_verifier()
    )
    try:
        path = tuple(verifier.verify(leaf, list(candidates)).chain)
    except VerificationError as exc:
        reason = _PROCESSING.sub("", str(exc)).removeprefix("validation failed: ")
        return Check(
            CHAIN, Status.FAILED, f"the seal certificate does not lead to a trusted anchor ({reason})"
        ), ()
    anchor = subject_text(path[-1])
    return Check(CHAIN, Status.PASSED, f"leads to the trusted anchor {anchor}{note}"), path


def _moment(
    leaf: x509.Certificate, at: dt.datetime, signing_time: dt.datetime | None
) -> tuple[dt.datetime | None, str]:
    if _valid(leaf, at):
        return at, ""
    if signing_time is not None and _valid(leaf, signing_time):
        return signing_time, f" (as of the claimed signing time {signing_time:%Y-%m-%d %H:%M} UTC)"
    return (
        None,
        "the chain cannot be checked: the seal certificate was not valid then, "
        "nor at the claimed signing time",
    )


def _valid(cert: x509.Certificate, moment: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def _usage_problem(leaf: x509.Certificate) -> str | None:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if usage.digital_signature or usage.content_commitment:
        return None
    return "the seal certificate's key usage does not allow signatures"
