"""What the EMP's pages share: settings, database, source, key, flows, and reading a person's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from emrex.db import Database
from emrex.emp.config import EmpSettings
from emrex.emp.protocol import EntryRules
from emrex.emp.results_cache import ResultsCache
from emrex.emp.selection import Catalogue, catalogue
from emrex.emp.sources.base import PersonQuery, ResultsSource
from emrex.emp.store import Flow, FlowStore
from emrex.trust.signer import Signer
from emrex.web.auth import Person

if TYPE_CHECKING:
    from emrex.elm.edc_seal import CredentialSealer
    from emrex.seal.pdf import PdfSealer
    from emrex.web.wallet_issuing import WalletIssuing


@dataclass(frozen=True)
class EmpService:
    """Loaded once per process and handed to every router."""

    settings: EmpSettings
    database: Database
    source: ResultsSource
    signer: Signer
    flows: FlowStore
    rules: EntryRules
    results: ResultsCache[Catalogue]
    transcript_sealer: PdfSealer | None = None  # settings.seal_transcript
    credential_sealer: CredentialSealer | None = None  # settings.seal: the sealed EDC of OOTS and exports
    wallet: WalletIssuing | None = None  # settings.wallet: the EMP as a wallet issuer (emp.export)

    def fetch(self, flow: Flow, person: Person) -> Catalogue:
        """What the source holds for ``person``, as this flow may offer it (cached per flow)."""

        def load() -> Catalogue:
            return person_catalogue(self, person, allow_not_passed=flow.request.allow_not_passed)

        return self.results.fetch(flow.id, person.subject, load)

    def kept(self, flow: Flow, person: Person) -> Catalogue | None:
        """What ``fetch`` kept for this flow and person, without reading the source."""
        return self.results.kept(flow.id, person.subject)


class ResultsParts(Protocol):
    """What reading a person's results takes from an EMP (``EmpService`` and the OOTS pages' parts)."""

    @property
    def settings(self) -> EmpSettings: ...
    @property
    def source(self) -> ResultsSource: ...


def person_catalogue(emp: ResultsParts, person: Person, *, allow_not_passed: bool) -> Catalogue:
    """What the source holds for the logged-in ``person``, as the student may pick from it (not cached)."""
    query = PersonQuery(
        identifiers=dict(person.identifiers),
        given_names=person.given_names,
        family_name=person.family_name,
        birth_date=person.birth_date,
    )
    return catalogue(
        emp.source.fetch(query),
        allow_not_passed=allow_not_passed,
        whole_programme_only=emp.settings.whole_programme_only,
    )
