"""The EMP as an EWP host: the incoming mobilities of the built-in SIS served to their sending
institutions (imobility-tors), with Echo and the Discovery manifest, when ``[ewp]`` is configured.

The transcript of a mobility is the ELMO the EMP sends through EMREX, made by the same code: every
result the student has at the receiving institution (the mobility's host), signed with the EMP's
key, its PDF attached, holding the results within the mobility's period. It is made ahead when
the transcript is approved and stored in the database (``emrex.emp.ewp_transcripts``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from fastapi import FastAPI
from sqlalchemy import select

from emrex.db import Database
from emrex.emp.config import EmpSettings
from emrex.emp.ewp_replay import DatabaseReplayCache
from emrex.emp.ewp_settings import EwpServing
from emrex.emp.ewp_transcripts import SisTranscripts
from emrex.errors import EmrexError
from emrex.ewp import (
    EmrexEntry,
    EwpServer,
    IncomingMobility,
    Institution,
    ManifestHost,
    MemoryReplayCache,
    RequestVerifier,
    SigningKey,
    Student,
    ToRsApi,
    TranscriptUnavailable,
    manifest_xml,
)
from emrex.ewp.routes import EwpPaths, ewp_router
from emrex.registry import EwpCatalogue, RegistryError, read_ewp_catalogue
from emrex.registry.sources import read_source
from emrex.sis.tables import SisIncomingMobility, SisInstitution, SisPerson
from emrex.trust import load_private_key

if TYPE_CHECKING:
    from emrex.emp.service import EmpService

log = logging.getLogger("emrex.emp")
PREPARE_SECONDS = 60.0


class SisMobilities:
    """``IncomingMobilities`` over the ``sis_incoming_mobility`` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def find(self, receiving_hei_id: str, omobility_ids: Sequence[str]) -> Sequence[IncomingMobility]:
        wanted = list(dict.fromkeys(omobility_ids))
        if not wanted:
            return []
        return self._select(receiving_hei_id, SisIncomingMobility.omobility_id.in_(wanted))

    def of_receiving(
        self, receiving_hei_id: str, *, modified_since: dt.datetime | None = None
    ) -> Sequence[IncomingMobility]:
        since = SisIncomingMobility.updated_at > modified_since if modified_since is not None else None
        return self._select(receiving_hei_id, since)

    def _select(self, receiving_hei_id: str, condition: object) -> list[IncomingMobility]:
        query = (
            select(SisIncomingMobility, SisPerson)
            .join(SisInstitution, SisInstitution.id == SisIncomingMobility.receiving_institution_id)
            .join(SisPerson, SisPerson.id == SisIncomingMobility.person_id)
            .where(SisInstitution.schac == receiving_hei_id)
            .order_by(SisIncomingMobility.omobility_id)
        )
        if condition is not None:
            query = query.where(condition)  # type: ignore[arg-type]
        with self.database.session(readonly=True) as s:
            rows = s.execute(query).all()
        return [
            IncomingMobility(
                omobility_id=row.omobility_id,
                sending_hei_id=row.sending_hei,
                receiving_hei_id=receiving_hei_id,
                student=Student(person.given_names, person.family_name, row.student_esi, person.birth_date),
                start=row.start_date,
                end=row.end_date,
                tor_approved_at=row.tor_approved_at,
                # a change after approval (results, dates) is a change of the transcript
                tor_modified_at=row.updated_at
                if row.tor_approved_at is not None and row.updated_at > row.tor_approved_at
                else None,
            )
            for row, person in rows
        ]


def prepare(mobilities: SisMobilities, transcripts: SisTranscripts, hei_id: str) -> int:
    """Make and store the transcripts of approved mobilities that have no current one; how many."""
    made = 0
    for mobility in mobilities.find(hei_id, transcripts.pending()):
        try:
            transcripts(mobility)
        except TranscriptUnavailable as error:
            log.warning("EWP: %s", error)
            continue
        made += 1
    if made:
        log.info("EWP: %d transcript(s) made ahead for %s", made, hei_id)
    return made


class Preparer:
    """Makes the approved transcripts ahead in a background thread: at start, then every minute."""

    def __init__(self, mobilities: SisMobilities, transcripts: SisTranscripts, hei_id: str) -> None:
        self.mobilities, self.transcripts, self.hei_id = mobilities, transcripts, hei_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> int:
        return prepare(self.mobilities, self.transcripts, self.hei_id)

    def start(self, every_seconds: float = PREPARE_SECONDS) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.run()
                except Exception:
                    log.exception("EWP: making transcripts ahead failed")
                self._stop.wait(every_seconds)

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="emrex-emp-ewp-transcripts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


class CatalogueSource:
    """The EWP registry catalogue, read again when older than ``max_age``; the last good copy stays
    in force when a refresh fails (and RegistryError only when there never was one)."""

    def __init__(self, source: str, max_age: dt.timedelta, *, timeout: float = 10.0) -> None:
        self.source = source
        self.max_age = max_age
        self.timeout = timeout
        self._good: tuple[dt.datetime, EwpCatalogue] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> EwpCatalogue:
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            if self._good is not None and now - self._good[0] < self.max_age:
                return self._good[1]
            try:
                fresh = read_ewp_catalogue(read_source(self.source, timeout=self.timeout), source=self.source)
            except RegistryError as error:
                if self._good is None:
                    raise
                log.warning("EWP catalogue not refreshed, the last good copy stays: %s", error)
                self._good = (now, self._good[1])
                return self._good[1]
            self._good = (now, fresh)
            return fresh


def _public_key_of(path: Path, label: str) -> SigningKey:
    try:
        return SigningKey(load_private_key(path.read_bytes()))
    except OSError as error:
        raise EmrexError(f"ewp.{label}: cannot read {path} ({error.strerror or error})") from None
    except (EmrexError, ValueError, TypeError) as error:
        raise EmrexError(f"ewp.{label}: {path} is not a usable RSA key: {error}") from None


def manifest_of(
    serving: EwpServing,
    base_url: str,
    entry_url: str,
    certificate: x509.Certificate,
    *,
    emp_name: str = "",
    institutions: Sequence[str] = (),
) -> bytes:
    """Our Discovery manifest: the EWP APIs under ``base_url``, our keys, and the EMP's EMREX entry
    (``entry_url``, the certificate its ELMOs are signed with, the institutions it serves: the EWP
    institution and ``institutions``, as the EMREX registry lists them)."""
    base = base_url.rstrip("/")
    paths = EwpPaths()
    server_key = _public_key_of(serving.server_key, "server_key")
    client = _public_key_of(serving.client_key, "client_key") if serving.client_key else None
    host = ManifestHost(
        manifest_url=base + paths.manifest,
        admin_emails=serving.admin_emails,
        admin_provider=f"{serving.institution_name} (emrex)",
        institution=Institution(serving.hei_id, ((serving.institution_name, "en"),)),
        client_keys=(client.public_key,) if client else (),
        server_keys=(server_key.public_key,),
        echo_url=base + paths.echo,
        tors_get_url=base + paths.tors_get,
        tors_index_url=base + paths.tors_index,
        max_omobility_ids=serving.max_omobility_ids,
        emrex=EmrexEntry(
            entry_url,
            emp_name or serving.institution_name,
            serving.country,
            tuple(dict.fromkeys((serving.hei_id, *institutions))),
            (certificate,),
        ),
    )
    return manifest_xml(host)


def signed_paths(settings: EmpSettings) -> list[str]:
    """The EWP API paths: no CSRF check there (they authenticate each request by its signature)."""
    paths = EwpPaths()
    return [paths.echo, paths.tors_get, paths.tors_index] if settings.ewp is not None else []


def mount_ewp(app: FastAPI, emp: EmpService) -> None:
    """Add the EWP routes to the EMP app; EmrexError (one line) when a key cannot be used."""
    settings = emp.settings
    serving = settings.ewp
    if serving is None:
        return
    catalogue_source = CatalogueSource(serving.catalogue, dt.timedelta(minutes=serving.catalogue_minutes))
    shared = serving.replay == "database" or (serving.replay == "auto" and settings.server.workers > 1)
    replay = DatabaseReplayCache(emp.database) if shared else MemoryReplayCache()
    app.state.emrex_ewp_replay = replay
    verifier = RequestVerifier(catalogue_source, replay, hosts=serving.hosts)
    server = EwpServer(verifier, _public_key_of(serving.server_key, "server_key"))
    mobilities = SisMobilities(emp.database)
    transcripts = SisTranscripts(emp.database, emp.signer, zone=settings.zone)
    tors = ToRsApi(
        mobilities,
        transcripts,
        hei_ids={serving.hei_id},
        max_omobility_ids=serving.max_omobility_ids,
    )
    entry_url = settings.base_url.rstrip("/") + settings.entry_path
    manifest = manifest_of(
        serving,
        settings.base_url,
        entry_url,
        emp.signer.certificate,
        emp_name=settings.name,
        institutions=settings.institutions,
    )
    app.include_router(ewp_router(server, manifest=lambda: manifest, tors=tors))
    preparer = Preparer(mobilities, transcripts, serving.hei_id)
    app.state.emrex_ewp_preparer = preparer
    earlier = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: Any) -> AsyncIterator[Any]:
        preparer.start()
        try:
            async with earlier(running) as state:
                yield state
        finally:
            preparer.stop()

    app.router.lifespan_context = lifespan
    log.info("EWP: serving %s (manifest %s%s)", serving.hei_id, settings.base_url, EwpPaths().manifest)
