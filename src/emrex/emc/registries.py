"""The registry lists the EMC offers students: one or more sources, each with its last-good cache."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from emrex.emc.config import EmcSettings
from emrex.registry import Registry, RegistryCache, RegistryError
from emrex.registry.model import Country, Emp

log = logging.getLogger("emrex.emc")


MAX_TITLE = 255  # the column that keeps it


def served(emp: Emp) -> tuple[str, ...]:
    """The institutions the registry names for ``emp`` ("All" names none)."""
    return tuple(n.strip() for n in emp.institutions if n.strip() and n.strip().casefold() != "all")


def emp_title(emp: Emp) -> str:
    """The data provider as the registry describes it: its one institution, or its acronym and every
    institution it serves (never only the first of several)."""
    names = served(emp)
    if len(names) == 1:
        return names[0][:MAX_TITLE]
    if not names:
        return emp.acronym[:MAX_TITLE]
    room = MAX_TITLE - len(emp.acronym) - len(" (, …)")
    listed = ", ".join(names)
    if len(listed) > room:
        listed = listed[:room].rsplit(", ", 1)[0] + ", …"
    return f"{emp.acronym} ({listed})"[:MAX_TITLE]


class Registries:
    """Countries and EMPs of every configured source, merged (the first source wins a country)."""

    def __init__(self, providers: Sequence[Callable[[], Registry]]) -> None:
        self.providers = tuple(providers)

    @classmethod
    def from_settings(cls, settings: EmcSettings) -> Registries:
        caches = [
            RegistryCache(
                source,
                settings.registry_cache_dir,
                settings.registry_max_age,
                timeout=settings.registry_timeout,
            )
            for source in settings.registry_sources
        ]
        return cls([cache.get for cache in caches])

    def current(self) -> Registry:
        countries: dict[str, Country] = {}
        emps: dict[str, Emp] = {}
        problems: list[str] = []
        for provider in self.providers:
            try:
                registry = provider()
            except RegistryError as error:
                problems.append(str(error))
                log.warning("a registry source is unavailable: %s", error)
                continue
            for country in registry.countries:
                countries.setdefault(country.code, country)
            for emp in registry.emps:
                emps.setdefault(emp.url, emp)
        if not countries and problems:
            raise RegistryError("the registry of data providers is unavailable: " + problems[0])
        return Registry(
            countries=tuple(sorted(countries.values(), key=lambda c: c.name)),
            emps=tuple(emps.values()),
        )

    def choices(self, country_code: str) -> tuple[Country, tuple[Emp, ...]]:
        """The country and its EMPs: one for most countries; for ``singleFetch`` countries one per
        institution, which the page lists by its first institution."""
        registry = self.current()
        country = registry.country(country_code)
        if country is None:
            raise RegistryError(f"the registry lists no country {country_code[:8]!r}")
        emps = registry.emps_in(country.code)
        if not emps:
            raise RegistryError(f"the registry lists no data provider in {country.name}")
        return country, emps

    def find(self, country_code: str, emp_url: str) -> tuple[Country, Emp]:
        country, emps = self.choices(country_code)
        for emp in emps:
            if emp.url == emp_url:
                return country, emp
        raise RegistryError(f"the registry lists no such data provider in {country.name}")
