"""Who is in the demo network: the home institution's EMC, three EMPs in two countries, the accounts.

The people here match the seeded SIS files in ``data/`` (by their identifiers); the facts a newcomer
needs (which account to use where, and why) are in each account's ``purpose``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from emrex.identity import ESI_PREFIX

PASSWORD = "demo"  # noqa: S105 - every demo account's password, printed for newcomers
ESI = ESI_PREFIX


@dataclass(frozen=True)
class Account:
    username: str
    role: str  # "student" or "staff"
    purpose: str
    given_names: str
    family_name: str
    birth_date: dt.date | None = None
    identifiers: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    password: str = PASSWORD

    def login_table(self, password_hash: str) -> dict[str, Any]:
        """The account as a ``login.demo.accounts`` entry."""
        table: dict[str, Any] = {
            "username": self.username,
            "password_hash": password_hash,
            "given_names": self.given_names,
            "family_name": self.family_name,
            "identifiers": dict(self.identifiers),
            "roles": ["student"] if self.role == "student" else ["staff"],
        }
        if self.birth_date is not None:
            table["birth_date"] = self.birth_date.isoformat()
        return table

    def public(self) -> dict[str, Any]:
        """What demo.json tells about the account."""
        return {
            "username": self.username,
            "password": self.password,
            "role": self.role,
            "purpose": self.purpose,
            "name": f"{self.given_names} {self.family_name}".strip(),
        }


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    single_fetch: bool = False


@dataclass(frozen=True)
class EmpPlan:
    key: str  # folder name and port order
    acronym: str
    country: str
    title: str
    institutions: tuple[str, ...]  # as the registry lists them (names)
    seed: str  # file in emrex/demo/data
    accounts: tuple[Account, ...]
    language: str = "en"  # the second language of the site and the seed data
    saml_domain: str = ""  # students log in through the demo SAML identity provider (this scope)


@dataclass(frozen=True)
class EmcPlan:
    title: str
    institution: str
    accounts: tuple[Account, ...]
    country: str = "SE"
    # The organizationIdentifier of its EDC seal certificate (ETSI form; a made-up register entry).
    seal_id: str = "NTRSE-2021009999"
    folder: str = "emc"  # in the data folder


def _ids(**values: str) -> MappingProxyType[str, str]:
    return MappingProxyType(values)


CHLOE_BIRTH = dt.date(2001, 4, 17)
ELENI_BIRTH = dt.date(2000, 9, 3)
MIGUEL_BIRTH = dt.date(1999, 12, 2)
ELENI_ESI = ESI + "lindholm.example.se:S21-0457"

COUNTRIES = (
    Country("NO", "Norway"),
    Country("GR", "Greece", single_fetch=True),
)

_EMP_STAFF = "staff", "Statistics of this data provider (/admin/stats)"

EMPS = (
    EmpPlan(
        key="fjord",
        acronym="FJORDNET",
        country="NO",
        title="FjordNet – Norwegian study records (demo)",
        institutions=("Fjordby University", "Nordkapp School of Music and Arts"),
        seed="sis-fjordnet.json",
        language="nb",
        accounts=(
            Account(
                "chloe", "student", "Results from Fjordby University: a master's programme in progress",
                "Chloé Åsa", "Lindqvist Núñez", CHLOE_BIRTH, _ids(nationalIdentifier="17040112345"),
            ),
            Account(
                "miguel", "student", "Results whose name differs slightly from the home record (review)",
                "Miguel Ángel", "Fernández", MIGUEL_BIRTH, _ids(nationalIdentifier="02129954321"),
            ),
            Account(
                "noah", "student", "A student of Fjordby University with no results yet",
                "Noah", "Berg", dt.date(2002, 1, 30), _ids(nationalIdentifier="30010267890"),
            ),
            Account("staff", *_EMP_STAFF, "Sigrid", "Haugen"),
        ),
    ),
    EmpPlan(
        key="kyklades",
        acronym="KYKLADES",
        country="GR",
        title="Kyklades University – EMREX (demo)",
        institutions=("Kyklades University",),
        seed="sis-kyklades.json",
        language="el",
        accounts=(
            Account(
                "chloe", "student", "Results of an exchange semester at Kyklades University",
                "Chloé Åsa", "Lindqvist Núñez", CHLOE_BIRTH, _ids(esi=ESI + "lindholm.example.se:S20-0191"),
            ),
            Account("staff", *_EMP_STAFF, "Nikos", "Stavrou"),
        ),
    ),
    EmpPlan(
        key="olympos",
        acronym="OLYMPOS",
        country="GR",
        title="Olympos Polytechnic – EMREX (demo)",
        institutions=("Olympos Polytechnic",),
        seed="sis-olympos.json",
        language="el",
        saml_domain="olympos.example.gr",
        accounts=(
            Account(
                "eleni", "student", "A record in Greek script (Ελένη Παπαδοπούλου), matched by her ESI",
                "Ελένη", "Παπαδοπούλου", ELENI_BIRTH, _ids(esi=ELENI_ESI),
            ),
            Account("staff", *_EMP_STAFF, "Maria", "Georgiou"),
        ),
    ),
)  # fmt: skip

EMC = EmcPlan(
    title="Lindholm University – foreign study records (demo)",
    institution="Lindholm University",
    accounts=(
        Account(
            "chloe", "student",
            "Fetch results from Norway (FjordNet) and Greece (Kyklades University); a decided credit "
            "recognition case (/recognition)",
            "Chloé Åsa", "Lindqvist Núñez", CHLOE_BIRTH,
        ),
        Account(
            "eleni", "student", "Fetch from Greece (Olympos Polytechnic): her record there is in Greek",
            "Eleni", "Papadopoulou", ELENI_BIRTH, _ids(esi=ELENI_ESI),
        ),
        Account(
            "miguel", "student", "Fetch from Norway: the names differ, so staff review the identity",
            "Miguel Ángel", "Fernández García", MIGUEL_BIRTH,
        ),
        Account(
            "noah", "student", "Fetch from Norway: no results there yet",
            "Noah", "Berg", dt.date(2002, 1, 30),
        ),
        Account(
            "staff", "staff",
            "Staff: students' overviews, identity reviews, statistics (/staff); credit recognition "
            "cases (/staff/recognition)",
            "Karin", "Registrar",
        ),
    ),
)  # fmt: skip


# A second home institution, where chloe applies for a master's programme: the place her wallet is for.
# It imports from wallets only what Lindholm (or any issuer of the demo CA) vouched for.
ADMISSIONS = EmcPlan(
    title="Sundby University – master's admissions (demo)",
    institution="Sundby University",
    folder="emc-sundby",
    seal_id="NTRSE-2021008888",
    accounts=(
        Account(
            "chloe", "student",
            "Apply with results from your wallet: 'Import from my wallet' (issued at Lindholm, where they "
            "were imported)",
            "Chloé Åsa", "Lindqvist Núñez", CHLOE_BIRTH,
        ),
        Account("staff", "staff", "Staff: the applicants' transfers and where they came from (/staff)",
                "Lars", "Admissions"),
    ),
)  # fmt: skip


def seed_bytes(plan: EmpPlan) -> bytes:
    """The SIS import file of an EMP (emrex-sis/1 JSON), shipped with the package."""
    return resources.files("emrex.demo").joinpath("data", plan.seed).read_bytes()
