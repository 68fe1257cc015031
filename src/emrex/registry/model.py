"""The registry of EMREX data providers (EMREG): countries and EMPs with their certificates."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

from emrex.registry.errors import RegistryError as RegistryError  # registry.config imports it here


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, upper case
    name: str
    single_fetch: bool = False  # separate EMPs per institution: list each EMP's first institution


@dataclass(frozen=True)
class Emp:
    acronym: str
    country_code: str
    url: str  # the entry URL the student's browser POSTs to
    institutions: tuple[str, ...] = ()
    # One or more: the EWP catalogue may publish several for key rollover.
    certificates: tuple[x509.Certificate, ...] = ()

    @property
    def display_name(self) -> str:
        """What a student picks: the first institution (as EMREG clients do), else the acronym."""
        first = self.institutions[0] if self.institutions else ""
        return first if first and first.lower() != "all" else self.acronym

    @property
    def listed_name(self) -> str:
        """The name, acronym and country together, as checks and logs name the data provider."""
        return f"{self.display_name} ({self.acronym}, {self.country_code})"


@dataclass(frozen=True)
class Registry:
    countries: tuple[Country, ...] = ()
    emps: tuple[Emp, ...] = ()
    source: str = field(default="", compare=False)  # where it was read from, for messages
    # What a reader skipped or doubted (one line each); the list itself is usable.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def country(self, code: str) -> Country | None:
        wanted = code.strip().upper()
        return next((c for c in self.countries if c.code == wanted), None)

    def emps_in(self, country_code: str) -> tuple[Emp, ...]:
        wanted = country_code.strip().upper()
        return tuple(e for e in self.emps if e.country_code == wanted)

    def find_emp(self, key: str) -> Emp:
        """The EMP whose entry URL is ``key`` exactly, else whose acronym matches (any case)."""
        for emp in self.emps:
            if emp.url == key:
                return emp
        matches = [e for e in self.emps if e.acronym.casefold() == key.strip().casefold()]
        if len(matches) == 1:
            return matches[0]
        where = f" in {self.source}" if self.source else ""
        if len(matches) > 1:
            raise RegistryError(f"{len(matches)} EMPs{where} have the acronym {key!r}; name one by its URL")
        known = ", ".join(sorted(e.acronym for e in self.emps)) or "none"
        raise RegistryError(f"no EMP{where} has the URL or acronym {key!r} (known: {known})")
