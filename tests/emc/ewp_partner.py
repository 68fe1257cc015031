"""The EWP partner the EMC's tests fetch from: Fjordby's server of tests/ewp/network.py, serving
transcripts its EMP issued for Fjordby University (the sample's learner, with her ESI)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from emrex.db import Database
from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.emc.config import EmcSettings
from emrex.emc.ewp_fetch import EwpFetcher, StudentEntry
from emrex.emc.registries import Registries
from emrex.emc.service import Service
from emrex.trust.ca import Issued
from emrex.trust.signer import Signer
from tests.ewp.network import ESI, FJORDBY, Fjordby, catalogue, emp_issued, signing_key

FJORDBY_ISSUER = m.Issuer(
    identifiers=(m.Identifier("schac", FJORDBY),),
    titles=(m.LangText("Fjordby University", "en"),),
    url="https://fjordby.example",
    country="NO",
)
ASA_ENTRY = StudentEntry("asa", "Åsa Žofie", "Lindqvist-Dvořáková", None, ESI)


def fjordby_elmo(courses: int = 6, *, seed: int = 0, issued: Issued | None = None, **learner: Any) -> bytes:
    """A transcript Fjordby's EMP signed: every report issued by Fjordby University."""
    elmo = sample_elmo(courses, seed=seed)
    elmo = dataclasses.replace(
        elmo,
        reports=tuple(dataclasses.replace(r, issuer=FJORDBY_ISSUER) for r in elmo.reports),
        learner=dataclasses.replace(elmo.learner, **learner) if learner else elmo.learner,
    )
    key = issued or emp_issued()
    return Signer(key.key, key.certificate).sign(write_elmo(elmo))


def partner() -> Fjordby:
    fjordby = Fjordby()
    for omobility_id in ("m-approved-1", "m-approved-2", "m-pending", "m-ostmark"):
        fjordby.transcripts[omobility_id] = fjordby_elmo()
    return fjordby


def fetcher_for(settings: EmcSettings, fjordby: Fjordby, client_key: str = "lindholm-client") -> EwpFetcher:
    service = Service(settings, Database(settings.database_url), Registries([]))
    return EwpFetcher(service, catalogue=catalogue, key=signing_key(client_key), http=fjordby.http)


MakeFetcher = Callable[..., EwpFetcher]
