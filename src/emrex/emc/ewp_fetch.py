"""Fetching a student's transcript from a partner institution over EWP (the sending institution's side).

Staff name the partner (its SCHAC id), the mobility id and the student. The partner's imobility-tors
API answers with the ELMO its EMP signed; it is verified exactly as an EMREX answer is (the signature
against the certificates the partner's hosts publish in the EWP catalogue, what is signed read, the
learner against the student, every issuer against the institutions the entry lists, too long values
and duplicates refused) and stored as a transfer whose source is EWP: imported into foreign
credentials at once when the identity matches and the issuers are listed, else queued for review.
Nothing is stored when a check fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from emrex.db import Database, utcnow
from emrex.emc.config import EwpClientSettings
from emrex.emc.importing import confirm_import
from emrex.emc.models import Source, Status, Transfer
from emrex.emc.returns import Received, ReturnRefused, read_signed
from emrex.emc.service import Service
from emrex.emc.store import (
    duplicate_refusal,
    new_session_id,
    record_received,
    storable_refusal,
)
from emrex.errors import EmrexError
from emrex.ewp import EwpClient, EwpError, SigningKey
from emrex.identity import ESI_PREFIX, LocalPerson, Verdict
from emrex.registry import EwpCatalogue, RegistryError, read_ewp_catalogue
from emrex.registry.catalogue import DATA_ACCESS_POINT_NS, ENTRY, NCP_NS
from emrex.registry.model import Emp
from emrex.registry.sources import read_source
from emrex.trust import load_private_key
from emrex.trust.certs import CertificateError, load_certificates
from emrex.web.auth import Person, PersonError

log = logging.getLogger("emrex.emc")

_HEI_ID = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+", re.IGNORECASE)  # a SCHAC code
_MOBILITY_ID = re.compile(r"[!-~]{1,64}")  # ewp:AsciiPrintableIdentifier
MAX_HEI_ID = 255


class EwpFetchError(EmrexError):
    """The transcript cannot be fetched or accepted; nothing was stored. ``stage`` says which step."""

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(message)
        self.stage = stage


@dataclass(frozen=True)
class Partner:
    """A partner institution as the EWP catalogue describes it, with the EMP that signs its ELMOs."""

    hei_id: str
    name: str
    emp: Emp  # its emrex-data-access-point entries merged: institutions, country, certificates


@dataclass(frozen=True)
class Fetched:
    transfer_id: int
    status: Status  # IMPORTED, or REVIEW when staff must check the identity or the issuers
    partner: Partner
    courses: int


def check_request(partner: str, mobility_id: str) -> tuple[str, str]:
    """The partner's SCHAC id (lower case) and the mobility id, or EwpFetchError("input")."""
    hei_id, mobility = partner.strip().lower(), mobility_id.strip()
    if not hei_id or len(hei_id) > MAX_HEI_ID or not _HEI_ID.fullmatch(hei_id):
        raise EwpFetchError("the partner must be named by its SCHAC code, e.g. fjordby.example", "input")
    if not _MOBILITY_ID.fullmatch(mobility):
        raise EwpFetchError("the mobility id is 1 to 64 printable ASCII characters without spaces", "input")
    return hei_id, mobility


def load_catalogue(settings: EwpClientSettings) -> EwpCatalogue:
    try:
        data = read_source(settings.catalogue, timeout=settings.timeout_seconds)
        return read_ewp_catalogue(data, source=settings.catalogue)
    except RegistryError as error:
        raise EwpFetchError(f"the EWP registry catalogue cannot be read: {error}", "catalogue") from None


def load_client_key(settings: EwpClientSettings) -> SigningKey:
    try:
        pem = settings.client_key.read_bytes()
    except OSError as error:
        raise EwpFetchError(
            f"the EWP client key {settings.client_key} cannot be read ({error.strerror or error})", "setup"
        ) from None
    try:
        return SigningKey(load_private_key(pem))
    except (EmrexError, ValueError, TypeError) as error:
        raise EwpFetchError(
            f"the EWP client key {settings.client_key} is not usable: {error}", "setup"
        ) from None


def partner_of(catalogue: EwpCatalogue, hei_id: str) -> Partner:
    """The partner with the EMREX entries its hosts publish; EwpFetchError when it has none (its
    transcripts could not be verified)."""
    hei = catalogue.heis.get(hei_id)
    name = hei.name if hei is not None else hei_id
    certificates: list[x509.Certificate] = []
    institutions: list[str] = []
    countries: list[str] = []
    url = ""
    for host in catalogue.hosts_covering(hei_id):
        for api in host.apis:
            if api.name != ENTRY or api.namespace not in (DATA_ACCESS_POINT_NS, NCP_NS):
                continue
            url = url or (api.field("url") or "")
            for field_name, value in api.fields:
                if field_name == "certificate":
                    try:
                        certificates += [c for c in load_certificates(value) if c not in certificates]
                    except CertificateError:
                        continue  # a damaged certificate is no anchor; the others still are
                elif field_name == "institution" and value not in institutions:
                    institutions.append(value)
                elif field_name == "country-code" and value.upper() not in countries:
                    countries.append(value.upper())
    if not certificates:
        raise EwpFetchError(
            f"{name} ({hei_id}) publishes no EMREX certificate in the EWP catalogue, "
            "so its transcripts cannot be verified",
            "catalogue",
        )
    emp = Emp(
        name[:255], countries[0] if len(countries) == 1 else "", url, tuple(institutions), tuple(certificates)
    )
    return Partner(hei_id, name, emp)


@dataclass(frozen=True)
class StudentEntry:
    """Who the transcript must belong to: a student by login name, with the names, birth date and
    ESI staff give (needed when the EMC has not seen the student log in)."""

    subject: str
    given_names: str = ""
    family_name: str = ""
    birth_date: dt.date | None = None
    esi: str = ""


def student_person(db: Database, entry: StudentEntry) -> Person:
    """The student as the EMC knows them from their last login here (names and identifiers), or as
    staff describe them; what staff give replaces what is known. EwpFetchError("input") otherwise."""
    subject = entry.subject.strip()
    if not subject or len(subject) > 255:
        raise EwpFetchError("name the student by their login name (at most 255 characters)", "input")
    with db.session(readonly=True) as s:
        stored = s.scalar(
            select(Transfer.student_json)
            .where(Transfer.student == subject)
            .where(Transfer.source == Source.EMREX)
            .order_by(Transfer.id.desc())
            .limit(1)
        )
    known: Person | None = None
    if stored is not None:
        try:
            known = Person.from_json(stored)
        except PersonError:
            known = None
    given, family = entry.given_names.strip()[:200], entry.family_name.strip()[:200]
    identifiers = dict(known.identifiers) if known else {}
    if entry.esi.strip():
        if not entry.esi.strip().startswith(ESI_PREFIX):
            raise EwpFetchError(f"an ESI starts with {ESI_PREFIX}", "input")
        identifiers["esi"] = entry.esi.strip()[:255]
    if known is None and not (given or family or "esi" in identifiers):
        raise EwpFetchError(
            f"no student {subject!r} has logged in here; give their ESI or their names and birth date",
            "input",
        )
    return Person(
        subject=subject,
        given_names=given or (known.given_names if known else ""),
        family_name=family or (known.family_name if known else ""),
        source=known.source if known else "staff",
        birth_date=entry.birth_date or (known.birth_date if known else None),
        identifiers=identifiers,
        email=known.email if known else "",
    )


def http_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False)


class EwpFetcher:
    """Fetches, verifies and stores; ``catalogue`` and ``client`` default to what the settings name."""

    def __init__(
        self,
        service: Service,
        *,
        catalogue: Callable[[], EwpCatalogue] | None = None,
        key: SigningKey | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        settings = service.settings.ewp
        if (catalogue is None or key is None) and settings is None:
            raise EwpFetchError("EWP is not configured here (no [emc.ewp] table)", "setup")
        self.service = service
        self.settings = settings
        self.catalogue = catalogue or self._configured_catalogue
        self.key = key or load_client_key(self._settings())
        self.http = http or http_client(settings.timeout_seconds if settings else 30.0)

    def _settings(self) -> EwpClientSettings:
        if self.settings is None:
            raise EwpFetchError("EWP is not configured here (no [emc.ewp] table)", "setup")
        return self.settings

    def _configured_catalogue(self) -> EwpCatalogue:
        return load_catalogue(self._settings())  # read afresh for each fetch: staff fetch rarely

    def fetch(self, partner_id: str, mobility_id: str, person: Person, staff: str) -> Fetched:
        hei_id, mobility = check_request(partner_id, mobility_id)
        current = self.catalogue()  # one catalogue for the whole fetch
        partner = partner_of(current, hei_id)
        client = EwpClient(self.key, lambda: current, http=self.http)
        try:
            tors = client.get_tors(hei_id, [mobility])
        except EwpError as error:
            raise EwpFetchError(f"{partner.name}: {error}", "partner") from None
        if not tors:
            raise EwpFetchError(
                f"{partner.name} has no approved transcript of mobility {mobility} for us "
                "(unknown, not approved yet, or of a student of another institution)",
                "not_found",
            )
        xml = tors[0].elmo
        received = self.verify(xml, partner, person)
        return self.store(xml, received, partner, mobility, person, staff)

    def verify(self, xml: bytes, partner: Partner, person: Person) -> Received:
        """Checked as an EMREX answer is; EwpFetchError naming the check that failed."""
        settings = self.service.settings
        policy = dataclasses.replace(
            settings.verify_policy, max_bytes=max(settings.verify_policy.max_bytes, len(xml))
        )
        local = LocalPerson(
            person.given_names, person.family_name, person.birth_date, dict(person.identifiers)
        )
        try:
            with self.service.gate.slot():
                received = read_signed(
                    xml,
                    partner.emp.certificates,
                    local,
                    policy=policy,
                    identity_policy=settings.identity_policy,
                    emp=partner.emp,
                )
        except ReturnRefused as error:
            raise EwpFetchError(f"{partner.name}: {error}", error.stage) from None
        if received.identity.verdict is Verdict.MISMATCH:
            raise EwpFetchError(
                "the transcript belongs to someone else: " + "; ".join(received.identity.reasons), "identity"
            )
        refusal = storable_refusal(received)
        if refusal is not None:
            raise EwpFetchError(str(refusal), refusal.stage)
        return received

    def store(
        self, xml: bytes, received: Received, partner: Partner, mobility: str, person: Person, staff: str
    ) -> Fetched:
        """Stored as a transfer with the source EWP, imported or queued for review; duplicates refused."""
        now = utcnow()
        pems = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in partner.emp.certificates)
        transfer = Transfer(
            session_id=new_session_id(),
            student=person.subject,
            student_name=person.display_name[:255],
            student_json=person.to_json(),
            status=Status.STARTED,
            created_at=now,
            expires_at=now,
            country_code=partner.emp.country_code[:2],
            emp_acronym=partner.hei_id,
            emp_name=partner.name[:255],
            emp_url=partner.emp.url[:2048],
            emp_certificates=pems.decode("ascii"),
            emp_institutions=json.dumps(list(partner.emp.institutions), ensure_ascii=False),
            courses=0,
            credits="0",
            source=Source.EWP,
            mobility_id=mobility,
            fetched_by=staff[:255],
        )
        with self.service.database.session() as s:
            s.add(transfer)
            s.flush()
            refusal = duplicate_refusal(s, transfer, received)
            if refusal is not None:  # raising rolls the whole transaction back
                raise EwpFetchError(str(refusal), refusal.stage)
            record_received(transfer, xml, received, "", now)
            status = confirm_import(s, transfer, received, now)
            transfer_id = transfer.id
        log.info("EWP: transfer %d fetched from %s: %s", transfer_id, partner.hei_id, status)
        if status is Status.IMPORTED and self.service.webhook_kick is not None:
            self.service.webhook_kick()
        return Fetched(transfer_id, status, partner, len(received.courses))
