"""Assembling a Registry from entries read from any source, with one policy for doubtful entries.

A reader refuses a document whose structure is wrong. A single entry that is unusable (a damaged
certificate, a plain-HTTP or malformed URL, a bad country code) is skipped with a warning, so one
broken EMP cannot take the whole list away from a client; a list with no usable EMP is refused. In
strict mode (our own server's configuration) every such problem is an error instead.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509

from emrex.registry.countries import country_name, normalise_code
from emrex.registry.errors import RegistryError
from emrex.registry.model import Country, Emp, Registry
from emrex.trust.certs import load_certificates
from emrex.trust.errors import CertificateError

log = logging.getLogger("emrex.registry")

# Plain HTTP is acceptable only for an EMP on the machine itself (demo and test networks).
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class CertificateText:
    where: str  # e.g. "emps[2].pubKey" or "line 40", for messages
    data: bytes | str


def url_problem(url: str, allow_http_hosts: frozenset[str] = LOOPBACK_HOSTS) -> str | None:
    """Why ``url`` cannot be an EMP's entry URL, or None when it can."""
    if not url or url != url.strip() or any(c.isspace() or ord(c) < 32 for c in url):
        return "is empty or contains spaces"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("https", "http") or not host:
        return "is not an absolute https URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if parts.scheme == "http" and host not in allow_http_hosts:
        return "uses plain HTTP (EMPs must use HTTPS)"
    return None


class RegistryBuilder:
    def __init__(
        self,
        source: str,
        *,
        strict: bool = False,
        missing_countries: Literal["warn", "add"] = "warn",
        allow_http_hosts: frozenset[str] = LOOPBACK_HOSTS,
    ) -> None:
        self.source = source
        self.strict = strict
        self.missing_countries = missing_countries
        self.allow_http_hosts = allow_http_hosts
        self.warnings: list[str] = []
        self._countries: dict[str, Country] = {}
        self._emps: list[Emp] = []
        self._urls: set[str] = set()
        self._offered = 0

    def problem(self, message: str, consequence: str) -> None:
        """An entry-level problem: an error in strict mode, otherwise a warning saying what was done."""
        if self.strict:
            raise RegistryError(self._prefixed(message))
        self.warn(f"{message}; {consequence}")

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s", self._prefixed(message))

    def add_country(self, where: str, code: str, name: str, single_fetch: bool) -> None:
        normal = normalise_code(code)
        if normal is None:
            self.problem(f"{where}.countryCode {code!r} is not a two-letter country code", "country skipped")
            return
        if normal in self._countries:
            self.problem(f"{where}: country {normal} is listed twice", "the first entry is kept")
            return
        self._countries[normal] = Country(
            code=normal, name=name.strip() or country_name(normal), single_fetch=single_fetch
        )

    def add_emp(
        self,
        where: str,
        *,
        acronym: str,
        country_code: str,
        url: str,
        institutions: Iterable[str],
        certificates: Iterable[CertificateText],
    ) -> None:
        self._offered += 1
        label = f"{where} ({acronym.strip() or url})"
        code = normalise_code(country_code)
        if not acronym.strip():
            self.problem(f"{where}: the EMP has no acronym or name", "EMP skipped")
            return
        if code is None:
            self.problem(f"{label}: country code {country_code!r} is not two letters", "EMP skipped")
            return
        bad_url = url_problem(url, self.allow_http_hosts)
        if bad_url:
            self.problem(f"{label}: url {url!r} {bad_url}", "EMP skipped")
            return
        if url in self._urls:
            self.problem(f"{label}: another EMP already has the url {url}", "the first one is kept")
            return
        certs, errors = self._certificates(certificates)
        if not certs:
            self.problem(
                f"{label}: no usable certificate ({'; '.join(errors) or 'none given'})", "EMP skipped"
            )
            return
        for error in errors:
            self.problem(f"{label}: {error}", "its other certificates are used")
        self._urls.add(url)
        names = tuple(i.strip() for i in institutions if i.strip())
        self._emps.append(Emp(acronym.strip(), code, url, names, certs))

    def _certificates(
        self, texts: Iterable[CertificateText]
    ) -> tuple[tuple[x509.Certificate, ...], list[str]]:
        found: list[x509.Certificate] = []
        errors: list[str] = []
        for text in texts:
            try:
                certs = load_certificates(text.data)
            except CertificateError as exc:
                errors.append(f"{text.where}: {exc}")
                continue
            found.extend(c for c in certs if c not in found)
        return tuple(found), errors

    def build(self) -> Registry:
        if not self._emps:
            if not self._offered:
                raise RegistryError(self._prefixed("the list names no EMP"))
            first = f" (first problem: {self.warnings[0]})" if self.warnings else ""
            raise RegistryError(self._prefixed(f"none of the {self._offered} EMPs listed is usable{first}"))
        missing: list[str] = []
        for emp in self._emps:
            if emp.country_code not in self._countries and emp.country_code not in missing:
                missing.append(emp.country_code)
        countries = list(self._countries.values())
        if self.missing_countries == "add":
            counts = Counter(e.country_code for e in self._emps)
            # Several EMPs in one country: a client must list each of them (EMREG "singleFetch").
            countries += [Country(c, country_name(c), counts[c] > 1) for c in missing]
        else:
            for code in missing:
                names = ", ".join(e.acronym for e in self._emps if e.country_code == code)
                self.warn(f"the list names no country {code}, yet lists EMPs there: {names}")
        return Registry(
            countries=tuple(countries),
            emps=tuple(self._emps),
            source=self.source,
            warnings=tuple(self.warnings),
        )

    def _prefixed(self, message: str) -> str:
        return f"{self.source}: {message}" if self.source else message
