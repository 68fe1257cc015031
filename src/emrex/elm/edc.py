"""Verify a sealed European Digital Credential end to end: the seal, the EDC shapes, the embedded ELMO.

``emrex.seal`` checks the JAdES seal and leaves two questions to this package: does the credential
conform to the EDC shapes, and, for a Converted credential, is the original ELMO it carries signed by
a data provider of the EMREX registry, and does it say what the credential says? Both answers are
filed into the seal's result as checks that count in its verdict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from emrex.elm.converted import extract_original
from emrex.elm.errors import ElmError, ShapesUnavailable
from emrex.elm.from_elm import credential_model
from emrex.elm.shapes import ShapesLibrary, load_library
from emrex.elm.validate import validate_credential
from emrex.elmo import model as m
from emrex.elmo.errors import ElmoError
from emrex.elmo.reader import read_elmo
from emrex.errors import EmrexError
from emrex.registry.model import Emp, Registry
from emrex.seal import Check, CredentialCheck, SealPolicy, SealVerification, Status, verify_seal
from emrex.seal.result import CONFORMANCE, EMBEDDED_ELMO
from emrex.trust import VerifyPolicy
from emrex.trust.verifier import verify

MAX_SHOWN_PROBLEMS = 3


def conformance_check(
    *, shapes_dir: Path | str | None = None, library: ShapesLibrary | None = None
) -> CredentialCheck:
    """The EDC shapes' verdict as a seal check; without installed shapes it says so (not checked)."""

    def check(credential: Mapping[str, Any], payload: bytes) -> Check:
        try:
            shapes = library or load_library(shapes_dir)
        except ShapesUnavailable as exc:
            return Check(CONFORMANCE, Status.NOT_CHECKED, f"the EDC shapes are not installed ({exc})")
        try:
            report = validate_credential(dict(credential), library=shapes)
        except ElmError as exc:
            return Check(CONFORMANCE, Status.FAILED, f"cannot be read as ELM: {exc}")
        if report.conforms:
            return Check(CONFORMANCE, Status.PASSED, report.summary())
        shown = "; ".join(str(p) for p in report.problems[:MAX_SHOWN_PROBLEMS])
        more = len(report.problems) - MAX_SHOWN_PROBLEMS
        tail = f"; and {more} more" if more > 0 else ""
        return Check(CONFORMANCE, Status.FAILED, f"{report.summary()}: {shown}{tail}")

    return check


def embedded_elmo_check(registry: Registry | None, policy: VerifyPolicy | None = None) -> CredentialCheck:
    """For a Converted credential: the original ELMO's signature against the registry's data providers,
    and the credential's results against the original's. Other credentials: not checked, said so."""

    def check(credential: Mapping[str, Any], payload: bytes) -> Check:
        try:
            original = extract_original(dict(credential))
        except ElmError as exc:
            return Check(EMBEDDED_ELMO, Status.FAILED, f"the embedded original is unreadable: {exc}")
        if original is None:
            return Check(EMBEDDED_ELMO, Status.NOT_CHECKED, "no original ELMO is embedded (not Converted)")
        difference = _difference(dict(credential), original)
        if difference:
            return Check(
                EMBEDDED_ELMO, Status.FAILED, f"the credential differs from its original: {difference}"
            )
        if registry is None:
            return Check(
                EMBEDDED_ELMO,
                Status.NOT_CHECKED,
                "an original ELMO is embedded and agrees with the credential; its data provider's "
                "signature was not checked (no EMREX registry given)",
            )
        return _signature(original, registry, policy)

    return check


def verify_edc(
    data: bytes,
    policy: SealPolicy,
    *,
    shapes_dir: Path | str | None = None,
    library: ShapesLibrary | None = None,
    registry: Registry | None = None,
) -> SealVerification:
    """``emrex.seal.verify_seal`` with the shapes and the embedded ELMO checked as well."""
    return verify_seal(
        data,
        policy,
        conformance=conformance_check(shapes_dir=shapes_dir, library=library),
        embedded_elmo=embedded_elmo_check(registry),
    )


def _signature(original: bytes, registry: Registry, policy: VerifyPolicy | None) -> Check:
    certificates = [c for emp in registry.emps for c in emp.certificates]
    try:
        verified = verify(original, certificates, policy) if policy else verify(original, certificates)
    except EmrexError as exc:
        return Check(EMBEDDED_ELMO, Status.FAILED, f"the original ELMO's signature is not accepted: {exc}")
    emp = _owner(registry, verified.certificate)
    name = emp.listed_name if emp else "an unnamed data provider"
    return Check(
        EMBEDDED_ELMO, Status.PASSED, f"the original ELMO is signed by {name}, as the registry lists it"
    )


def _owner(registry: Registry, certificate: Any) -> Emp | None:
    return next((emp for emp in registry.emps if certificate in emp.certificates), None)


def _difference(credential: dict[str, Any], original: bytes) -> str | None:
    """The first result that the credential and its embedded original disagree on, in words."""
    try:
        signed = read_elmo(original).elmo
        stated = credential_model(credential)
    except (ElmError, ElmoError) as exc:
        return f"unreadable ({exc})"
    if _person(stated.learner) != _person(signed.learner):
        return "the learner's names, birth date or identifiers"
    ours, theirs = sorted(_results(stated)), sorted(_results(signed))
    if ours != theirs:
        extra = sorted(set(ours) - set(theirs))
        missing = sorted(set(theirs) - set(ours))
        item = (extra or missing)[0]
        how = "not in the original" if extra else "missing from the credential"
        return f"the result {item[1]!r} ({item[0] or 'no code'}) is {how} or differs"
    return None


def _person(learner: m.Learner) -> tuple[str, str, Any, frozenset[tuple[str, str]]]:
    identifiers = frozenset((i.type, i.value) for i in learner.identifiers)
    return (learner.given_names.casefold(), learner.family_name.casefold(), learner.birth_date, identifiers)


def _results(elmo: m.Elmo) -> Iterator[tuple[str, str, str, Decimal | None]]:
    for report in elmo.reports:
        for top in report.learning_opportunity_specifications:
            for _, los in top.walk():
                loi = los.specifies
                if loi is None:
                    continue
                code = los.identifier("local") or ""
                titles = "|".join(sorted(t.text for t in los.titles))
                yield (code, titles, loi.result_label or "", loi.ects)
