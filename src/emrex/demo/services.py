"""Building the demo's services from its data folder: the registry, the EMPs and the EMC.

Addresses: the registry at port-base, the EMC at port-base+1, the EMPs from port-base+2 on, then the demo
SAML identity provider, the OOTS access point, the OOTS evidence requester (``emrex.demo.oots``), the
demo wallet (``emrex.demo.wallet_web``) and a second EMC (Sundby University, where a student presents
from the wallet), all bound to the loopback interface. The EMC is reached as
``localhost`` and the EMPs as ``127.0.0.1``: browsers keep cookies per host name, not per port, and the
services' session cookies share one name, so the student's EMC login would otherwise be overwritten by
the EMP's session cookie.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from emrex.db import Database, upgrade
from emrex.db.migrate import current, heads
from emrex.demo.config_files import api_token, write_config
from emrex.demo.ewp import HOST_PLAN as EWP_HOST_PLAN
from emrex.demo.ewp import emc_table, ewp_keys, write_manifests
from emrex.demo.ewp import emp_table as ewp_emp_table
from emrex.demo.federation import emp_login, federation_keys, idp_app
from emrex.demo.folder import SEED_STAMP, DataFolder, DemoCa, DemoError, emp_key, key_pair, seed_once
from emrex.demo.looks import EMP_LOOKS, emc_look
from emrex.demo.network import ADMISSIONS, COUNTRIES, EMC, EMPS, Account, EmcPlan, EmpPlan, seed_bytes
from emrex.demo.oots import OOTS_SEAL_ID, PROVIDER_ACRONYM, access_point_app, requester_app
from emrex.demo.oots import emp_table as oots_emp_table
from emrex.demo.recognition import KYKLADES, seed
from emrex.demo.recognition import SETTINGS as RECOGNITION
from emrex.demo.wallet import WALLET_DB, wallet_folder
from emrex.demo.wallet import emc_tables as wallet_tables
from emrex.demo.wallet_web import create_wallet_app
from emrex.emc.app import create_emc_app
from emrex.emc.config import hash_token
from emrex.emc.config import load_settings as load_emc_settings
from emrex.emp.app import create_emp_app
from emrex.emp.config import load_settings as load_emp_settings
from emrex.errors import EmrexError
from emrex.registry.config import load_server_config
from emrex.registry.server import create_app
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust.keys import CA_CERT
from emrex.web.login.demo import hash_password

if TYPE_CHECKING:
    from emrex.db import Database

EMC_HOST = "localhost"
EMP_HOST = "127.0.0.1"
ENTRY_PATH = "/emrex"
TIMEZONES = {"NO": "Europe/Oslo", "GR": "Europe/Athens"}
# Demo logins need no protection against password guessing; cheap hashes keep the start fast.
DEMO_HASH_LOG2_N = 12
T = TypeVar("T")


@dataclass(frozen=True)
class Service:
    name: str
    host: str  # in URLs; the socket is bound to the loopback address
    port: int
    app: Any  # an ASGI application


@dataclass(frozen=True)
class Addresses:
    port_base: int

    def __post_init__(self) -> None:
        if not 1024 <= self.port_base <= 65535 - self.count:
            raise DemoError(
                f"--port-base {self.port_base}: choose a number from 1024 to {65535 - self.count} "
                f"(the demo uses {self.count} ports from it on)"
            )

    @property
    def count(self) -> int:
        return 7 + len(EMPS)

    @property
    def registry(self) -> str:
        return f"http://{EMP_HOST}:{self.port_base}/"

    @property
    def registry_list(self) -> str:
        return self.registry + "emp-list.json"

    @property
    def emc(self) -> str:
        return f"http://{EMC_HOST}:{self.port_base + 1}/"

    def listeners(self) -> list[tuple[str, str, int]]:
        """(name, host, port) of every service, in start order."""
        emps = [(f"EMP {plan.acronym}", EMP_HOST, self.port_base + 2 + i) for i, plan in enumerate(EMPS)]
        idp = ("SAML identity provider", EMP_HOST, self.port_base + 2 + len(EMPS))
        oots = [
            ("OOTS access point", EMP_HOST, self.port_base + 3 + len(EMPS)),
            ("OOTS evidence requester", EMP_HOST, self.port_base + 4 + len(EMPS)),
        ]
        return [
            ("registry", EMP_HOST, self.port_base),
            ("EMC", EMC_HOST, self.port_base + 1),
            *emps,
            idp,
            *oots,
            ("demo wallet", EMP_HOST, self.port_base + 5 + len(EMPS)),
            ("EMC Sundby", EMC_HOST, self.port_base + 6 + len(EMPS)),
        ]

    @property
    def saml_idp(self) -> str:
        return f"http://{EMP_HOST}:{self.port_base + 2 + len(EMPS)}/"

    @property
    def oots_access_point(self) -> str:
        return f"http://{EMP_HOST}:{self.port_base + 3 + len(EMPS)}/"

    @property
    def oots_requester(self) -> str:
        """The demo's OOTS evidence requester: an admissions portal."""
        return f"http://{EMP_HOST}:{self.port_base + 4 + len(EMPS)}/"

    @property
    def wallet(self) -> str:
        """The demo wallet (simulated): a web page over ``emrex.wallet.holder``."""
        return f"http://{EMP_HOST}:{self.port_base + 5 + len(EMPS)}/"

    @property
    def admissions(self) -> str:
        """The second EMC (Sundby University), where the wallet's results are presented."""
        return f"http://{EMC_HOST}:{self.port_base + 6 + len(EMPS)}/"

    def emp(self, index: int) -> str:
        return f"http://{EMP_HOST}:{self.port_base + 2 + index}/"

    def emp_entry(self, index: int) -> str:
        return self.emp(index).rstrip("/") + ENTRY_PATH


def build_services(folder: DataFolder, addresses: Addresses) -> list[Service]:
    """Keys, databases, seed data and configuration in ``folder``; the apps ready to serve."""
    ca = DemoCa(folder)
    keys = [emp_key(folder, ca, plan) for plan in EMPS]
    hashes: dict[str, str] = {}

    def password_hash(account: Account) -> str:
        if account.password not in hashes:
            hashes[account.password] = hash_password(account.password, log2_n=DEMO_HASH_LOG2_N)
        return hashes[account.password]

    ewp = ewp_keys(folder, ca)
    host = EMPS.index(EWP_HOST_PLAN)
    manifests = write_manifests(
        folder,
        ewp,
        addresses.registry,
        addresses.emp(host),
        addresses.emp_entry(host),
        keys[host][1],
        addresses.emc,
    )
    saml_index = next(i for i, plan in enumerate(EMPS) if plan.saml_domain)
    saml_keys = federation_keys(folder, ca, EMPS[saml_index])
    databases = _Databases()
    try:
        apps = [_registry_app(folder, addresses, [cert for _, cert in keys], manifests)]
        wallet = wallet_tables(folder, ca, EMC, EMC_HOST, addresses.wallet, issuing=True)
        apps.append(
            _emc_app(
                folder, addresses, databases, password_hash, ca, emc_table(ewp, addresses.registry), wallet
            )
        )
        for index, (plan, (key, cert)) in enumerate(zip(EMPS, keys, strict=True)):
            login = (
                emp_login(plan, addresses.emp(index), addresses.saml_idp, saml_keys)
                if index == saml_index
                else {
                    "method": "demo",
                    "demo": {"accounts": [a.login_table(password_hash(a)) for a in plan.accounts]},
                }
            )
            oots = oots_emp_table(addresses.oots_access_point) if plan.acronym == PROVIDER_ACRONYM else None
            serving = ewp_emp_table(ewp, addresses.registry) if plan is EWP_HOST_PLAN else None
            seal = oots_seal_table(folder, ca, plan) if oots is not None else None  # the OOTS evidence's EDC
            extra = (login, oots, serving, seal)
            names = {urlsplit(addresses.emc).netloc: EMC.institution}
            apps.append(
                _emp_app(folder, plan, addresses.emp(index), key, cert, databases, *extra, client_names=names)
            )
        plan = EMPS[saml_index]
        apps.append(_checked(lambda: idp_app(plan, addresses.emp(saml_index), addresses.saml_idp, saml_keys)))
        apps.append(access_point_app())
        apps.append(
            requester_app(addresses.oots_requester, addresses.oots_access_point, seal_trust=(ca.certificate,))
        )
        apps.append(_wallet_app(folder, addresses, databases, ca))
        admissions = wallet_tables(folder, ca, ADMISSIONS, EMC_HOST, addresses.wallet, issuing=False)
        apps.append(_admissions_app(folder, addresses, databases, password_hash, admissions))
        _checked(lambda: _seed_recognition(folder, addresses, apps[1], keys))
    finally:
        databases.close()
    return [
        Service(name, host, port, app)
        for (name, host, port), app in zip(addresses.listeners(), apps, strict=True)
    ]


class _Databases:
    """SQLite databases at the newest schema. Alembic costs ~0.2 s per database, so a kept database
    already at head is left alone, and new ones after the first are copies of a blank migrated one."""

    def __init__(self) -> None:
        self._heads: tuple[str, ...] | None = None
        self._blank: sqlite3.Connection | None = None

    def open(self, path: Path) -> Database:
        new = not path.exists()
        if new and self._blank is not None:
            with contextlib.closing(sqlite3.connect(path)) as target:
                self._blank.backup(target)
        database = Database(f"sqlite:///{path.resolve()}")
        if self._heads is None:
            self._heads = heads()
        if current(database) not in self._heads:
            upgrade(database)
            if new and self._blank is None:
                self._blank = sqlite3.connect(":memory:")
                with contextlib.closing(sqlite3.connect(path)) as source:
                    source.backup(self._blank)
        return database

    def close(self) -> None:
        if self._blank is not None:
            self._blank.close()


def registry_toml(addresses: Addresses, certificates: list[Path], manifests: Sequence[str] = ()) -> str:
    """Our registry's configuration (emrex.registry.config) for the demo network."""
    lines = [
        "# Written by 'emrex demo' at each start: the demo network's registry.",
        f'host = "{EMP_HOST}"',
        f"port = {addresses.port_base}",
    ]
    if manifests:  # the EWP hosts its catalogue-v1.xml lists (emrex.demo.ewp)
        lines.append(f"ewp_manifests = [{', '.join(_toml(m) for m in manifests)}]")
    for country in COUNTRIES:
        lines += [
            "",
            "[[countries]]",
            f"code = {_toml(country.code)}",
            f"name = {_toml(country.name)}",
            f"singleFetch = {str(country.single_fetch).lower()}",
        ]
    for index, (plan, cert) in enumerate(zip(EMPS, certificates, strict=True)):
        lines += [
            "",
            "[[emps]]",
            f"acronym = {_toml(plan.acronym)}",
            f"country = {_toml(plan.country)}",
            f"institutions = [{', '.join(_toml(i) for i in plan.institutions)}]",
            f"url = {_toml(addresses.emp_entry(index))}",
            f"certificates = [{_toml('certs/' + cert.parent.name + '.pem')}]",
        ]
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    return json.dumps(text)  # a JSON string (ASCII, \u escapes) is a TOML basic string


def _registry_app(
    folder: DataFolder, addresses: Addresses, certificates: list[Path], manifests: list[str]
) -> Any:
    certs = folder.registry_dir / "certs"
    certs.mkdir(parents=True, exist_ok=True)
    for cert in certificates:
        shutil.copyfile(cert, certs / f"{cert.parent.name}.pem")
    config = folder.registry_dir / "registry.toml"
    config.write_text(registry_toml(addresses, certificates, manifests), encoding="utf-8")
    loaded = _checked(lambda: load_server_config(config))
    return create_app(loaded.registry, loaded.ewp_manifests)


def _emp_app(
    folder: DataFolder,
    plan: EmpPlan,
    base_url: str,
    key: Path,
    cert: Path,
    databases: _Databases,
    login: dict[str, Any],
    oots: dict[str, Any] | None = None,
    ewp: dict[str, Any] | None = None,
    seal: dict[str, Any] | None = None,
    *,
    client_names: dict[str, str] | None = None,
) -> Any:
    directory = folder.emp_dir(plan)
    mapping = {
        "name": plan.title,
        "base_url": base_url.rstrip("/"),
        "entry_path": ENTRY_PATH,
        "production": False,
        "database_url": f"sqlite:///{(directory / 'emp.db').resolve()}",
        "key_file": str(key),
        "certificate_file": str(cert),
        "timezone": TIMEZONES.get(plan.country, "UTC"),
        "login": login,
        "client_names": client_names or {},
        **({"oots": oots} if oots is not None else {}),
        "ewp": ewp,  # None (no table) but for the EWP host
        "seal": seal,  # None (no table) but for the OOTS evidence provider
        # That one also issues its students' exports to wallets, signing with its seal's organisation.
        "wallet": {"key_file": seal["key_file"], "cert_file": seal["cert_file"]} if seal else None,
        "look": EMP_LOOKS.get(plan.acronym),  # the others keep the default look
    }
    config = write_config(
        directory / "emp.toml", mapping, f"Written by 'emrex demo' at each start: {plan.title}."
    )
    settings = _checked(lambda: load_emp_settings(config, {}))
    if not (directory / "emp.db").exists():
        (directory / SEED_STAMP).unlink(missing_ok=True)  # a new database needs the seed again
    database = _checked(lambda: databases.open(directory / "emp.db"))
    seed = seed_bytes(plan)
    _checked(lambda: seed_once(directory, seed, lambda: import_sis(database, parse_sis_json(seed))))
    return _checked(lambda: create_emp_app(settings, database=database, migrate=False))


def oots_seal_table(folder: DataFolder, ca: DemoCa, plan: EmpPlan) -> dict[str, Any]:
    """The ``[seal]`` table of the OOTS evidence provider: its EDC seal certificate from the demo CA,
    naming its organizationIdentifier, so the evidence carries a sealed European Digital Credential."""
    institution = plan.institutions[0]
    key, cert = key_pair(
        ca, folder.emp_dir(plan) / "seal", f"{institution} EDC seal (demo)", institution, plan.country,
        OOTS_SEAL_ID,
    )  # fmt: skip
    return {
        "key_file": str(key),
        "cert_file": str(cert),
        "issuer_name": institution,
        "issuer_country": plan.country,
        "issuer_id": OOTS_SEAL_ID,
    }


def _emc_app(
    folder: DataFolder,
    addresses: Addresses,
    databases: _Databases,
    password_hash: Callable[[Account], str],
    ca: DemoCa,
    ewp: dict[str, Any] | None = None,
    wallet: dict[str, Any] | None = None,
) -> Any:
    folder.emc_dir.mkdir(parents=True, exist_ok=True)
    seal_key, seal_cert = key_pair(
        ca, folder.emc_dir / "seal", f"{EMC.institution} EDC seal (demo)", EMC.institution, EMC.country,
        EMC.seal_id,
    )  # fmt: skip
    mapping = {
        **_emc_basics(EMC, folder.emc_dir, addresses.emc, addresses, password_hash),
        # The SIS API with a token of this data folder (demo.json names it), and a retention to purge.
        "api": {"token_hashes": [hash_token(api_token(folder.emc_dir))]},
        "retention": {"raw_days": 30},
        "recognition": dict(RECOGNITION),
        "ewp": ewp,  # staff fetch transcripts from EWP partners (/staff/ewp)
        # Imported results as sealed European Digital Credentials; /verify trusts the demo CA's seals.
        "seal": {
            "key_file": str(seal_key),
            "cert_file": str(seal_cert),
            "issuer_name": EMC.institution,
            "issuer_country": EMC.country,
            "issuer_id": EMC.seal_id,
        },
        "verification": {"seal_trust": [str(folder.ca_dir / CA_CERT)]},
        # Add to my wallet and Import from my wallet, with demo keys, linked to the demo wallet.
        **(wallet or {}),
        "look": emc_look(folder.emc_dir),  # Lindholm's own name, logo, colours and a local text
    }
    return _emc_from(EMC, folder.emc_dir, mapping, databases, None)  # EMREX_EMC_* variables apply


def _admissions_app(
    folder: DataFolder,
    addresses: Addresses,
    databases: _Databases,
    password_hash: Callable[[Account], str],
    wallet: dict[str, Any],
) -> Any:
    """The second EMC (Sundby University): where chloe imports from her wallet what Lindholm issued."""
    directory = folder.root / ADMISSIONS.folder
    directory.mkdir(parents=True, exist_ok=True)
    mapping = {**_emc_basics(ADMISSIONS, directory, addresses.admissions, addresses, password_hash), **wallet}
    return _emc_from(ADMISSIONS, directory, mapping, databases, {})  # EMREX_EMC_* configure the first


def _emc_basics(
    plan: EmcPlan,
    directory: Path,
    base_url: str,
    addresses: Addresses,
    password_hash: Callable[[Account], str],
) -> dict[str, Any]:
    return {
        "base_url": base_url.rstrip("/"),
        "title": plan.title,
        "database_url": f"sqlite:///{(directory / 'emc.db').resolve()}",
        # Plain http for itself and, in its Content-Security-Policy form-action, towards the EMPs.
        "dev_http_hosts": [EMC_HOST, EMP_HOST],
        # Read at each page (no cache folder): the demo's registry is on this machine.
        "registry": {"sources": [addresses.registry_list], "max_age_minutes": 1, "timeout_seconds": 5},
        "login": {
            "method": "demo",
            "production": False,
            "demo": {"accounts": [a.login_table(password_hash(a)) for a in plan.accounts]},
        },
    }


def _emc_from(
    plan: EmcPlan,
    directory: Path,
    mapping: dict[str, Any],
    databases: _Databases,
    environ: dict[str, str] | None,
) -> Any:
    config = write_config(
        directory / "emc.toml", {"emc": mapping}, f"Written by 'emrex demo' at each start: {plan.title}."
    )
    settings = _checked(lambda: load_emc_settings(config, environ))
    database = _checked(lambda: databases.open(directory / "emc.db"))
    return _checked(lambda: create_emc_app(settings, database=database, migrate=False))


def _wallet_app(folder: DataFolder, addresses: Addresses, databases: _Databases, ca: DemoCa) -> Any:
    directory = wallet_folder(folder)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    database = _checked(lambda: databases.open(directory / WALLET_DB))
    return create_wallet_app(addresses.wallet, directory, database, [ca.certificate])


def _seed_recognition(
    folder: DataFolder, addresses: Addresses, emc: Any, keys: list[tuple[Path, Path]]
) -> None:
    """Lindholm's course catalogue, and chloe's decided case resting on her Kyklades results."""
    index = EMPS.index(KYKLADES)
    key, cert = keys[index]
    seed(
        emc.state.emc_service, folder.emc_dir, folder.emp_dir(KYKLADES), addresses.emp_entry(index), key, cert
    )


def _checked(make: Callable[[], T]) -> T:
    try:
        return make()
    except DemoError:
        raise
    except EmrexError as error:
        raise DemoError(f"the demo network cannot be set up: {error}") from None
