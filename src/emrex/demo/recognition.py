"""Credit recognition in the demo: Lindholm University's course catalogue, and one decided case of chloe.

The case rests on results chloe fetched from Kyklades University: the document is made and signed as
the Kyklades EMP makes it (from its seeded SIS, with its key), verified, identity-checked and imported
as the EMC does with an answer, then applied for, sent to a subject expert and decided by 'staff'. It
is made once per data folder; the catalogue is imported at every start (the same file changes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from emrex.db import Database
from emrex.demo.network import CHLOE_BIRTH, COUNTRIES, EMC, EMPS
from emrex.emc.importing import confirm_import
from emrex.emc.models import Status, Transfer
from emrex.emc.recognition import cases, import_catalogue, parse_catalogue
from emrex.emc.recognition.cases import Actor, ItemDecision
from emrex.emc.recognition.foreign import student_results
from emrex.emc.recognition.models import Case, Outcome
from emrex.emc.recognition.web import make_decision_documents
from emrex.emc.returns import read_signed
from emrex.emc.service import Service
from emrex.emc.store import (
    local_person,
    pinned_certificates,
    record_received,
    start_transfer,
)
from emrex.emp.document import build
from emrex.emp.selection import catalogue
from emrex.emp.sources import PersonQuery
from emrex.registry.model import Country, Emp
from emrex.sis.source import SqlSource
from emrex.trust.certs import load_certificate
from emrex.trust.signer import Signer
from emrex.web.auth import Person

CATALOGUE = "catalogue-lindholm.json"
STAMP = "recognition-seeded"
KYKLADES = next(plan for plan in EMPS if plan.acronym == "KYKLADES")
SETTINGS = {
    "case_prefix": "TG",
    "institution": EMC.institution,
    "appeal_weeks": 3,
    "appeal_address": "Lindholm University, Registrar's Office, registrator@lindholm.example.se",
    "legal_basis": "Higher Education Ordinance (1993:100) ch. 6 §§ 6–8",
}
_DAY = dt.timedelta(days=1)
_MOTIVATION = (
    "I took these courses during my exchange semester at Kyklades University. Marine Ecology of the "
    "Aegean covers the content of BI1034; Ancient Greek Philosophy covers most of FI1101."
)
_STATEMENT = (
    "BIO305 matches BI1034 in content, level and scope. PHIL210 covers the history of philosophy part "
    "of FI1101 but not its introduction to argumentation (1.5 credits)."
)
_REASON = (
    "The foreign course covers the history of philosophy part (6 credits) of FI1101; the introduction "
    "to argumentation (1.5 credits) has no counterpart in it."
)


def catalogue_bytes() -> bytes:
    return resources.files("emrex.demo").joinpath("data", CATALOGUE).read_bytes()


def seed(service: Service, emc_dir: Path, emp_dir: Path, entry_url: str, key: Path, cert: Path) -> None:
    """The catalogue, and (once) chloe's decided case; ``emp_dir`` holds the Kyklades EMP's database."""
    import_catalogue(service.database, parse_catalogue(catalogue_bytes()))
    stamp = emc_dir / STAMP
    if stamp.exists():
        return
    # Weeks ago, but not before the Kyklades certificate was valid (older demo folders have younger keys).
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    valid_from = load_certificate(cert.read_bytes()).not_valid_before_utc + dt.timedelta(minutes=1)
    start = max(now - 30 * _DAY, valid_from)
    day = min(_DAY, (now - start) / 15)  # the story's "day", shorter when the key is young
    xml = _kyklades_document(emp_dir, key, cert, start)
    transfer_id = _imported(service, xml, entry_url, cert, start)
    _decided_case(service, transfer_id, start + 2 * day, day)
    stamp.write_text("chloe's recognition case was made\n", encoding="utf-8")


def _chloe() -> Person:
    account = next(a for a in EMC.accounts if a.username == "chloe")
    return Person(account.username, account.given_names, account.family_name, "demo", birth_date=CHLOE_BIRTH)


def _kyklades_document(emp_dir: Path, key: Path, cert: Path, when: dt.datetime) -> bytes:
    chloe = next(a for a in KYKLADES.accounts if a.username == "chloe")
    database = Database(f"sqlite:///{(emp_dir / 'emp.db').resolve()}")
    try:
        results = SqlSource(database).fetch(PersonQuery(dict(chloe.identifiers)))
    finally:
        database.dispose()
    offered = catalogue(results, allow_not_passed=False)
    return build(offered, offered.selectable_keys, Signer.from_files(key, cert), now=when).xml


def _imported(service: Service, xml: bytes, entry_url: str, cert_file: Path, when: dt.datetime) -> int:
    """The document received and confirmed as the return path and the transfer page do; its transfer."""
    plan = next(c for c in COUNTRIES if c.code == KYKLADES.country)
    certificate = load_certificate(cert_file.read_bytes())
    emp = Emp(KYKLADES.acronym, KYKLADES.country, entry_url, KYKLADES.institutions, (certificate,))
    country = Country(plan.code, plan.name, plan.single_fetch)
    settings = service.settings
    transfer = start_transfer(service.database, _chloe(), country, emp, settings.transfer_lifetime)
    received = read_signed(
        xml,
        pinned_certificates(transfer),
        local_person(transfer),
        policy=settings.verify_policy,
        identity_policy=settings.identity_policy,
    )
    with service.database.session() as s:
        stored = s.get_one(Transfer, transfer.id)
        record_received(stored, xml, received, "NCP_OK", when, settings.web.languages)
        if confirm_import(s, stored, received, when) is not Status.IMPORTED:
            raise RuntimeError("the demo's Kyklades document does not match chloe at the EMC")
        stored.created_at = stored.expires_at = when - dt.timedelta(minutes=3)
        for credential in stored.credentials:
            credential.imported_at = when
    return transfer.id


def _decided_case(service: Service, transfer_id: int, when: dt.datetime, day: dt.timedelta) -> None:
    chloe = _chloe()
    student = Actor.of(chloe)
    account = next(a for a in EMC.accounts if a.role == "staff")
    staff = Actor(account.username, f"{account.given_names} {account.family_name}", True)
    prefix = service.settings.recognition.case_prefix
    with service.database.session() as s:
        wanted = ("PHIL210", "BIO305")
        results = [r for r in student_results(s, chloe.subject, transfer_id=transfer_id) if r.code in wanted]
        case = cases.create(s, chloe, results, when)
        case_id, basis = case.id, {b.code: b.id for b in case.bases}

    def add(code: str, course: str) -> Callable[[Session, int], object]:
        return lambda s, v: cases.add_item(
            s, student, case_id, v, when, basis_ids=[basis[code]], course_code=course
        )

    steps: list[Callable[[Session, int], object]] = [
        add("BIO305", "BI1034"),
        add("PHIL210", "FI1101"),
        lambda s, v: cases.save_motivation(s, student, case_id, v, _MOTIVATION, when),
        lambda s, v: cases.submit(s, student, case_id, v, prefix, when + day),
        lambda s, v: cases.send_to_expert(s, staff, case_id, v, "Dr Anders Holm, Philosophy", when + 3 * day),
        lambda s, v: cases.record_statement(s, staff, case_id, v, _STATEMENT, when + 8 * day),
        lambda s, v: cases.decide(s, staff, case_id, v, _decisions(s, case_id), when + 10 * day),
    ]
    for version, step in enumerate(steps, start=1):
        with service.database.session() as s:
            step(s, version)
    make_decision_documents(service, case_id)


def _decisions(s: Session, case_id: int) -> dict[int, ItemDecision]:
    items = {i.code: i.id for i in s.get_one(Case, case_id).items}
    return {
        items["BI1034"]: ItemDecision(Outcome.GRANTED, None, ""),
        items["FI1101"]: ItemDecision(Outcome.PARTLY, cases.parse_credits("6"), _REASON),
    }
