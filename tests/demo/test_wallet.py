"""The demo EMCs' wallet keys and tables: made once per data folder from the demo CA, kept at the next
start, made anew when they no longer fit (another host); the EMC reads the tables as they are written."""

from __future__ import annotations

from pathlib import Path

from emrex.demo.folder import DemoCa, open_folder
from emrex.demo.network import ADMISSIONS, EMC
from emrex.demo.wallet import ISSUER_DIR, VERIFIER_DIR, emc_tables, verifier_pair
from emrex.emc.config import settings_from_mapping
from emrex.trust.certs import load_certificate
from emrex.wallet.certificates import san_dns_names
from emrex.web.login.demo import hash_password

WALLET = "http://127.0.0.1:30008/"


def test_the_verifier_certificate_names_the_host_and_is_kept_until_it_does_not(tmp_path: Path) -> None:
    folder = open_folder(tmp_path / "demo")
    ca = DemoCa(folder)
    directory = folder.emc_dir / VERIFIER_DIR
    key, cert = verifier_pair(ca, directory, EMC, "localhost")
    first = cert.read_bytes()
    certificate = load_certificate(first)
    assert san_dns_names(certificate) == ["localhost"]
    certificate.verify_directly_issued_by(ca.certificate)
    assert verifier_pair(DemoCa(folder), directory, EMC, "localhost") == (key, cert)
    assert cert.read_bytes() == first  # the next start keeps it
    verifier_pair(ca, directory, EMC, "emc.example")
    assert san_dns_names(load_certificate(cert.read_bytes())) == ["emc.example"]
    cert.write_text("not a certificate")
    verifier_pair(ca, directory, EMC, "localhost")
    assert san_dns_names(load_certificate(cert.read_bytes())) == ["localhost"]


def test_the_first_emc_issues_and_imports_the_second_only_imports(tmp_path: Path) -> None:
    folder = open_folder(tmp_path / "demo")
    ca = DemoCa(folder)
    lindholm = emc_tables(folder, ca, EMC, "localhost", WALLET, issuing=True)
    sundby = emc_tables(folder, ca, ADMISSIONS, "localhost", WALLET, issuing=False)
    assert set(lindholm) == {"wallet", "wallet_import"} and set(sundby) == {"wallet_import"}
    assert lindholm["wallet"]["web_wallet_url"] == WALLET + "offer"
    assert sundby["wallet_import"]["web_wallet_url"] == WALLET + "present"
    assert (folder.emc_dir / ISSUER_DIR / "cert.pem").is_file()
    assert (folder.root / ADMISSIONS.folder / VERIFIER_DIR / "cert.pem").is_file()
    assert lindholm["wallet_import"]["key_file"] != sundby["wallet_import"]["key_file"]
    account = EMC.accounts[0].login_table(hash_password("demo", log2_n=10))
    settings = settings_from_mapping(
        {
            "base_url": "http://localhost:30001",
            "database_url": "sqlite://",
            "dev_http_hosts": ["localhost", "127.0.0.1"],
            "registry": {"sources": ["http://127.0.0.1:30000/emp-list.json"]},
            "login": {"method": "demo", "production": False, "demo": {"accounts": [account]}},
            **lindholm,
        }
    )
    assert settings.wallet is not None and settings.wallet_import is not None
    assert settings.wallet.web_wallet_url == WALLET + "offer"
    assert settings.wallet_import.trust == (folder.ca_dir / "ca-cert.pem",)
