"""The demo's credit recognition: Lindholm's catalogue, and chloe's case decided once, resting on a
Kyklades document that verifies against the Kyklades certificate."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from emrex.demo.folder import open_folder
from emrex.demo.recognition import catalogue_bytes
from emrex.demo.services import Addresses, build_services
from emrex.emc.models import Transfer
from emrex.emc.recognition import parse_catalogue
from emrex.emc.recognition.models import Case, Course, DecisionDocument
from emrex.emc.service import stored_received, verify_stored


def test_the_catalogue_file_is_valid_and_has_the_courses_the_stories_need() -> None:
    codes = {c.code for c in parse_catalogue(catalogue_bytes())}
    assert {"BI1034", "FI1101", "GR1001", "VV2030", "NO1001"} <= codes
    assert len(codes) >= 20


def test_chloe_has_one_decided_case_resting_on_a_verified_kyklades_document(tmp_path: Path) -> None:
    folder = open_folder(tmp_path / "demo")
    for _ in range(2):  # the second start adds nothing
        services = build_services(folder, Addresses(30100))
    service = services[1].app.state.emc_service
    with service.database.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Course)) == len(parse_catalogue(catalogue_bytes()))
        (case,) = s.scalars(select(Case))
        assert (case.student, case.status, case.number) == (
            "chloe",
            "decided",
            f"TG-{case.submitted_at.year}-00001",
        )
        assert [(i.code, i.outcome, i.granted_credits) for i in case.items] == [
            ("BI1034", "granted", "7.5"),
            ("FI1101", "partly", "6"),
        ]
        assert [b.code for b in case.bases] == ["PHIL210", "BIO305"] or [b.code for b in case.bases] == [
            "BIO305",
            "PHIL210",
        ]
        assert case.expert_statement and case.decided_by == "staff"
        languages = sorted(d.language for d in s.scalars(select(DecisionDocument)))
        assert languages == ["en", "sv"]
        (transfer,) = s.scalars(select(Transfer))
        assert transfer.status == "imported" and transfer.emp_acronym == "KYKLADES"
        assert verify_stored(service, transfer).verified.signer == transfer.signer
        received = stored_received(service, transfer)
        assert received is not None and received.courses
