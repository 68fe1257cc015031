"""Loading what a process needs once: the results source from ``[source]``, the key and certificate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from emrex.db import Database
from emrex.emp.config import EmpConfigError, settings_from_mapping
from emrex.emp.runtime import build_source, credential_sealer, load_signer
from emrex.emp.sources.rest import RestSource
from emrex.sis.source import SqlSource
from emrex.trust.ca import Issued, issue
from emrex.trust.keys import certificate_pem, private_key_pem
from tests.emp.conftest import SEAL_ID, config, seal_table


def test_sql_is_the_default_and_takes_identifier_types(database: Database) -> None:
    assert isinstance(build_source({}, database), SqlSource)
    source = build_source({"type": "sql", "identifier_types": ["esi"]}, database)
    assert isinstance(source, SqlSource) and source.config.identifier_types == ("esi",)


def test_rest_source_settings(database: Database) -> None:
    source = build_source(
        {
            "type": "rest",
            "url": "https://sis.uni.example/elmo?id={nationalIdentifier}",
            "timeout": 5,
            "token": "t",
        },
        database,
    )
    assert isinstance(source, RestSource)
    assert source.config.timeout == 5 and source.config.token == "t"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"type": "ldap"}, "source.type: 'ldap' is not one of sql, rest, virta"),
        ({"type": "sql", "colour": "blue"}, "source.colour: unknown setting"),
        ({"type": "sql", "identifier_types": "esi"}, "source.identifier_types: expected"),
        ({"type": "rest", "url": "ftp://sis"}, "source.url: must be an http(s) URL"),
        ({"type": "rest", "url": "https://sis/x", "timeout": "soon"}, "source.timeout: expected"),
        ({"type": "virta", "url": "https://virta.example/luku", "issuers_file": "/missing"}, "source"),
    ],
)
def test_source_errors_name_the_setting(database: Database, table: dict[str, Any], message: str) -> None:
    with pytest.raises(EmpConfigError) as caught:
        build_source(table, database)
    assert str(caught.value).startswith(message)


def test_an_expired_certificate_stops_start_up(
    tmp_path: Path, emp_ca: Issued, password_hash: str, key_files: tuple[Path, Path]
) -> None:
    old = issue(emp_ca, "Old EMP", not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30)
    key, cert = tmp_path / "old-key.pem", tmp_path / "old-cert.pem"
    key.write_bytes(private_key_pem(old.key))
    cert.write_bytes(certificate_pem(old.certificate))
    settings = settings_from_mapping(config(password_hash, (key, cert)))
    with pytest.raises(EmpConfigError, match=r"^certificate_file: "):
        load_signer(settings)
    good = settings_from_mapping(config(password_hash, key_files))
    assert load_signer(good).certificate.subject.rfc4514_string().startswith("CN=EMP Nordvik")


def test_the_edc_seal_is_checked_against_its_certificate_at_start(
    tmp_path: Path,
    emp_ca: Issued,
    seal_key: Issued,
    emp_key: Issued,
    password_hash: str,
    key_files: tuple[Path, Path],
) -> None:
    def sealer_of(**overrides: str) -> Any:
        settings = settings_from_mapping(
            config(password_hash, key_files, seal=seal_table(tmp_path, seal_key, **overrides))
        )
        return credential_sealer(settings)

    assert credential_sealer(settings_from_mapping(config(password_hash, key_files))) is None
    sealer = sealer_of()
    assert sealer.issuer.eidas_identifier == SEAL_ID and sealer.issuer.legal_name == {
        "en": "Nordvik University"
    }
    with pytest.raises(
        EmpConfigError, match=r"^seal.issuer_id: NTRSE-5560000000 is not the seal certificate's"
    ):
        sealer_of(issuer_id="NTRSE-5560000000")
    with pytest.raises(EmpConfigError, match=r"^seal.issuer_country: NO is not the country"):
        sealer_of(issuer_country="NO")
    with pytest.raises(EmpConfigError, match=r"^seal.cert_file: .* names no organizationIdentifier"):
        sealer_of(key_file=str(key_files[0]), cert_file=str(key_files[1]))  # the signing key: no org id
    with pytest.raises(EmpConfigError, match=r"^seal: .*cannot read"):
        sealer_of(key_file=str(tmp_path / "missing.pem"))


def test_the_wallet_issuer_is_checked_at_start(
    tmp_path: Path, seal_key: Issued, password_hash: str, key_files: tuple[Path, Path]
) -> None:
    from emrex.db import Database
    from emrex.emp.runtime import wallet_issuing
    from tests.emp.test_export import wallet_table

    database = Database(f"sqlite:///{tmp_path}/unused.db")
    plain = settings_from_mapping(config(password_hash, key_files))
    assert wallet_issuing(plain, database) is None
    table = wallet_table(tmp_path, seal_key)
    issuing = wallet_issuing(settings_from_mapping(config(password_hash, key_files, wallet=table)), database)
    assert issuing is not None and issuing.elm_issuer.eidas_identifier == SEAL_ID
    assert issuing.issuer.config.url == "https://emp.nordvik.example"
    signing = {**table, "key_file": str(key_files[0]), "cert_file": str(key_files[1])}  # no org id
    with pytest.raises(EmpConfigError, match=r"^wallet.cert_file: .* must name the issuing organisation"):
        wallet_issuing(settings_from_mapping(config(password_hash, key_files, wallet=signing)), database)
    other = {**table, "key_file": str(key_files[0])}  # the signing key with the wallet certificate
    with pytest.raises(EmpConfigError, match=r"^wallet.key_file: .* is not the key of its certificate"):
        wallet_issuing(settings_from_mapping(config(password_hash, key_files, wallet=other)), database)
    with pytest.raises(EmpConfigError, match=r"^wallet: .*cannot read"):
        missing = {**table, "key_file": str(tmp_path / "missing.pem")}
        wallet_issuing(settings_from_mapping(config(password_hash, key_files, wallet=missing)), database)
    database.dispose()
