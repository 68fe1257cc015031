"""A throw-away EMREX network for the load run: keys, PostgreSQL databases, seeded students, configs.

The EMC is reached as ``localhost`` and the EMP (behind a relay that can delay) as ``127.0.0.1``: the
services' session cookies share a name, and cookies are kept per host name (as in emrex.demo).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from emrex.db import Database, make_engine, upgrade

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "load-pw"  # noqa: S105 - the throw-away accounts' password
EMC_HOST, EMP_HOST = "localhost", "127.0.0.1"
FIRST_BIRTH = dt.date(1995, 1, 1)


@dataclass(frozen=True)
class Student:
    username: str
    given_names: str
    family_name: str
    birth_date: dt.date
    national_id: str


@dataclass(frozen=True)
class Ports:
    registry: int
    emc: int
    emp: int  # the relay students use
    emp_inner: int  # the EMP itself

    @property
    def emc_url(self) -> str:
        return f"http://{EMC_HOST}:{self.emc}"

    @property
    def emp_url(self) -> str:
        return f"http://{EMP_HOST}:{self.emp}"

    @property
    def emp_entry(self) -> str:
        return self.emp_url + "/emrex"


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def students(count: int) -> list[Student]:
    return [
        Student(
            f"s{i:04d}",
            "Lasse Åke" if i % 2 else "Zoë",
            f"Lastname-{i:04d}",
            FIRST_BIRTH + dt.timedelta(days=i * 7),
            f"{710000000 + i:011d}",
        )
        for i in range(count)
    ]


class Databases:
    """Fresh PostgreSQL databases (one per service), dropped at the end. A database of its own rather
    than a schema in ``test``: PostgreSQL's counters per database (transactions) and the process titles
    of its backends (CPU) are then the run's alone, whoever else uses the cluster."""

    def __init__(self) -> None:
        self.engine = make_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
        self.names: list[str] = []

    def new(self, label: str) -> str:
        name = f"emrex_load_{label}_{secrets.token_hex(4)}"
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # template0: nobody is ever connected to it (template1 may be in use by others)
            connection.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
        self.names.append(name)
        return self.engine.url.set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in self.names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


def sis_json(people: list[Student]) -> bytes:
    """The demo's FjordNet SIS file with its first person's record given to each load student."""
    from emrex.demo.network import EMPS, seed_bytes

    data = json.loads(seed_bytes(EMPS[0]))
    template = data["persons"][0]
    persons = []
    for person in people:
        entry = copy.deepcopy(template)
        entry.update(
            identifiers={"nationalIdentifier": person.national_id},
            givenNames=person.given_names,
            familyName=person.family_name,
            birthDate=person.birth_date.isoformat(),
        )
        persons.append(entry)
    data["persons"] = persons
    # The demo's EWP mobilities name the demo's own people (by ESI), who are not in this file.
    data.pop("incomingMobilities", None)
    return json.dumps(data).encode()


def seed_emp(url: str, people: list[Student]) -> None:
    from emrex.sis.format import parse_sis_json
    from emrex.sis.importer import import_sis

    database = Database(url)
    try:
        upgrade(database)
        import_sis(database, parse_sis_json(sis_json(people)))
    finally:
        database.dispose()


def migrate(url: str) -> None:
    database = Database(url)
    try:
        upgrade(database)
    finally:
        database.dispose()


def _accounts(people: list[Student], password_hash: str) -> list[dict[str, Any]]:
    return [
        {
            "username": p.username,
            "password_hash": password_hash,
            "given_names": p.given_names,
            "family_name": p.family_name,
            "birth_date": p.birth_date.isoformat(),
            "identifiers": {"nationalIdentifier": p.national_id},
        }
        for p in people
    ]


# The load is many students from one address: the limits are raised (the request rate per address
# turned off) for the run, defaults stay.
RATE_LIMIT = {
    "max_attempts_per_user": 50,
    "max_attempts_per_address": 100000,
    "window_seconds": 60,
    "requests_per_minute": 0,
}


def emp_config(folder: Path, ports: Ports, url: str, people: list[Student], password_hash: str) -> Path:
    config = {
        "name": "Load EMP",
        "base_url": ports.emp_url,
        "production": False,
        "database_url": url,
        "key_file": str(folder / "emp" / "key.pem"),
        "certificate_file": str(folder / "emp" / "cert.pem"),
        "timezone": "Europe/Oslo",
        "server": {"host": "127.0.0.1", "port": ports.emp_inner, "workers": 2},
        "login": {
            "method": "demo",
            "rate_limit": RATE_LIMIT,
            "demo": {"accounts": _accounts(people, password_hash)},
        },
    }
    return _write_toml(folder / "emp.toml", config)


def emc_config(folder: Path, ports: Ports, url: str, people: list[Student], password_hash: str) -> Path:
    config = {
        "emc": {
            "base_url": ports.emc_url,
            "database_url": url,
            "title": "Load EMC",
            "dev_http_hosts": [EMC_HOST, EMP_HOST],
            "host": "127.0.0.1",
            "port": ports.emc,
            "registry": {
                "sources": [f"http://{EMP_HOST}:{ports.registry}/emp-list.json"],
                "cache_dir": str(folder / "emc-registry-cache"),
                "max_age_minutes": 1,
                "timeout_seconds": 2,
            },
            "login": {
                "method": "demo",
                "production": False,
                "rate_limit": RATE_LIMIT,
                "demo": {"accounts": _accounts(people, password_hash)},
            },
        }
    }
    return _write_toml(folder / "emc.toml", config)


def registry_config(folder: Path, ports: Ports) -> Path:
    lines = [
        f"port = {ports.registry}",
        'host = "127.0.0.1"',
        "[[countries]]",
        'code = "NO"',
        'name = "Norway"',
        "singleFetch = false",
        "[[emps]]",
        'acronym = "LOADEMP"',
        'country = "NO"',
        'institutions = ["Fjordby University"]',
        f"url = {json.dumps(ports.emp_entry)}",
        'certificates = ["emp/cert.pem"]',
    ]
    path = folder / "registry.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_keys(folder: Path) -> None:
    from emrex.trust.ca import issue, make_ca
    from emrex.trust.keys import save_issued

    issued = issue(make_ca("load CA"), "Load EMP", organization="Fjordby University", country="NO")
    save_issued(folder / "emp", issued, force=True)


def _write_toml(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(_toml(config), encoding="utf-8")
    return path


def _toml(table: dict[str, Any], prefix: str = "") -> str:
    """Enough TOML for these configurations: scalars, lists of scalars, tables, arrays of tables."""
    lines: list[str] = []
    nested: list[str] = []
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            nested.append(f"[{name}]\n" + _toml(value, name))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                nested.append(f"[[{name}]]\n" + _toml(item, name))
        else:
            lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n" + "\n".join(nested)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))
